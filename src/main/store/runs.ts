// Runs, their per-epoch curves and per-image test results. Every write that the UI must
// see goes through here, so the trainer process and the engine agree on one shape.
import { ApiError } from '#shared/errors';
import { inputOf, inputTag, LEGACY_INPUT } from '#shared/input';
import type {
  EpochMetrics,
  GpuAdapter,
  ImageMetrics,
  Run,
  SegmentationMetrics,
  SplitSizes,
  TrainConfig,
} from '#shared/domain';
import type { BackendId, RunStatus } from '#shared/ids';
import { isProcessAlive } from '../process-alive';
import { modelConfigError } from '../training/models/config';
import { type Db, writeTransaction } from './database';

interface RunRow {
  id: number;
  dataset_id: number;
  dataset_name: string;
  name: string;
  config: string;
  status: RunStatus;
  backend: BackendId | null;
  adapter: string | null;
  group_id: string | null;
  split_sizes: string | null;
  pid: number | null;
  epochs_done: number;
  best_val_iou: number | null;
  test_metrics: string | null;
  error: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
  duration_seconds: number | null;
}

const SELECT_RUN = `
  SELECT runs.*, datasets.name AS dataset_name
  FROM runs JOIN datasets ON datasets.id = runs.dataset_id`;

function toRun(row: RunRow): Run {
  return {
    id: row.id,
    name: row.name,
    datasetId: row.dataset_id,
    datasetName: row.dataset_name,
    // Runs stored before input modes existed were trained stretched.
    config: {
      input: LEGACY_INPUT,
      ...(JSON.parse(row.config) as Partial<TrainConfig>),
    } as TrainConfig,
    status: row.status,
    backend: row.backend,
    adapter: row.adapter ? (JSON.parse(row.adapter) as GpuAdapter) : null,
    groupId: row.group_id,
    splitSizes: row.split_sizes ? (JSON.parse(row.split_sizes) as SplitSizes) : null,
    epochsDone: row.epochs_done,
    bestValIou: row.best_val_iou,
    test: row.test_metrics ? (JSON.parse(row.test_metrics) as SegmentationMetrics) : null,
    error: row.error,
    createdAt: row.created_at,
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    durationSeconds: row.duration_seconds,
  };
}

/**
 * "faces · iou · unet 64px · seed 1": the dataset, loss, model, input size (and mode, for
 * patches) and seed, then " (2)", " (3)"… when runs by that name exist already, so no two
 * runs get the same automatic name.
 */
export function defaultRunName(db: Db, config: TrainConfig): string {
  const dataset = db.prepare('SELECT name FROM datasets WHERE id = ?').get(config.datasetId) as
    { name: string } | undefined;
  const tag = inputTag(inputOf(config));
  const patches = tag && ` ${tag}`;
  const base = [
    ...(dataset ? [dataset.name] : []),
    config.loss,
    `${config.model} ${config.size}px${patches}`,
    `seed ${config.seed}`,
  ].join(' · ');
  const taken = new Set(
    (
      db
        .prepare(`SELECT name FROM runs WHERE name = ? OR substr(name, 1, ?) = ?`)
        .all(base, base.length + 2, `${base} (`) as { name: string }[]
    ).map((r) => r.name),
  );
  if (!taken.has(base)) return base;
  let n = 2;
  while (taken.has(`${base} (${n})`)) n++;
  return `${base} (${n})`;
}

export interface NewRun {
  config: TrainConfig;
  /** By default the config in words (defaultRunName). */
  name?: string;
  groupId?: string | null;
}

/** The layers a run's weights fit: a parent must share them to be fine-tuned from. */
const ARCHITECTURE = ['model', 'baseFilters', 'depth', 'batchNorm'] as const;

/**
 * The one way a run comes to be (the app's runs.start and runs.startPaired, an experiment's
 * cells, `jaccard train`): checked, named and stored 'queued'. A network that cannot be
 * built is refused here, before a row exists, not minutes later in the trainer.
 */
