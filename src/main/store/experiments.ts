// Experiments in the store: one row per grid asked for (migration 8). The rows of one
// protocol share their runs: every run of the protocol carries the group id of its first
// row, and each grid's cells are found among them (experiment/cells.ts).
import {
  describeProtocol,
  type Experiment,
  type ExperimentGrid,
  type Protocol,
} from '#shared/api/experiments';
import { ApiError } from '#shared/errors';
import { type Db, writeTransaction } from './database';

interface ExperimentRow {
  id: number;
  name: string;
  protocol: string;
  grid: string;
  created_at: string;
  updated_at: string;
  /** The id of the protocol's first row, whose group id its runs carry. */
  pool: number;
}

export type ExperimentRecord = Omit<Experiment, 'counts' | 'remainingSeconds'>;

export function experimentGroupId(id: number): string {
  return `experiment-${id}`;
}

/** A cell's run is named after the experiment that created it, until renamed. */
export function cellRunName(experimentId: number, cellKey: string): string {
  return `experiment ${experimentId}: ${cellKey}`;
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
    groupId: experimentGroupId(row.pool),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

const SELECT_ROWS = `SELECT e.*, (SELECT MIN(id) FROM experiments p WHERE p.protocol = e.protocol)
  AS pool FROM experiments e`;

export function getExperimentRecord(db: Db, id: number): ExperimentRecord {
  const row = db.prepare(`${SELECT_ROWS} WHERE e.id = ?`).get(id) as ExperimentRow | undefined;
  if (!row) throw new ApiError('not-found', `Experiment ${id} does not exist.`);
  return toRecord(row);
}

export function listExperimentRecords(db: Db): ExperimentRecord[] {
  const rows = db.prepare(`${SELECT_ROWS} ORDER BY e.id`).all() as ExperimentRow[];
  return rows.map(toRecord);
}

/**
 * Stores the grid asked for under its protocol (canonical JSON). Grids of the protocol
 * that it `covers` (every cell of theirs is in the new one) are replaced by it, so asking
 * again with more seeds or losses extends an experiment; another grid is a new
 * experiment beside them. Either way the protocol's runs are shared, so the cells
 * trained before are reused.
 */
export function saveExperiment(
  db: Db,
  input: {
    protocol: Protocol;
    grid: ExperimentGrid;
    name?: string;
    covers: (held: ExperimentGrid) => boolean;
  },
): ExperimentRecord {
  const protocol = JSON.stringify(input.protocol);
  const grid = JSON.stringify(input.grid);
  return writeTransaction(db, () => {
    const held = (
      db
        .prepare(`${SELECT_ROWS} WHERE e.protocol = ? ORDER BY e.id`)
        .all(protocol) as ExperimentRow[]
    ).map(toRecord);
    // The oldest covered row stays (the protocol's first row, whose group id the runs
    // carry, is never deleted: if covered, it is the oldest).
    const [kept, ...merged] = held.filter((record) => input.covers(record.grid));
    if (kept) {
      db.prepare(
        `UPDATE experiments SET grid = ?, name = COALESCE(?, name),
           updated_at = strftime('%Y-%m-%dT%H:%M:%fZ') WHERE id = ?`,
      ).run(grid, input.name ?? null, kept.id);
      const remove = db.prepare('DELETE FROM experiments WHERE id = ?');
      // The merged rows' runs are the kept row's cells now; named after it, no run names
      // an experiment that is gone, or one that later takes its id.
      const rename = db.prepare(
        `UPDATE runs SET name = ? || substr(name, ?) WHERE group_id = ? AND name LIKE ?`,
      );
      const prefix = (id: number) => cellRunName(id, '');
      for (const { id, groupId } of merged) {
        rename.run(prefix(kept.id), prefix(id).length + 1, groupId, `${prefix(id)}%`);
        remove.run(id);
      }
      return getExperimentRecord(db, kept.id);
    }
    const { lastInsertRowid } = db
      .prepare('INSERT INTO experiments (name, protocol, grid) VALUES (?, ?, ?)')
      .run(input.name ?? describeProtocol(input.protocol), protocol, grid);
    return getExperimentRecord(db, Number(lastInsertRowid));
  });
}

/** The ids of the runs grouped under an experiment, oldest first. */
export function experimentRunIds(db: Db, groupId: string): number[] {
  return db
    .prepare('SELECT id FROM runs WHERE group_id = ? ORDER BY id')
    .pluck()
    .all(groupId) as number[];
}
