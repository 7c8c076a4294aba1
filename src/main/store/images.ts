import { type ImageRecord, needsPerson } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { SPLITS, type Split } from '#shared/ids';
import { type Db, writeTransaction } from './database';
import { toMaskRevision, type MaskRow } from './masks';

export interface NewImage {
  stem: string;
  split: Split;
  /** The stored copy, relative to the data folder. */
  file: string;
  /** Where it came from, relative to the imported folder. */
  originalName: string;
  width: number;
  height: number;
  /** Of the original bytes. */
  sha256: string;
}

/** An image as the main side sees it: the record plus where its files are. */
export interface StoredImage extends ImageRecord {
  file: string;
  sha256: string;
  originalName: string;
  /** The current mask's PNG, relative to the data folder. */
  maskFile: string | null;
}

interface ImageRow {
  id: number;
  dataset_id: number;
  stem: string;
  split: Split;
  file: string;
  original_name: string;
  width: number;
  height: number;
  sha256: string;
  excluded: 0 | 1;
  mask_id: number | null;
  mask_revision: number | null;
  mask_file: string | null;
  mask_foreground: number | null;
  mask_source: MaskRow['source'] | null;
  mask_created_at: string | null;
}

// Each image with its newest mask revision (the UNIQUE (image_id, revision) index makes
// the correlated MAX a lookup).
const SELECT_IMAGES = `
  SELECT i.*, m.id AS mask_id, m.revision AS mask_revision, m.file AS mask_file,
    m.foreground AS mask_foreground, m.source AS mask_source, m.created_at AS mask_created_at
  FROM images i
  LEFT JOIN masks m ON m.image_id = i.id
    AND m.revision = (SELECT MAX(revision) FROM masks WHERE image_id = i.id)`;

function toStoredImage(row: ImageRow): StoredImage {
  const mask =
    row.mask_id === null
      ? null
      : toMaskRevision({
          id: row.mask_id,
          image_id: row.id,
          revision: row.mask_revision!,
          file: row.mask_file!,
          foreground: row.mask_foreground!,
          source: row.mask_source!,
          created_at: row.mask_created_at!,
        });
  return {
    id: row.id,
    datasetId: row.dataset_id,
    stem: row.stem,
    split: row.split,
    width: row.width,
    height: row.height,
    mask,
    excluded: row.excluded === 1,
    file: row.file,
    sha256: row.sha256,
    originalName: row.original_name,
    maskFile: row.mask_file,
  };
}

export function toImageRecord(image: StoredImage): ImageRecord {
  const { id, datasetId, stem, split, width, height, mask, excluded } = image;
  return { id, datasetId, stem, split, width, height, mask, excluded };
}

const stemOrder = new Intl.Collator('en', { numeric: true }).compare;

/** A dataset's images in split order (train, test, unassigned), stems in natural order. */
export function listStoredImages(
  db: Db,
  datasetId: number,
  filter: 'all' | 'needs-mask' = 'all',
): StoredImage[] {
  const where = filter === 'needs-mask' ? 'AND m.id IS NULL' : '';
  const rows = db
    .prepare(`${SELECT_IMAGES} WHERE i.dataset_id = ? ${where}`)
    .all(datasetId) as ImageRow[];
  return rows
    .map(toStoredImage)
    .sort((a, b) => SPLITS.indexOf(a.split) - SPLITS.indexOf(b.split) || stemOrder(a.stem, b.stem));
}

export function listImages(
  db: Db,
  datasetId: number,
  filter: 'all' | 'needs-mask' = 'all',
): ImageRecord[] {
  return listStoredImages(db, datasetId, filter).map(toImageRecord);
}

/** Throws ApiError('not-found') when there is no such image. */
export function getStoredImage(db: Db, id: number): StoredImage {
  const row = db.prepare(`${SELECT_IMAGES} WHERE i.id = ?`).get(id) as ImageRow | undefined;
  if (!row) throw new ApiError('not-found', `Image ${id} does not exist.`);
  return toStoredImage(row);
}

export function getImage(db: Db, id: number): ImageRecord {
  return toImageRecord(getStoredImage(db, id));
}

/** Callers wrap several inserts in one transaction; the unique keys reject duplicates. */
export function insertImage(db: Db, datasetId: number, image: NewImage): number {
  const { lastInsertRowid } = db
    .prepare(
      `INSERT INTO images (dataset_id, stem, split, file, original_name, width, height, sha256)
       VALUES (:datasetId, :stem, :split, :file, :originalName, :width, :height, :sha256)`,
    )
    .run({ datasetId, ...image });
  return Number(lastInsertRowid);
}