export function createRun(db: Db, run: NewRun): Run {
  const dataset = db.prepare('SELECT id FROM datasets WHERE id = ?').get(run.config.datasetId);
  if (!dataset) throw new ApiError('not-found', `Dataset ${run.config.datasetId} does not exist.`);
  const problem = modelConfigError(run.config);
  if (problem) throw new ApiError('invalid', problem);
  const name = run.name?.trim() || defaultRunName(db, run.config);
  const { parentRunId } = run.config;
  if (parentRunId !== undefined) {
    const parent = getRun(db, parentRunId);
    if (parent.status !== 'finished') {
      throw new ApiError(
        'invalid',
        `Run ${parentRunId} is ${parent.status}; only a finished run can be trained again from.`,
      );
    }
    const differ = ARCHITECTURE.filter((k) => parent.config[k] !== run.config[k]);
    if (differ.length) {
      throw new ApiError(
        'invalid',
        `Run ${parentRunId}'s weights do not fit this network: ${differ
          .map((k) => `${k} ${String(parent.config[k])} there, ${String(run.config[k])} here`)
          .join('; ')}.`,
      );
    }
  }
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO runs (dataset_id, name, config, status, group_id)
       VALUES (?, ?, ?, 'queued', ?)`,
    )
    .run(run.config.datasetId, name, JSON.stringify(run.config), run.groupId ?? null);
  return getRun(db, Number(lastInsertRowid));
}

export function findRun(db: Db, id: number): Run | null {
  const row = db.prepare(`${SELECT_RUN} WHERE runs.id = ?`).get(id) as RunRow | undefined;
  return row ? toRun(row) : null;
}

export function getRun(db: Db, id: number): Run {
  const run = findRun(db, id);
  if (!run) throw new ApiError('not-found', `Run ${id} does not exist.`);
  return run;
}

/**
 * A run named on the command line: digits are an id, anything else a run's exact name
 * (case-insensitive when no name matches exactly). Two runs by that name: an error listing
 * their ids, so the user can pick one.
 */
export function resolveRunId(db: Db, target: string): number {
  const text = target.trim();
  if (/^\d+$/.test(text)) return getRun(db, Number(text)).id;
  const exact = db.prepare('SELECT id FROM runs WHERE name = ? ORDER BY id').all(text) as {
    id: number;
  }[];
  const found = exact.length
    ? exact
    : (db.prepare('SELECT id FROM runs WHERE lower(name) = lower(?) ORDER BY id').all(text) as {
        id: number;
      }[]);
  if (found.length === 1) return found[0]!.id;
  if (found.length === 0) throw new ApiError('not-found', `There is no run named "${text}".`);
  throw new ApiError(
    'invalid',
    `${found.length} runs are named "${text}" (ids ${found.map((r) => r.id).join(', ')}); give an id.`,
  );
}

export function listRuns(db: Db, filter: { datasetId?: number; status?: RunStatus } = {}): Run[] {
  const rows = db
    .prepare(
      `${SELECT_RUN}
       WHERE (@datasetId IS NULL OR runs.dataset_id = @datasetId)
         AND (@status IS NULL OR runs.status = @status)
       ORDER BY runs.id`,
    )
    .all({ datasetId: filter.datasetId ?? null, status: filter.status ?? null }) as RunRow[];
  return rows.map(toRun);
}

/** The pid of the process training the run, while its row says 'running'. */
export function runPid(db: Db, id: number): number | null {
  const row = db.prepare('SELECT pid FROM runs WHERE id = ?').get(id) as
    { pid: number | null } | undefined;
  return row?.pid ?? null;
}

export interface RunPatch {
  name?: string;
  status?: RunStatus;
  backend?: BackendId | null;
  adapter?: GpuAdapter | null;
  splitSizes?: SplitSizes | null;
  pid?: number | null;
  epochsDone?: number;
  bestValIou?: number | null;
  test?: SegmentationMetrics | null;
  error?: string | null;
  startedAt?: string | null;
  finishedAt?: string | null;
  durationSeconds?: number | null;
}

const PATCH_COLUMNS: Record<keyof RunPatch, string> = {
  name: 'name',
  status: 'status',
  backend: 'backend',
  adapter: 'adapter',
  splitSizes: 'split_sizes',
  pid: 'pid',
  epochsDone: 'epochs_done',
  bestValIou: 'best_val_iou',
  test: 'test_metrics',
  error: 'error',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
  durationSeconds: 'duration_seconds',
};

export function updateRun(db: Db, id: number, patch: RunPatch): Run {
  const keys = (Object.keys(patch) as (keyof RunPatch)[]).filter((k) => patch[k] !== undefined);
  if (keys.length > 0) {
    // Objects are stored as JSON; null clears the column.
    const values = keys.map((k) =>
      typeof patch[k] === 'object' && patch[k] !== null ? JSON.stringify(patch[k]) : patch[k],
    );
    const sets = keys.map((k) => `${PATCH_COLUMNS[k]} = ?`).join(', ');
    const { changes } = db.prepare(`UPDATE runs SET ${sets} WHERE id = ?`).run(...values, id);
    if (changes === 0) throw new ApiError('not-found', `Run ${id} does not exist.`);
  }
  return getRun(db, id);
}

/**
 * Moves a run to `status` only if it is currently in one of `from` (and, given `pid`,
 * its row still names that process); returns whether it did. The one writer of a run's
 * status: two processes (engine, trainer, CLI) may race to settle a run, and the first
 * one wins.
 */
export function transitionRun(
  db: Db,
  id: number,
  from: readonly RunStatus[],
  patch: RunPatch & { status: RunStatus },
  pid?: number | null,
): boolean {
  return writeTransaction(db, () => {
    const row = db.prepare('SELECT status, pid FROM runs WHERE id = ?').get(id) as
      { status: RunStatus; pid: number | null } | undefined;
    if (!row || !from.includes(row.status)) return false;
    if (pid !== undefined && row.pid !== pid) return false;
    updateRun(db, id, patch);
    return true;
  });
}

/**
 * A run whose training process is gone (killed, crashed, its parent gone) was cut short:
 * 'interrupted', resumable from its last checkpoint. With `pid`, only while the row still
 * names that process (a run resumed meanwhile by another one is left alone).
 */
export function interruptRun(
  db: Db,
  id: number,
  options: { from?: readonly RunStatus[]; pid?: number | null; error?: string } = {},
): boolean {
  return transitionRun(
    db,
    id,
    options.from ?? ['running'],
    { status: 'interrupted', pid: null, error: options.error ?? INTERRUPTED_MESSAGE },
    options.pid,
  );
}

export function deleteRun(db: Db, id: number): void {
  db.prepare('DELETE FROM runs WHERE id = ?').run(id);
}

interface EpochRow {
  epoch: number;
  train_loss: number;
  val_loss: number;
  val_iou: number;
  images_per_second: number;
  seconds: number;
}

export function listEpochs(db: Db, runId: number): EpochMetrics[] {
  const rows = db
    .prepare('SELECT * FROM run_epochs WHERE run_id = ? ORDER BY epoch')
    .all(runId) as EpochRow[];
  return rows.map((r) => ({
    epoch: r.epoch,
    trainLoss: r.train_loss,
    valLoss: r.val_loss,
    valIou: r.val_iou,
    imagesPerSecond: r.images_per_second,
    seconds: r.seconds,
  }));
}

/** Records a finished epoch and the run's progress counters in one transaction. */
export function recordEpoch(
  db: Db,
  runId: number,
  metrics: EpochMetrics,
  bestValIou: number | null,
): void {
  writeTransaction(db, () => {
    db.prepare(
      `INSERT OR REPLACE INTO run_epochs
         (run_id, epoch, train_loss, val_loss, val_iou, images_per_second, seconds)
       VALUES (?, ?, ?, ?, ?, ?, ?)`,
    ).run(
      runId,
      metrics.epoch,
      metrics.trainLoss,
      metrics.valLoss,
      metrics.valIou,
      metrics.imagesPerSecond,
      metrics.seconds,
    );
    db.prepare('UPDATE runs SET epochs_done = ?, best_val_iou = ? WHERE id = ?').run(
      metrics.epoch,
      bestValIou,
      runId,
    );
  });
}

/**
 * Drops curve points newer than the checkpoint a resumed run restarts from: they
 * describe weights that no longer exist.
 */
export function truncateEpochs(db: Db, runId: number, lastKept: number): void {
  writeTransaction(db, () => {
    db.prepare('DELETE FROM run_epochs WHERE run_id = ? AND epoch > ?').run(runId, lastKept);
    db.prepare('UPDATE runs SET epochs_done = ? WHERE id = ?').run(lastKept, runId);
  });
}

export interface RunImageRow extends SegmentationMetrics {
  imageId: number;
  /** Relative to the data folder. */
  prediction: string;
}

/** Replaces a run's per-image test results (a re-evaluation overwrites the old ones). */
export function replaceRunImages(db: Db, runId: number, rows: readonly RunImageRow[]): void {
  const insert = db.prepare(
    `INSERT INTO run_images (run_id, image_id, prediction, iou, dice, accuracy, precision, recall)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
  );
  writeTransaction(db, () => {
    db.prepare('DELETE FROM run_images WHERE run_id = ?').run(runId);
    for (const r of rows) {
      insert.run(runId, r.imageId, r.prediction, r.iou, r.dice, r.accuracy, r.precision, r.recall);
    }
  });
}

