// Builds a ComparisonResult from the store: groups runs into arms (same settings but the
// seed), lines up their per-image scores on the test images they all share, and tests
// every pair of arms across images and across seeds.
import type {
  ArmComparison,
  ComparedRun,
  ComparisonArm,
  ComparisonImage,
  ComparisonResult,
  Disagreement,
  MeanSd,
  MetricName,
} from '#shared/api/compare';
import { METRIC_NAMES } from '#shared/api/compare';
import type { ImageMetrics, Run, SegmentationMetrics, TrainConfig } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { inputOf, inputShort, type InputMode } from '#shared/input';
import type { DataContext } from '../context';
import { listStoredImages } from '../store/images';
import { getRun, listEpochs, listRunImages } from '../store/runs';
import { scoreStoredPredictions, type Evaluation } from '../training/scoring';
import { mean, meanSd } from './descriptive';
import { comparePaired } from './stats';

/** The threshold the trainer scored run_images and runs.test_metrics at. */
export const STORED_THRESHOLD = 0.5;

interface Scores {
  images: ImageMetrics[];
  pooled: SegmentationMetrics;
}

export async function computeComparison(
  ctx: DataContext,
  runIds: readonly number[],
  threshold = STORED_THRESHOLD,
): Promise<ComparisonResult> {
  if (runIds.length < 2) throw new ApiError('invalid', 'Pick at least two runs to compare.');
  if (new Set(runIds).size !== runIds.length)
    throw new ApiError('invalid', 'A run is listed twice.');
  const runs = runIds.map((id) => getRun(ctx.db, id));
  const scores = await Promise.all(runs.map((run) => scoreRun(ctx, run, threshold)));
  const notes: string[] = [];
  if (threshold !== STORED_THRESHOLD) {
    notes.push(
      `Metrics were recomputed at threshold ${threshold} from the stored predictions, against the current masks.`,
    );
  }

  const common = commonImages(runs, scores, notes);
  const grouping = groupArms(runs, notes);
  const arms = describeArms(runs, scores, grouping);
  const labels = runLabels(runs, grouping.armOf, arms);
  const compared: ComparedRun[] = runs.map((run, r) => ({
    run,
    label: labels[r]!,
    arm: grouping.armOf[r]!,
    metrics: scores[r]!.pooled,
    epochs: listEpochs(ctx.db, run.id),
  }));

  const foreground = foregroundByImage(ctx, runs);
  const byRun = scores.map((s) => new Map(s.images.map((m) => [m.imageId, m.iou])));
  const images: ComparisonImage[] = common.map(({ imageId, stem }) => {
    const iou = byRun.map((m) => m.get(imageId)!);
    return {
      imageId,
      stem,
      foreground: foreground.get(imageId) ?? null,
      iou,
      armIou: arms.map((arm) => mean(arm.runIndices.map((r) => iou[r]!))!),
    };
  });

  const tests: ArmComparison[] = [];
  for (let a = 0; a < arms.length; a++) {
    for (let b = a + 1; b < arms.length; b++) {
      tests.push(compareArms(arms, images, compared, a, b));
    }
  }

  return {
    threshold,
    runs: compared,
    arms: arms.map(({ runIndices: _, ...arm }) => arm),
    images,
    tests,
    notes,
    computedAt: new Date().toISOString(),
  };
}

async function scoreRun(ctx: DataContext, run: Run, threshold: number): Promise<Scores> {
  const stored = listRunImages(ctx.db, run.id);
  if (stored.length === 0 || !run.test) {
    throw new ApiError(
      'invalid',
      `Run ${run.id} ("${run.name}") has no test results yet (it is ${run.status}).`,
    );
  }
  if (threshold === STORED_THRESHOLD) return { images: stored, pooled: run.test };
  const evaluation = await rescore(ctx, run, threshold);
  if (!evaluation.pooled) {
    throw new ApiError(
      'invalid',
      `Run ${run.id} ("${run.name}") has no masked test images to score.`,
    );
  }
  return { images: evaluation.images, pooled: evaluation.pooled };
}

// The evaluator keeps what it decodes (see training/prediction-histograms.ts), so a
// threshold slider costs a decode per prediction once, then next to nothing.
async function rescore(ctx: DataContext, run: Run, threshold: number): Promise<Evaluation> {
  return scoreStoredPredictions(ctx.db, ctx.dataDir, run.id, threshold);
}

const stemOrder = new Intl.Collator('en', { numeric: true }).compare;

/** The test images every run was scored on, by stem; notes what each run loses. */
function commonImages(
  runs: readonly Run[],
  scores: readonly Scores[],
  notes: string[],
): { imageId: number; stem: string }[] {
  const sets = scores.map((s) => new Set(s.images.map((m) => m.imageId)));
  const common = scores[0]!.images.filter((m) => sets.every((set) => set.has(m.imageId)));
  if (common.length === 0) {
    throw new ApiError(
      'invalid',
      'These runs share no test images (are they on different datasets?); pick runs evaluated on the same images.',
    );
  }
  runs.forEach((run, r) => {
    const extra = sets[r]!.size - common.length;
    if (extra > 0) {
      notes.push(
        `Run ${run.id} ("${run.name}") was scored on ${extra} test image(s) the other runs lack; ` +
          'they are left out of the per-image table and tests (pooled metrics still include them).',
      );
    }
  });
  return common
    .map(({ imageId, stem }) => ({ imageId, stem }))
    .sort((a, b) => stemOrder(a.stem, b.stem));
}

