// The data folder's file layout. Rows keep paths relative to the data folder, so a
// moved data folder keeps working:
//   files/images/ab/<sha256 of the original bytes>.<png|jpg|webp>
//   files/masks/ab/<sha256 of the stored PNG>.png
//   files/thumbs/<image file's name>.webp
//   files/runs/<run id>/...   (see training/run-files.ts)
// Names are content addresses: writing the same content twice lands on the same file,
// which is what lets an import that died midway be redone without duplicating files.
import { createHash, randomBytes } from 'node:crypto';
import { constants } from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readdir,
  readFile,
  rename,
  rm,
  stat,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from 'node:path';
import { ApiError } from '#shared/errors';
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
  // A reused file gets a fresh time, so garbage collection (gc.ts) sees it as this
  // writer's and leaves it until the writer's rows are in.
  else await utimes(abs, new Date(), new Date()).catch(() => undefined);
  return file;
}

/** The largest file an import reads: far beyond any real image, short of exhausting memory. */
export const MAX_SOURCE_BYTES = 512 * 1024 * 1024;

/** Why a user's file was not read, in words for a report. */
export class UnreadableFile extends Error {
  override name = 'UnreadableFile';
}

/**
 * Reads a user's file only when it is a regular file (after links) of at most maxBytes.
 * Checked before opening, since opening a FIFO blocks until a writer comes, and again on
 * the open handle (non-blocking), in case the name was swapped for something else
 * between; so a pipe, a device or a link to /dev/zero is refused, never read.
 */
export async function readRegularFile(
  path: string,
  maxBytes = MAX_SOURCE_BYTES,
): Promise<Uint8Array> {
  const check = (info: { isFile(): boolean; size: number }) => {
    if (!info.isFile()) throw new UnreadableFile('it is not a regular file');
    if (info.size > maxBytes) {
      throw new UnreadableFile(
        `it is ${formatBytes(info.size)}, over the ${formatBytes(maxBytes)} limit`,
      );
    }
  };
  let handle;
  try {
    check(await stat(path));
    handle = await open(path, constants.O_RDONLY | (constants.O_NONBLOCK ?? 0));
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    throw new UnreadableFile(`cannot read the file (${fsReason(error)})`);
  }
  try {
    const info = await handle.stat();
    check(info);
    const bytes = new Uint8Array(info.size);
    let at = 0;
    while (at < bytes.length) {
      const { bytesRead } = await handle.read(bytes, at, bytes.length - at, at);
      if (bytesRead === 0) break;
      at += bytesRead;
    }
    return at === bytes.length ? bytes : bytes.subarray(0, at);
  } catch (error) {
    if (error instanceof UnreadableFile) throw error;
    throw new UnreadableFile(`cannot read the file (${fsReason(error)})`);
  } finally {
    await handle.close();
  }
}

/** Bytes for people, in binary units as limits are set: 512 MiB, 1.5 GiB. */
export function formatBytes(bytes: number): string {
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let value = bytes;
  let unit = 0;
  while (value >= 1024 && unit < units.length - 1) {
    value /= 1024;
    unit++;
  }
  return `${Number(value.toPrecision(3))} ${units[unit]}`;
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

export interface ExportFile {
  /** Relative to the export folder, with forward slashes (`train/1.png`). */
  name: string;
  bytes: Uint8Array;
}

/**
 * Writes files into a folder of the user's, the one way every export does. A file there
 * with the same bytes is left as it is; one with other bytes is a clash, and clashes
 * refuse the whole export before anything is written, unless `overwrite`. Links are never
 * written through: an existing link at a file's name is a clash, and with `overwrite` the
 * link itself is replaced (the rename of writeFileAtomic), never its target; a link or
 * file where a subfolder goes is always a clash. Each file goes to a temp name first.
 */
export async function exportToFolder(
  folder: string,
  files: readonly ExportFile[],
  options: { overwrite?: boolean } = {},
): Promise<{ folder: string; written: number }> {
  const target = resolve(folder);
  const clashes: string[] = [];
  const writes: { path: string; bytes: Uint8Array }[] = [];
  const checkedDirs = new Map<string, string | null>();
  for (const { name, bytes } of files) {
    const parts = name.split('/');
    let blocked: string | null = null;
    for (let i = 1; i < parts.length && !blocked; i++) {
      const dir = parts.slice(0, i).join('/');
      if (!checkedDirs.has(dir)) {
        const info = await lstat(join(target, dir)).catch(() => null);
        checkedDirs.set(
          dir,
          !info || info.isDirectory() ? null : info.isSymbolicLink() ? 'a link' : 'a file',
        );
      }
      const what = checkedDirs.get(dir);
      if (what) blocked = `${dir}/ (${what}, not a folder)`;
    }
    if (blocked) {
      clashes.push(blocked);
      continue;
    }
    const path = join(target, ...parts);
    const info = await lstat(path).catch(() => null);
    if (!info) writes.push({ path, bytes });
    else if (info.isDirectory()) clashes.push(`${name} (a folder)`);
    else if (info.isSymbolicLink()) {
      if (options.overwrite) writes.push({ path, bytes });
      else clashes.push(`${name} (a link)`);
    } else if (!(await sameBytes(path, bytes))) {
      if (options.overwrite) writes.push({ path, bytes });
      else clashes.push(name);
    }
  }
  if (clashes.length > 0) {
    const shown = clashes.slice(0, 5).join(', ') + (clashes.length > 5 ? ', …' : '');
    const hint = clashes.some((c) => c.endsWith('not a folder)') || c.endsWith('(a folder)'))
      ? 'Export into another folder.'
      : 'Export into an empty folder, move those files away first, or overwrite them.';
    throw new ApiError(
      'conflict',
      `${clashes.length} file(s) in ${target} would be replaced and were left as they are ` +
        `(${shown}). Nothing was written. ${hint}`,
    );
  }
  await mkdir(target, { recursive: true }).catch((error: unknown) => {
    throw ioError('create', target, error);
  });
  for (const { path, bytes } of writes) await writeFileAtomic(path, bytes);
  return { folder: target, written: writes.length };
}

async function sameBytes(path: string, bytes: Uint8Array): Promise<boolean> {
  const existing = await readFile(path).catch(() => null);
  return existing !== null && existing.equals(bytes);
}
