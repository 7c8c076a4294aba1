// Saved comparisons: which runs, at which threshold, and the result as it was computed,
// so reopening the app shows the same numbers even after runs are deleted.
import type { ComparisonResult, SavedComparison, SavedComparisonDetail } from '#shared/api/compare';
import { ApiError } from '#shared/errors';
import type { Db } from './database';

interface ComparisonRow {
  id: number;
  name: string;
  run_ids: string;
  settings: string;
  result: string;
  created_at: string;
}

interface Settings {
  threshold: number;
}

function toSaved(row: Omit<ComparisonRow, 'result'>): SavedComparison {
  const settings = JSON.parse(row.settings) as Settings;
  return {
    id: row.id,
    name: row.name,
    runIds: JSON.parse(row.run_ids) as number[],
    threshold: settings.threshold,
    createdAt: row.created_at,
  };
}

export function insertComparison(
  db: Db,
  comparison: { name: string; result: ComparisonResult },
): SavedComparison {
  const { result } = comparison;
  const settings: Settings = { threshold: result.threshold };
  const row = db
    .prepare(
      `INSERT INTO comparisons (name, run_ids, settings, result) VALUES (?, ?, ?, ?)
       RETURNING id, name, run_ids, settings, created_at`,
    )
    .get(
      comparison.name,
      JSON.stringify(result.runs.map((r) => r.run.id)),
      JSON.stringify(settings),
      JSON.stringify(result),
    ) as Omit<ComparisonRow, 'result'>;
  return toSaved(row);
}

/** Newest first; without the stored results, which can be large. */
export function listComparisons(db: Db): SavedComparison[] {
  const rows = db
    .prepare(
      'SELECT id, name, run_ids, settings, created_at FROM comparisons ORDER BY created_at DESC, id DESC',
    )
    .all() as Omit<ComparisonRow, 'result'>[];
  return rows.map(toSaved);
}

export function getComparison(db: Db, id: number): SavedComparisonDetail {
  const row = db.prepare('SELECT * FROM comparisons WHERE id = ?').get(id) as
    ComparisonRow | undefined;
  if (!row) throw new ApiError('not-found', `Comparison ${id} does not exist.`);
  return { ...toSaved(row), result: JSON.parse(row.result) as ComparisonResult };
}

export function deleteComparison(db: Db, id: number): void {
  const { changes } = db.prepare('DELETE FROM comparisons WHERE id = ?').run(id);
  if (changes === 0) throw new ApiError('not-found', `Comparison ${id} does not exist.`);
}