/** What a dataset already holds, keyed the way its unique constraints are. */
export interface ImageKeys {
  /** `${split}/${stem}` -> original name */
  stems: Map<string, string>;
  /** sha256 -> split -> original name */
  hashes: Map<string, Map<Split, string>>;
}

export function imageKeys(db: Db, datasetId: number): ImageKeys {
  const rows = db
    .prepare('SELECT split, stem, sha256, original_name FROM images WHERE dataset_id = ?')
    .all(datasetId) as { split: Split; stem: string; sha256: string; original_name: string }[];
  const keys: ImageKeys = { stems: new Map(), hashes: new Map() };
  for (const row of rows) addImageKey(keys, row.split, row.stem, row.sha256, row.original_name);
  return keys;
}

export function addImageKey(
  keys: ImageKeys,
  split: Split,
  stem: string,
  sha256: string,
  originalName: string,
): void {
  keys.stems.set(`${split}/${stem}`, originalName);
  const splits = keys.hashes.get(sha256) ?? new Map<Split, string>();
  splits.set(split, originalName);
  keys.hashes.set(sha256, splits);
}

/**
 * Moves images to a split and/or (un)excludes them, all or none. A move that would put
 * two copies of one image, or two images of one name, in a split is refused.
 */
export function assignImages(
  db: Db,
  ids: readonly number[],
  change: { split?: Split; excluded?: boolean },
): StoredImage[] {
  return writeTransaction(db, () => {
    const images = ids.map((id) => getStoredImage(db, id));
    const datasets = new Set(images.map((i) => i.datasetId));
    if (datasets.size > 1) throw new ApiError('invalid', 'The images are in different datasets.');
    const update = db.prepare(
      `UPDATE images SET split = COALESCE(:split, split),
         excluded = COALESCE(:excluded, excluded) WHERE id = :id`,
    );
    for (const image of images) {
      try {
        update.run({
          id: image.id,
          split: change.split ?? null,
          excluded: change.excluded === undefined ? null : Number(change.excluded),
        });
      } catch (error) {
        if ((error as { code?: string }).code !== 'SQLITE_CONSTRAINT_UNIQUE') throw error;
        throw new ApiError(
          'conflict',
          `"${image.stem}" cannot move to ${change.split}: that split already has an image ` +
            'of that name or the same pixels.',
        );
      }
    }
    return ids.map((id) => getStoredImage(db, id));
  });
}

/**
 * Deletes images with their masks and predictions (the schema cascades). Returns the
 * stored files no remaining row references, for the caller to remove after the commit.
 */
export function deleteImages(db: Db, ids: readonly number[]): { deleted: number; files: string[] } {
  return writeTransaction(db, () => {
    const list = JSON.stringify(ids);
    const files = db
      .prepare(
        `SELECT file FROM images WHERE id IN (SELECT value FROM json_each(:list))
         UNION SELECT file FROM masks WHERE image_id IN (SELECT value FROM json_each(:list))
         UNION SELECT prediction FROM run_images WHERE image_id IN (SELECT value FROM json_each(:list))
         UNION SELECT prediction FROM run_predictions
           WHERE image_id IN (SELECT value FROM json_each(:list))`,
      )
      .pluck()
      .all({ list }) as string[];
    const { changes } = db
      .prepare('DELETE FROM images WHERE id IN (SELECT value FROM json_each(?))')
      .run(list);
    // Content-addressed files may be shared: another image with the same pixels or mask.
    const stillUsed = new Set(
      db
        .prepare(
          `SELECT value FROM json_each(?)
           WHERE value IN (SELECT file FROM images) OR value IN (SELECT file FROM masks)
              OR value IN (SELECT prediction FROM run_images)
              OR value IN (SELECT prediction FROM run_predictions)`,
        )
        .pluck()
        .all(JSON.stringify(files)) as string[],
    );
    return { deleted: changes, files: files.filter((f) => !stillUsed.has(f)) };
  });
}

/**
 * The dataset's images that need a person, not excluded: no mask yet, or a pre-label
 * nobody has accepted or corrected; with the uncertainty of their newest pre-label.
 */
export function imagesToLabel(
  db: Db,
  datasetId: number,
): { image: StoredImage; uncertainty: number | null; runId: number | null }[] {
  const latest = db.prepare(
    `SELECT run_id AS runId, uncertainty FROM run_predictions
     WHERE image_id = ? AND uncertainty IS NOT NULL ORDER BY created_at DESC LIMIT 1`,
  );
  return listStoredImages(db, datasetId)
    .filter(needsPerson)
    .map((image) => {
      const row = latest.get(image.id) as { runId: number; uncertainty: number } | undefined;
      return { image, uncertainty: row?.uncertainty ?? null, runId: row?.runId ?? null };
    });
}
