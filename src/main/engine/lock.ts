// One engine per data folder. The lock is an exclusive SQLite lock on a side file: the
// operating system drops it when the holder dies, so a crashed engine never leaves a
// stale lock behind and there is no pid to second-guess. The pid file only lets the
// refusal name who holds the folder.
import Database from 'better-sqlite3';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ApiError } from '#shared/errors';

const LOCK_FILE = 'engine.lock';
const PID_FILE = 'engine.pid';

export interface DataDirLock {
  release(): void;
}

export function lockDataDir(dataDir: string): DataDirLock {
  mkdirSync(dataDir, { recursive: true });
  const db = new Database(join(dataDir, LOCK_FILE), { timeout: 0 });
  try {
    // In exclusive mode the first write takes the file lock and keeps it until close.
    db.pragma('locking_mode = EXCLUSIVE');
    db.exec('CREATE TABLE IF NOT EXISTS holder (pid INTEGER); DELETE FROM holder;');
  } catch (error) {
    db.close();
    if ((error as { code?: string }).code?.startsWith('SQLITE_BUSY')) {
      throw new ApiError(
        'busy',
        `${holderText(dataDir)} is already using ${dataDir}. Close it first, or give this one another data folder.`,
      );
    }
    throw error;
  }
  const pidFile = join(dataDir, PID_FILE);
  writeFileSync(pidFile, String(process.pid));
  let held = true;
  return {
    release() {
      if (!held) return;
      held = false;
      rmSync(pidFile, { force: true });
      db.close();
    },
  };
}

function holderText(dataDir: string): string {
  try {
    const pid = Number(readFileSync(join(dataDir, PID_FILE), 'utf8'));
    if (Number.isInteger(pid) && pid > 0) return `Another Jaccard engine (pid ${pid})`;
  } catch {
    // The holder may be between taking the lock and writing its pid.
  }
  return 'Another Jaccard engine';
}
