import type { ImageRecord } from '../../shared/domain';
import { ApiError } from '../../shared/errors';
import { SPLITS, type Split } from '../../shared/ids';
import type { Db } from './database';
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
    file: row.file,
    sha256: row.sha256,
    originalName: row.original_name,
    maskFile: row.mask_file,
  };
}

export function toImageRecord(image: StoredImage): ImageRecord {
  const { id, datasetId, stem, split, width, height, mask } = image;
  return { id, datasetId, stem, split, width, height, mask };
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
