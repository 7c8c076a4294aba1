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
