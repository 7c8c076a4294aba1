// Garbage collection of the data folder: files no row points to. They come from writers
// that stopped between writing files and committing rows (a killed import), from deletes
// that stopped between removing rows and removing files, and from duplicates an import
// copied before finding them already there.
//
// Files are written first and referenced after, so an unreferenced file may be one a
// live writer is about to commit. Only files older than a cutoff go: the start of the
// oldest live registered writer (an import registers for its whole run, see
// registerWriter), and never later than `minAge` ago, which covers the writers that hold
// a file unreferenced for moments only (a mask save, a thumbnail). Temp files of dead
// writers go at once (sweepStaleTempFiles).
import { randomBytes } from 'node:crypto';
import { lstat, mkdir, readdir, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sweepStaleTempFiles } from './files';
import { isProcessAlive } from './process-alive';
import type { Db } from './store/database';
import { references } from './store/references';

/** Markers of live writers: `<pid>.<random>`, made when one starts, removed when done. */
const WRITERS_DIR = '.writers';

/** Long enough for any unregistered write-then-commit; short enough to free space the same day. */
export const DEFAULT_MIN_AGE_MS = 10 * 60 * 1000;

const TEMP_NAME = /\.tmp$/;

export interface GcOptions {
  /** Count what would go, remove nothing. */
  dryRun?: boolean;
  /** Unreferenced files younger than this stay (default DEFAULT_MIN_AGE_MS). */
  minAgeMs?: number;
  isAlive?: (pid: number) => boolean;
}

export interface GcReport {
  /** Unreferenced files removed (or, dry, that would be), and their bytes. */
  files: number;
  bytes: number;
  /** Dead writers' temp files removed. */
  tempFiles: number;
  /** Unreferenced files kept because they are younger than the cutoff. */
  recent: number;
}

/**
 * Registers this process as writing files it will reference later; GC leaves every file
 * newer than the oldest registration alone. Returns the unregister function.
 */
export async function registerWriter(dataDir: string): Promise<() => Promise<void>> {
  const dir = join(dataDir, WRITERS_DIR);
  const marker = join(dir, `${process.pid}.${randomBytes(4).toString('hex')}`);
  await mkdir(dir, { recursive: true });
  await writeFile(marker, '');
  return () => rm(marker, { force: true }).catch(() => undefined);
}

/** The oldest live writer's start (ms), removing the markers of dead ones. */
async function oldestLiveWriter(
  dataDir: string,
  isAlive: (pid: number) => boolean,
): Promise<number> {
  const dir = join(dataDir, WRITERS_DIR);
  let oldest = Infinity;
  for (const name of await readdir(dir).catch(() => [] as string[])) {
    const pid = Number(name.split('.')[0]);
    const info = await stat(join(dir, name)).catch(() => null);
    if (!info) continue;
    if (Number.isInteger(pid) && isAlive(pid)) oldest = Math.min(oldest, info.mtimeMs);
    else await rm(join(dir, name), { force: true });
  }
  return oldest;
}

export async function collectGarbage(
  ctx: { db: Db; dataDir: string },
  options: GcOptions = {},
): Promise<GcReport> {
  const { dataDir, db } = ctx;
  const isAlive = options.isAlive ?? isProcessAlive;
  const report: GcReport = { files: 0, bytes: 0, tempFiles: 0, recent: 0 };
  if (!options.dryRun) report.tempFiles = await sweepStaleTempFiles(dataDir, isAlive);
  const cutoff = Math.min(
    Date.now() - (options.minAgeMs ?? DEFAULT_MIN_AGE_MS),
    await oldestLiveWriter(dataDir, isAlive),
  );
  // Listed before the references are read: a file that gains its row in between is
  // then referenced; one listed after could be a new write that has none yet.
  const candidates: { rel: string; abs: string; size: number; mtimeMs: number }[] = [];
  for (const kind of ['images', 'masks', 'thumbs']) {
    const dir = join(dataDir, 'files', kind);
    for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
      const abs = join(dir, name);
      const info = await lstat(abs).catch(() => null);
      if (!info?.isFile() || TEMP_NAME.test(name)) continue;
      const rel = ['files', kind, ...name.split(/[\\/]/)].join('/');
      candidates.push({ rel, abs, size: info.size, mtimeMs: info.mtimeMs });
    }
  }
  const runsDir = join(dataDir, 'files', 'runs');
  const runDirs = await readdir(runsDir).catch(() => [] as string[]);
  const refs = references(db);

  for (const file of candidates) {
    if (refs.files.has(file.rel)) continue;
    // Checked again just before removal: an import reusing this file touches it.
    const now = await lstat(file.abs).catch(() => null);
    if (!now) continue;
    if (now.mtimeMs >= cutoff) {
      report.recent++;
      continue;
    }
    if (!options.dryRun) await rm(file.abs, { force: true });
    report.files++;
    report.bytes += now.size;
  }
  for (const id of runDirs) {
    if (!/^\d+$/.test(id) || refs.runs.has(id)) continue;
    const abs = join(runsDir, id);
    const sizes = await treeSizes(abs);
    if (sizes.newest >= cutoff) {
      report.recent += sizes.files;
      continue;
    }
    if (!options.dryRun) await rm(abs, { recursive: true, force: true });
    report.files += sizes.files;
    report.bytes += sizes.bytes;
  }
  return report;
}

async function treeSizes(dir: string): Promise<{ files: number; bytes: number; newest: number }> {
  const out = { files: 0, bytes: 0, newest: 0 };
  for (const name of await readdir(dir, { recursive: true }).catch(() => [] as string[])) {
    const info = await lstat(join(dir, name)).catch(() => null);
    if (!info) continue;
    out.newest = Math.max(out.newest, info.mtimeMs);
    if (info.isFile()) {
      out.files++;
      out.bytes += info.size;
    }
  }
  return out;
}
