import { chmodSync, existsSync, mkdirSync, readdirSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the app keeps its store when none is named: the same folder Electron's
 * userData would be, so the CLI and the desktop app see the same datasets and runs.
 * JACCARD_HOME overrides it (tests, portable installs).
 */
export function defaultDataDir(): string {
  if (process.env.JACCARD_HOME) return process.env.JACCARD_HOME;
  const home = homedir();
  switch (process.platform) {
    case 'darwin':
      return join(home, 'Library', 'Application Support', 'Jaccard');
    case 'win32':
      return join(process.env.APPDATA ?? join(home, 'AppData', 'Roaming'), 'Jaccard');
    default:
      return join(process.env.XDG_CONFIG_HOME ?? join(home, '.config'), 'Jaccard');
  }
}

export const DATABASE_FILE = 'jaccard.db';

/**
 * Creates the data folder readable by its owner only (0700): it holds the user's images
 * and masks, which the bridge's token guards over HTTP, and other local users must not
 * read them off the disk instead. An existing folder is tightened too when it is ours and
 * is a data folder already (made world-readable by an earlier version) or empty. (Windows ignores these modes; its
 * profile folders are private already.)
 */
export function ensureDataDir(dataDir: string): void {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const info = statSync(dataDir);
  const ours = typeof process.getuid !== 'function' || info.uid === process.getuid();
  const ownData = existsSync(join(dataDir, DATABASE_FILE)) || readdirSync(dataDir).length === 0;
  if ((info.mode & 0o077) !== 0 && ours && ownData) {
    chmodSync(dataDir, 0o700);
  }
}
