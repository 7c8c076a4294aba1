// The desktop app itself: Electron main spawns the engine, the sandboxed window gets the
// API from the preload and nothing else. Needs Electron's binary, which cannot be
// downloaded on every machine (not on the CI box): then this test is skipped, saying why.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { _electron } from 'playwright-core';
import { expect, it } from 'vitest';
import { buildIfStale } from '../../scripts/build-if-stale.js';
import { findElectron } from '../../scripts/electron-binary.js';
import type { JaccardApi, SystemInfo } from '../../src/shared/api';
import { repoRoot } from '../paths';

const electron = findElectron();
const title = 'opens the window, with the engine behind the preload API';

if ('missing' in electron) {
  it.skip(`${title} (skipped: ${electron.missing})`, () => {});
} else {
  it(title, async () => {
    buildIfStale();
    const dataDir = mkdtempSync(join(tmpdir(), 'jaccard-electron-'));
    const app = await _electron.launch({
      executablePath: electron.path,
      args: [repoRoot],
      cwd: repoRoot,
      env: { ...process.env, JACCARD_HOME: dataDir },
    });
    try {
      const page = await app.firstWindow();
      const errors: string[] = [];
      page.on('pageerror', (error) => errors.push(error.message));
      await page.waitForLoadState('load');
      const seen = await page.evaluate(async () => {
        const api = (globalThis as unknown as { api: JaccardApi }).api;
        return {
          keys: Object.keys(api).sort(),
          node: typeof (globalThis as { require?: unknown }).require,
          info: await api.call('system.info', {}),
          media: api.mediaUrl({ kind: 'image', imageId: 1 }),
        };
      });
      expect(seen.keys).toEqual(['call', 'mediaUrl', 'on']);
      expect(seen.node).toBe('undefined');
      expect(seen.info).toMatchObject<Partial<SystemInfo>>({ dataDir, nativeDialogs: true });
      expect(seen.media).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/media\/image\/1$/);
      expect(errors).toEqual([]);
    } finally {
      await app.close();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
}
