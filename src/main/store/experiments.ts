// Experiments in the store: one row per protocol (the migration-3 table). Their cells
// are the runs that carry the experiment's group id (experiment/cells.ts).
import type { Experiment, ExperimentGrid, Protocol } from '#shared/api/experiments';
import { ApiError } from '#shared/errors';
import { type Db, writeTransaction } from './database';

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
  // Grids stored before the real sparsity axis or the labelled axis existed have none.
  const grid = JSON.parse(row.grid) as Partial<ExperimentGrid> &
    Omit<ExperimentGrid, 'sparsityAxis' | 'labelledCounts'>;
  return {
    id: row.id,
    name: row.name,
    protocol: JSON.parse(row.protocol) as Protocol,
    grid: {
      ...grid,
      sparsityAxis: grid.sparsityAxis ?? null,
      labelledCounts: grid.labelledCounts ?? null,
    },
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

/** The ids of the runs grouped under an experiment, oldest first. */
export function experimentRunIds(db: Db, groupId: string): number[] {
  return db
    .prepare('SELECT id FROM runs WHERE group_id = ? ORDER BY id')
    .pluck()
    .all(groupId) as number[];
}
