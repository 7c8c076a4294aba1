// What the data folder's rows point to, for garbage collection (gc.ts): a file no row
// names, or a run folder whose run is gone, can go.
import { thumbPath } from '../files';
import type { Db } from './database';

/**
 * Every stored path a row points to, and the runs that exist. Separate statements are
 * enough: a row added between them names a new file (younger than the cutoff) or one an
 * import just touched, and both are kept by age.
 */
export function references(db: Db): { files: Set<string>; runs: Set<string> } {
  const files = new Set(
    db
      .prepare(
        `SELECT file FROM images UNION SELECT file FROM masks
         UNION SELECT prediction FROM run_images UNION SELECT prediction FROM run_predictions`,
      )
      .pluck()
      .all() as string[],
  );
  for (const file of db.prepare('SELECT file FROM images').pluck().all() as string[]) {
    files.add(thumbPath(file));
  }
  const runs = new Set((db.prepare('SELECT id FROM runs').pluck().all() as number[]).map(String));
  return { files, runs };
}
