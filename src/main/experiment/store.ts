// Experiments in the store: one row per protocol (the migration-3 table), and their
// cells, read back from the runs that carry the experiment's group id.
import type {
  CellCounts,
  Experiment,
  ExperimentCell,
  ExperimentGrid,
  Protocol,
} from '../../shared/api/experiments';
import { ApiError } from '../../shared/errors';
import type { Run } from '../../shared/domain';
import { type Db, writeTransaction } from '../store/database';
import { createRun, getRun } from '../store/runs';
import { cellConfig, expandGrid, matchRuns } from './grid';

interface ExperimentRow {
  id: number;
  name: string;
  protocol: string;
  grid: string;
  created_at: string;
  updated_at: string;
}

export type ExperimentRecord = Omit<Experiment, 'counts'>;

export function experimentGroupId(id: number): string {
  return `experiment-${id}`;
}

function toRecord(row: ExperimentRow): ExperimentRecord {
  return {
    id: row.id,
    name: row.name,
    protocol: JSON.parse(row.protocol) as Protocol,
    grid: JSON.parse(row.grid) as ExperimentGrid,
    groupId: experimentGroupId(row.id),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

export function getExperimentRecord(db: Db, id: number): ExperimentRecord {
  const row = db.prepare('SELECT * FROM experiments WHERE id = ?').get(id) as
    ExperimentRow | undefined;
  if (!row) throw new ApiError('not-found', `Experiment ${id} does not exist.`);
  return toRecord(row);
}

export function listExperimentRecords(db: Db): ExperimentRecord[] {
  const rows = db.prepare('SELECT * FROM experiments ORDER BY id').all() as ExperimentRow[];
  return rows.map(toRecord);
}

/**
 * The experiment of this protocol (canonical JSON) with its grid set to `grid`, created
 * if there is none: asking again with more seeds or losses extends it, and the cells
 * trained before are reused.
 */
export function saveExperiment(
  db: Db,
  input: { protocol: Protocol; grid: ExperimentGrid; name?: string },
): ExperimentRecord {
  const protocol = JSON.stringify(input.protocol);
  const grid = JSON.stringify(input.grid);
  return writeTransaction(db, () => {
    const existing = db.prepare('SELECT id FROM experiments WHERE protocol = ?').get(protocol) as
      { id: number } | undefined;
    if (existing) {
      db.prepare(
        `UPDATE experiments SET grid = ?, name = COALESCE(?, name),
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?`,
      ).run(grid, input.name ?? null, existing.id);
      return getExperimentRecord(db, existing.id);
    }
    const { lastInsertRowid } = db
      .prepare('INSERT INTO experiments (name, protocol, grid) VALUES (?, ?, ?)')
      .run(input.name ?? protocolName(input.protocol), protocol, grid);
    return getExperimentRecord(db, Number(lastInsertRowid));
  });
}

function protocolName(p: Protocol): string {
  return `${p.size}px · ${p.epochs} epochs · batch ${p.batchSize}`;
}

/** The grid's cells with their runs (null until started). */
export function experimentCells(db: Db, record: ExperimentRecord): ExperimentCell[] {
  const ids = db
    .prepare('SELECT id FROM runs WHERE group_id = ? ORDER BY id')
    .pluck()
    .all(record.groupId) as number[];
  const cells = expandGrid(record.grid);
  const runs = matchRuns(
    cells,
    ids.map((id) => getRun(db, id)),
  );
  return cells.map((cell) => ({ ...cell, run: runs.get(cell.key) ?? null }));
}

export function countCells(cells: readonly ExperimentCell[]): CellCounts {
  const counts: CellCounts = {
    total: cells.length,
    finished: 0,
    running: 0,
    waiting: 0,
    stopped: 0,
  };
  for (const { run } of cells) {
    if (!run || run.status === 'queued') counts.waiting++;
    else if (run.status === 'finished') counts.finished++;
    else if (run.status === 'running') counts.running++;
    else counts.stopped++;
  }
  return counts;
}

export function describeExperiment(db: Db, record: ExperimentRecord): Experiment {
  return { ...record, counts: countCells(experimentCells(db, record)) };
}

/**
 * The cell's run, created queued, named and grouped (so the Runs list shows whose it is)
 * if it has none yet. Looked up again under the write lock: the app's engine and a CLI
 * experiment may both reach an unstarted cell, and it must get one run, not two.
 */
export function createCellRun(db: Db, record: ExperimentRecord, cell: ExperimentCell): Run {
  return writeTransaction(db, () => {
    const existing = experimentCells(db, record).find((c) => c.key === cell.key)?.run;
    return (
      existing ??
      createRun(db, {
        config: cellConfig(record.protocol, cell),
        name: `experiment ${record.id}: ${cell.key}`,
        groupId: record.groupId,
      })
    );
  });
}