/**
 * The probability map a run stored for an image, relative to the data folder: its test
 * prediction, or one made on demand (runs.predict); null when there is neither.
 */
export function findPredictionFile(db: Db, runId: number, imageId: number): string | null {
  const file = db
    .prepare(
      `SELECT prediction FROM run_images WHERE run_id = :runId AND image_id = :imageId
       UNION ALL
       SELECT prediction FROM run_predictions WHERE run_id = :runId AND image_id = :imageId
       LIMIT 1`,
    )
    .pluck()
    .get({ runId, imageId }) as string | undefined;
  return file ?? null;
}

export function getPredictionFile(db: Db, runId: number, imageId: number): string {
  const file = findPredictionFile(db, runId, imageId);
  if (file === null) {
    throw new ApiError('not-found', `Run ${runId} has no prediction for image ${imageId}.`);
  }
  return file;
}

/**
 * Records a prediction made on demand (the test split's come with metrics instead), with
 * its uncertainty for "Label next" (predict/uncertainty.ts).
 */
export function insertPrediction(
  db: Db,
  runId: number,
  imageId: number,
  file: string,
  uncertainty: number | null = null,
): void {
  db.prepare(
    `INSERT INTO run_predictions (run_id, image_id, prediction, uncertainty) VALUES (?, ?, ?, ?)
     ON CONFLICT (run_id, image_id) DO UPDATE
       SET prediction = excluded.prediction, uncertainty = excluded.uncertainty,
         created_at = strftime('%Y-%m-%dT%H:%M:%fZ')`,
  ).run(runId, imageId, file, uncertainty);
}

