// npm start: the desktop app when Electron's binary is installed and there is a display;
// otherwise the same app in a browser, served by `jaccard serve`. Says which and why.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { buildIfStale } from './build-if-stale.js';
import { findElectron } from './electron-binary.js';

const root = join(import.meta.dirname, '..');

function run(command, args) {
  const child = spawn(command, args, { cwd: root, stdio: 'inherit' });
  // Ctrl-C reaches the child too (same process group); exit as it does.
  process.on('SIGINT', () => {});
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  child.on('error', (error) => {
    console.error(`Could not start ${command}: ${error.message}`);
    process.exit(1);
  });
}

function browserMode(reason) {
  console.log(`${reason}, so Jaccard opens in your browser instead.`);
  run(process.execPath, ['bin/jaccard.js', 'serve', '--open']);
}

try {
  buildIfStale();
} catch (error) {
  console.error(error.message);
  process.exit(1);
}

const electron = findElectron();
const headless =
  process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY;
if ('missing' in electron) browserMode(`The desktop app cannot start: ${electron.missing}`);
else if (headless) browserMode('There is no display for the desktop window (no $DISPLAY)');
else run(electron.path, ['.']);
