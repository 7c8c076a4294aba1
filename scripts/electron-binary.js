// Where Electron's executable is, if it was installed. require('electron') is not used to
// ask: when the binary is missing it tries to download it, which hangs or fails offline.
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
        "Electron's binary was not downloaded (node_modules/electron/path.txt is missing; " +
        'on a machine with internet access, `node node_modules/electron/install.js` fetches it)',
    };
  }
  const distDir = process.env.ELECTRON_OVERRIDE_DIST_PATH || join(dir, 'dist');
  const path = join(distDir, readFileSync(pathFile, 'utf8').trim());
  return existsSync(path) ? { path } : { missing: `Electron's binary is missing at ${path}` };
}
