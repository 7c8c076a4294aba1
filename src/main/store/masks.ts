import { isPrelabel, type MaskRevision } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { type Db, writeTransaction } from './database';

export interface MaskRow {
  id: number;
  image_id: number;
  revision: number;
  file: string;
  foreground: number;
  source: MaskRevision['source'];
  created_at: string;
}

export interface NewMask {
  imageId: number;
  /** Relative to the data folder. */
  file: string;
  foreground: number;
  source: MaskRevision['source'];
}

export function toMaskRevision(row: MaskRow): MaskRevision {
  return {
    id: row.id,
    imageId: row.image_id,
    revision: row.revision,
    foreground: row.foreground,
    source: row.source,
    createdAt: row.created_at,
  };
}

/**
 * Adds the image's next revision. With a baseRevision (0 = "there was no mask"), the
 * save is refused with ApiError('conflict') unless that is still the newest one, so
 * two editors never silently overwrite each other.
 */
export function insertMask(
  db: Db,
  mask: NewMask,
  baseRevision: number | null = null,
): MaskRevision {
  return writeTransaction(db, () => {
    const current = db
      .prepare('SELECT COALESCE(MAX(revision), 0) FROM masks WHERE image_id = ?')
      .pluck()
      .get(mask.imageId) as number;
    if (baseRevision !== null && baseRevision !== current) {
      throw new ApiError(
        'conflict',
        `The mask of image ${mask.imageId} is at revision ${current}, not ${baseRevision}: ` +
          'a newer one was saved meanwhile. Reload it before saving.',
      );
    }
    const row = db
      .prepare(
        `INSERT INTO masks (image_id, revision, file, foreground, source)
         VALUES (:imageId, :revision, :file, :foreground, :source) RETURNING *`,
      )
      .get({ ...mask, revision: current + 1 }) as MaskRow;
    return toMaskRevision(row);
  });
}

export function currentMask(db: Db, imageId: number): MaskRevision | null {
  const row = db
    .prepare('SELECT * FROM masks WHERE image_id = ? ORDER BY revision DESC LIMIT 1')
    .get(imageId) as MaskRow | undefined;
  return row ? toMaskRevision(row) : null;
}

/** Every revision of the image's mask, oldest first; the last one is current. */
export function maskHistory(db: Db, imageId: number): MaskRevision[] {
  const rows = db
    .prepare('SELECT * FROM masks WHERE image_id = ? ORDER BY revision')
    .all(imageId) as MaskRow[];
  return rows.map(toMaskRevision);
}

/** The stored PNG of one revision, relative to the data folder. */
export function getMaskFile(db: Db, maskId: number): string {
  const file = db.prepare('SELECT file FROM masks WHERE id = ?').pluck().get(maskId) as
    string | undefined;
  if (file === undefined) throw new ApiError('not-found', `Mask ${maskId} does not exist.`);
  return file;
}

/**
 * Each image whose current mask is a pre-label gets it again as a revision marked
 * 'annotation': the user vouched for it, so it trains. The PNG is shared, not copied
 * (files are content-addressed). Others are skipped.
 */
export function acceptPrelabels(db: Db, imageIds: readonly number[]): MaskRevision[] {
  return writeTransaction(db, () =>
    imageIds.flatMap((imageId) => {
      const row = db
        .prepare('SELECT * FROM masks WHERE image_id = ? ORDER BY revision DESC LIMIT 1')
        .get(imageId) as MaskRow | undefined;
      if (!row || !isPrelabel(row)) return [];
      return [
        insertMask(
          db,
          { imageId, file: row.file, foreground: row.foreground, source: 'annotation' },
          row.revision,
        ),
      ];
    }),
  );
}
