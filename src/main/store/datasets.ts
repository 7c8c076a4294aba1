import type { Dataset } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { type Db, writeTransaction } from './database';
import { isProcessAlive } from '../process-alive';

interface DatasetRow {
  id: number;
  name: string;
  created_at: string;
  image_count: number;
  masked_count: number;
  prelabelled_count: number;
  foreground: number | null;
  train: number;
  test: number;
  unassigned: number;
  test_in_train: number;
}

// One statement for every dataset with its counts. `current` picks each image's newest
// mask revision: with MAX() SQLite takes the bare columns from the row holding the max.
// `repeats` counts test images with the same bytes as an image that may train (train or
// unassigned, not excluded): the importer's duplicate warning, kept where Train and
// Compare can say it.
const SELECT_DATASETS = `
  WITH current AS (
    SELECT image_id, foreground, source, MAX(revision) AS revision FROM masks GROUP BY image_id
  ),
  trained AS (
    SELECT DISTINCT dataset_id, sha256 FROM images WHERE split != 'test' AND NOT excluded
  ),
  repeats AS (
    SELECT t.dataset_id, COUNT(*) AS n FROM images t
    JOIN trained r ON r.dataset_id = t.dataset_id AND r.sha256 = t.sha256
    WHERE t.split = 'test' AND NOT t.excluded
    GROUP BY t.dataset_id
  )
  SELECT d.id, d.name, d.created_at,
    COUNT(i.id) AS image_count,
    COUNT(c.image_id) AS masked_count,
    COALESCE(SUM(c.source = 'prediction'), 0) AS prelabelled_count,
    -- A run's pre-label says what the model saw, not what the target is.
    AVG(CASE WHEN c.source != 'prediction' THEN c.foreground END) AS foreground,
    COALESCE(SUM(i.split = 'train'), 0) AS train,
    COALESCE(SUM(i.split = 'test'), 0) AS test,
    COALESCE(SUM(i.split = 'unassigned'), 0) AS unassigned,
    COALESCE(MAX(rp.n), 0) AS test_in_train
  FROM datasets d
  LEFT JOIN images i ON i.dataset_id = d.id
  LEFT JOIN current c ON c.image_id = i.id
  LEFT JOIN repeats rp ON rp.dataset_id = d.id`;

function toDataset(row: DatasetRow): Dataset {
  return {
    id: row.id,
    name: row.name,
    createdAt: row.created_at,
    imageCount: row.image_count,
    maskedCount: row.masked_count,
    prelabelledCount: row.prelabelled_count,
    foreground: row.foreground,
    splits: { train: row.train, test: row.test, unassigned: row.unassigned },
    testInTrain: row.test_in_train,
  };
}

export function listDatasets(db: Db): Dataset[] {
  const rows = db
    .prepare(`${SELECT_DATASETS} GROUP BY d.id ORDER BY d.name COLLATE NOCASE, d.id`)
    .all() as DatasetRow[];
  return rows.map(toDataset);
}

/** Throws ApiError('not-found') when there is no such dataset. */
export function getDataset(db: Db, id: number): Dataset {
  const row = db.prepare(`${SELECT_DATASETS} WHERE d.id = ? GROUP BY d.id`).get(id) as
    DatasetRow | undefined;
  if (!row) throw new ApiError('not-found', `Dataset ${id} does not exist.`);
  return toDataset(row);
}

/** Names compare case-insensitively, as the schema's unique index does. */
export function findDatasetId(db: Db, name: string): number | null {
  const row = db.prepare('SELECT id FROM datasets WHERE name = ?').get(name.trim()) as
    { id: number } | undefined;
  return row?.id ?? null;
}

/**
 * A dataset named on the command line or in an experiment: digits are an id, anything
 * else a name. Throws ApiError('not-found') saying where to find or add one.
 */
export function resolveDatasetId(db: Db, target: string): number {
  const text = target.trim();
  if (/^\d+$/.test(text)) return getDataset(db, Number(text)).id;
  const id = findDatasetId(db, text);
  if (id === null) {
    throw new ApiError(
      'not-found',
      `There is no dataset named "${text}": \`jaccard datasets\` lists them, the Datasets ` +
        `view or \`jaccard import <folder> --name ${text}\` adds one.`,
    );
  }
  return id;
}

/** Throws ApiError('conflict') when the name is taken. */
export function createDataset(db: Db, name: string): Dataset {
  const trimmed = name.trim();
  try {
    const { lastInsertRowid } = db.prepare('INSERT INTO datasets (name) VALUES (?)').run(trimmed);
    return getDataset(db, Number(lastInsertRowid));
  } catch (error) {
    throw nameConflict(error, trimmed);
  }
}

export function renameDataset(db: Db, id: number, name: string): Dataset {
  const trimmed = name.trim();
  try {
    const { changes } = db.prepare('UPDATE datasets SET name = ? WHERE id = ?').run(trimmed, id);
    if (changes === 0) throw new ApiError('not-found', `Dataset ${id} does not exist.`);
  } catch (error) {
    throw nameConflict(error, trimmed);
  }
  return getDataset(db, id);
}

/**
 * Deletes the dataset with its images, masks and runs (the schema cascades). Refused
 * with ApiError('busy') while one of its runs is queued or training. Returns the ids of
 * the runs deleted and the stored files those rows referenced that no remaining row
 * references, for the caller to remove once the transaction is committed.
 */
export function deleteDataset(db: Db, id: number): { files: string[]; runIds: number[] } {
  return writeTransaction(db, () => {
    const runs = db.prepare('SELECT id, status, pid FROM runs WHERE dataset_id = ?').all(id) as {
      id: number;
      status: string;
      pid: number | null;
    }[];
    const active = runs.filter(
      (r) =>
        r.status === 'queued' ||
        (r.status === 'running' && (r.pid === null || isProcessAlive(r.pid))),
    );
    if (active.length > 0) {
      throw new ApiError(
        'busy',
        `Dataset ${id} has ${active.length} run(s) queued or training ` +
          `(${active.map((r) => r.id).join(', ')}); stop them before deleting it.`,
      );
    }
    const files = db
      .prepare(
        `SELECT file FROM images WHERE dataset_id = :id
         UNION SELECT m.file FROM masks m JOIN images i ON i.id = m.image_id WHERE i.dataset_id = :id
         UNION SELECT r.prediction FROM run_images r JOIN images i ON i.id = r.image_id
           WHERE i.dataset_id = :id`,
      )
      .pluck()
      .all({ id }) as string[];
    const { changes } = db.prepare('DELETE FROM datasets WHERE id = ?').run(id);
    if (changes === 0) throw new ApiError('not-found', `Dataset ${id} does not exist.`);
    // IN (subquery) gets a transient index, so this stays linear in the row count.
    const stillUsed = new Set(
      db
        .prepare(
          `SELECT value FROM json_each(?)
           WHERE value IN (SELECT file FROM images)
              OR value IN (SELECT file FROM masks)
              OR value IN (SELECT prediction FROM run_images)`,
        )
        .pluck()
        .all(JSON.stringify(files)) as string[],
    );
    return { files: files.filter((f) => !stillUsed.has(f)), runIds: runs.map((r) => r.id) };
  });
}

function nameConflict(error: unknown, name: string): unknown {
  const code = (error as { code?: string } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE'
    ? new ApiError('conflict', `A dataset named "${name}" already exists.`)
    : error;
}