function withoutSeed(config: TrainConfig): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(config)
      .filter(([k, v]) => k !== 'seed' && v !== undefined)
      .sort(([a], [b]) => a.localeCompare(b)),
  );
}

interface Grouping {
  /** Arm index of each run. */
  armOf: number[];
  /** Every run is its own arm, told apart by seed if anything. */
  byRun: boolean;
}

/** Runs whose settings match except the seed share an arm. */
function groupArms(runs: readonly Run[], notes: string[]): Grouping {
  const keys = runs.map((run) => JSON.stringify(withoutSeed(run.config)));
  const distinct = [...new Set(keys)];
  if (distinct.length === 1) {
    notes.push('Every run has the same settings, so each run is compared as its own arm.');
    return { armOf: runs.map((_, r) => r), byRun: true };
  }
  return { armOf: keys.map((key) => distinct.indexOf(key)), byRun: false };
}

interface Arm extends ComparisonArm {
  runIndices: number[];
}

function describeArms(runs: readonly Run[], scores: readonly Scores[], grouping: Grouping): Arm[] {
  const members: number[][] = [];
  grouping.armOf.forEach((arm, r) => (members[arm] ??= []).push(r));
  const configs = members.map((m) => runs[m[0]!]!.config);
  // The settings that tell arms apart; the seed only when each run is its own arm.
  const keys = (Object.keys(configs[0]!) as (keyof TrainConfig)[]).filter(
    (k) =>
      (grouping.byRun || k !== 'seed') &&
      new Set(configs.map((c) => JSON.stringify(c[k] ?? null))).size > 1,
  );
  return members.map((runIndices, a) => {
    const config: Partial<TrainConfig> = Object.fromEntries(keys.map((k) => [k, configs[a]![k]]));
    const metrics = Object.fromEntries(
      METRIC_NAMES.map((name) => [name, meanSd(runIndices.map((r) => scores[r]!.pooled[name]))]),
    ) as Record<MetricName, MeanSd>;
    const label = keys.length
      ? keys.map((k) => settingLabel(k, config[k])).join(' · ')
      : `run ${runs[runIndices[0]!]!.id}`;
    return {
      label,
      config,
      runIds: runIndices.map((r) => runs[r]!.id),
      seeds: runIndices.map((r) => runs[r]!.config.seed),
      metrics,
      runIndices,
    };
  });
}

function settingLabel(key: keyof TrainConfig, value: unknown): string {
  if (key === 'loss' || key === 'model') return String(value);
  if (key === 'input') return inputShort(inputOf({ input: value as InputMode | undefined }));
  if (typeof value === 'boolean') return `${key} ${value ? 'on' : 'off'}`;
  return `${key} ${value ?? 'default'}`;
}

/** "iou · seed 2"; a run repeating another's arm and seed also gets its id. */
function runLabels(runs: readonly Run[], armOf: readonly number[], arms: readonly Arm[]): string[] {
  const labels = runs.map((run, r) => {
    const arm = arms[armOf[r]!]!;
    return arm.runIds.length > 1 ? `${arm.label} · seed ${run.config.seed}` : arm.label;
  });
  return labels.map((label, r) =>
    labels.indexOf(label) !== labels.lastIndexOf(label) ? `${label} · run ${runs[r]!.id}` : label,
  );
}

function foregroundByImage(ctx: DataContext, runs: readonly Run[]): Map<number, number> {
  const out = new Map<number, number>();
  for (const datasetId of new Set(runs.map((r) => r.datasetId))) {
    for (const image of listStoredImages(ctx.db, datasetId)) {
      if (image.mask) out.set(image.id, image.mask.foreground);
    }
  }
  return out;
}

/** Pooled IoU per seed, averaged when a seed was run more than once in the arm. */
function iouBySeed(arm: Arm, runs: readonly ComparedRun[]): Map<number, number> {
  const bySeed = new Map<number, number[]>();
  for (const r of arm.runIndices) {
    const { run, metrics } = runs[r]!;
    bySeed.set(run.config.seed, [...(bySeed.get(run.config.seed) ?? []), metrics.iou]);
  }
  return new Map([...bySeed].map(([seed, values]) => [seed, mean(values)!]));
}

function compareArms(
  arms: readonly Arm[],
  images: readonly ComparisonImage[],
  runs: readonly ComparedRun[],
  a: number,
  b: number,
): ArmComparison {
  const seedsA = iouBySeed(arms[a]!, runs);
  const seedsB = iouBySeed(arms[b]!, runs);
  const seeds = [...seedsA.keys()].filter((s) => seedsB.has(s)).sort((x, y) => x - y);
  const disagreements: Disagreement[] = images
    .map((im) => ({
      imageId: im.imageId,
      stem: im.stem,
      a: im.armIou[a]!,
      b: im.armIou[b]!,
      difference: im.armIou[a]! - im.armIou[b]!,
    }))
    .sort((x, y) => Math.abs(y.difference) - Math.abs(x.difference) || stemOrder(x.stem, y.stem));
  return {
    a,
    b,
    acrossImages: comparePaired(
      images.map((im) => im.armIou[a]!),
      images.map((im) => im.armIou[b]!),
    ),
    acrossSeeds: comparePaired(
      seeds.map((s) => seedsA.get(s)!),
      seeds.map((s) => seedsB.get(s)!),
    ),
    disagreements,
  };
}
