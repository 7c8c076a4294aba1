// Where Electron's executable is, if it was installed. The electron package fetches its
// binary only on demand (`npx install-electron`, or require('electron'), which this does
// not call: offline it fails slowly).
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';

/** @returns {{ path: string } | { missing: string }} */
export function findElectron() {
  let dir;
  try {
    dir = dirname(createRequire(import.meta.url).resolve('electron/package.json'));
  } catch {
    return { missing: 'the electron package is not installed' };
  }
  const pathFile = join(dir, 'path.txt');
  if (!existsSync(pathFile)) {
    return {
      missing:
        "Electron's binary is not installed yet (run `npx install-electron` once, with " +
        'internet access, then `npm start` again)',
    };
  }
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const path = join(distDir, readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? { path } : { missing: `Electron's binary is missing at ${path}` };
}