const stemOrder = new Intl.Collator('en', { numeric: true }).compare;

export interface StoredPrediction extends ImageMetrics {
  prediction: string;
}

export function listRunImages(db: Db, runId: number): StoredPrediction[] {
  const rows = db
    .prepare(
      `SELECT run_images.*, images.stem FROM run_images
       JOIN images ON images.id = run_images.image_id
       WHERE run_id = ?`,
    )
    .all(runId) as (RunImageRow & { image_id: number; stem: string })[];
  return rows
    .sort((a, b) => stemOrder(a.stem, b.stem))
    .map((r) => ({
      imageId: r.image_id,
      stem: r.stem,
      prediction: r.prediction,
      iou: r.iou,
      dice: r.dice,
      accuracy: r.accuracy,
      precision: r.precision,
      recall: r.recall,
    }));
}

/**
 * A 'running' row whose process is gone was killed (crash, power loss, SIGKILL): it is
 * interrupted and can resume from its last checkpoint. Never 'finished'.
 */
export function markDeadRunsInterrupted(db: Db, isAlive = isProcessAlive): Run[] {
  const settled: Run[] = [];
  for (const run of listRuns(db, { status: 'running' })) {
    const pid = runPid(db, run.id);
    if (pid !== null && isAlive(pid)) continue;
    // Only while the row names the dead process: a run resumed meanwhile is left alone.
    if (interruptRun(db, run.id, { pid })) settled.push(getRun(db, run.id));
  }
  return settled;
}

export const INTERRUPTED_MESSAGE =
  'The training process stopped unexpectedly; resuming continues from the last checkpoint.';
