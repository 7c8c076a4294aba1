// The data folder's file layout. Rows keep paths relative to the data folder, so a
// moved data folder keeps working:
//   files/images/ab/<sha256 of the original bytes>.<png|jpg|webp>
//   files/masks/ab/<sha256 of the stored PNG>.png
//   files/thumbs/<image file's name>.webp
//   files/runs/<run id>/...   (see training/run-files.ts)
// Names are content addresses: writing the same content twice lands on the same file,
// which is what lets an import that died midway be redone without duplicating files.
import { createHash, randomBytes } from 'node:crypto';
import { mkdir, readdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ApiError } from '../shared/errors';
import { isProcessAlive } from './process-alive';
import type { Db } from './store/database';

export type StoredKind = 'images' | 'masks';

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

/** The relative path a content-addressed file of this kind and hash is stored at. */
export function contentPath(kind: StoredKind, hash: string, ext: string): string {
  return ['files', kind, hash.slice(0, 2), `${hash}.${ext}`].join('/');
}

export function thumbPath(imageFile: string): string {
  const name = basename(imageFile).replace(/\.[^.]+$/, '');
  return `files/thumbs/${name}.webp`;
}

/**
 * The absolute path of a stored relative path. Rows come from our own writes, but a
 * path that escapes the data folder is refused rather than served.
 */
export function absolutePath(dataDir: string, file: string): string {
  const root = resolve(dataDir);
  const abs = resolve(root, file);
  const rel = relative(root, abs);
  if (rel === '' || rel.startsWith('..' + sep) || rel === '..' || isAbsolute(rel)) {
    throw new ApiError('invalid', `Stored path "${file}" is outside the data folder.`);
  }
  return abs;
}

/**
 * Writes bytes under their content address unless a complete copy is there already
 * (atomic writes mean a file at its final name is always complete). Returns the
 * relative path.
 */
export async function storeContent(
  dataDir: string,
  kind: StoredKind,
  bytes: Uint8Array,
  ext: string,
  hash = sha256(bytes),
): Promise<string> {
  const file = contentPath(kind, hash, ext);
  const abs = absolutePath(dataDir, file);
  const existing = await stat(abs).catch(() => null);
  if (existing?.size !== bytes.byteLength) await writeFileAtomic(abs, bytes);
  return file;
}

/**
 * Writes through a temporary file and a rename, so a crash or a full disk never leaves
 * a partial file under the final name. Failures become ApiError('io') naming the path.
 */
export async function writeFileAtomic(abs: string, bytes: Uint8Array): Promise<void> {
  const tmp = `${abs}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    await mkdir(dirname(abs), { recursive: true });
    await writeFile(tmp, bytes, { flush: true });
    await rename(tmp, abs);
  } catch (error) {
    await rm(tmp, { force: true }).catch(() => undefined);
    throw ioError('write', abs, error);
  }
}

/** `<final name>.<writer's pid>.<random>.tmp`, as writeFileAtomic names them. */
const TEMP_NAME = /\.(\d+)\.[0-9a-f]{8}\.tmp$/;

/**
 * Removes the temporary files of writers that are gone: a process killed between a
 * write and its rename leaves one behind, never referenced by a row. A live writer's
 * are left alone, so this is safe while the CLI or a trainer writes the same folder.
 * Returns how many it removed.
 */
export async function sweepStaleTempFiles(
  dataDir: string,
  isAlive: (pid: number) => boolean = isProcessAlive,
): Promise<number> {
  const root = join(dataDir, 'files');
  const names = await readdir(root, { recursive: true }).catch(() => [] as string[]);
  const stale = names.filter((name) => {
    const pid = TEMP_NAME.exec(name)?.[1];
    return pid !== undefined && !isAlive(Number(pid));
  });
  await Promise.all(stale.map((name) => rm(join(root, name), { force: true })));
  return stale.length;
}

/** Removes stored files and folders (relative paths), ignoring ones already gone. */
export async function removeFiles(dataDir: string, files: Iterable<string>): Promise<void> {
  for (const file of files) {
    const abs = absolutePath(dataDir, file);
    await rm(abs, { force: true, recursive: true }).catch((error: unknown) => {
      throw ioError('remove', abs, error);
    });
  }
}

export function ioError(action: string, path: string, error: unknown): ApiError {
  return new ApiError('io', `Cannot ${action} ${path}: ${fsReason(error)}.`);
}

/** A file-system error in words for people. */
export function fsReason(error: unknown): string {
  switch ((error as NodeJS.ErrnoException | null)?.code) {
    case 'ENOSPC':
      return 'the disk is full';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied';
    case 'EROFS':
      return 'the file system is read-only';
    case 'ENOENT':
      return 'it does not exist';
    case 'EISDIR':
      return 'it is a folder';
    default:
      return error instanceof Error ? error.message : String(error);
  }
}

/**
 * Runs a store write, turning SQLite's storage failures (full disk, read-only or vanished
 * file) into ApiError('io') naming the database file. SQLite rolls the transaction back.
 */
export function withStoreErrors<T>(db: Db, write: () => T): T {
  try {
    return write();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (typeof code === 'string' && /^SQLITE_(FULL|IOERR|READONLY|CANTOPEN)/.test(code)) {
      const why = code === 'SQLITE_FULL' ? 'the disk is full' : (error as Error).message;
      throw new ApiError('io', `Cannot write ${db.name}: ${why}.`);
    }
    throw error;
  }
}
