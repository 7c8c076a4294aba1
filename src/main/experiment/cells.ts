// An experiment's cells (dataset x model x loss x seed) and their runs: read back from the
// runs that carry the experiment's group id, counted, and created one run per cell.
import type { CellCounts, Experiment, ExperimentCell } from '#shared/api/experiments';
import type { Run } from '#shared/domain';
import { writeTransaction, type Db } from '../store/database';
import { cellRunName, experimentRunIds, type ExperimentRecord } from '../store/experiments';
import { median } from '../compare/descriptive';
import { createRun, getRun } from '../store/runs';
import { cellConfig, expandGrid, matchRuns } from './grid';

/** The grid's cells with their runs (null until started). */
export function experimentCells(db: Db, record: ExperimentRecord): ExperimentCell[] {
  const ids = experimentRunIds(db, record.groupId);
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

/**
 * See Experiment.remainingSeconds; `trainers` shares the work among as many trainers as
 * a runner will keep busy, instead of those running at this moment.
 */
export function remainingSeconds(
  cells: readonly ExperimentCell[],
  trainers = cells.filter((c) => c.run?.status === 'running').length,
): number | null {
  const done = cells.flatMap(({ model, run }) =>
    run?.status === 'finished' && run.durationSeconds !== null
      ? [{ model, seconds: run.durationSeconds }]
      : [],
  );
  const overall = median(done.map((d) => d.seconds));
  if (trainers === 0 || overall === null) return null;
  let left = 0;
  for (const { model, run } of cells) {
    if (run?.status === 'finished') continue;
    const typical = median(done.filter((d) => d.model === model).map((d) => d.seconds)) ?? overall;
    left += Math.max(0, typical - (run?.durationSeconds ?? 0));
  }
  return left / trainers;
}

export function describeExperiment(
  db: Db,
  record: ExperimentRecord,
  cells = experimentCells(db, record),
): Experiment {
  return { ...record, counts: countCells(cells), remainingSeconds: remainingSeconds(cells) };
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
        name: cellRunName(record.id, cell.key),
        groupId: record.groupId,
      })
    );
  });
}
