// Electron main's handle on the engine (src/main/electron/engine-process.ts) against the
// real `jaccard engine --ipc`: the exact relay the desktop app uses, minus the window.
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { spawnEngine, type EngineProcess } from '../../src/main/electron/engine-process';
import type { EventName } from '../../src/shared/api';
import { repoRoot } from '../paths';

let root: string;
let dataDir: string;
let engine: EngineProcess;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'jaccard-ipc-'));
  dataDir = join(root, 'data');
  engine = await spawnEngine(repoRoot, dataDir);
});

afterAll(async () => {
  await engine?.stop();
  rmSync(root, { recursive: true, force: true });
});

describe('engine process (Electron relay)', () => {
  it('starts the engine and relays calls to it', async () => {
    expect(engine.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(await engine.call('system.info', {})).toMatchObject({
      result: { dataDir, nativeDialogs: true },
    });
  });

  it('relays wire errors, and bytes as bytes (structured clone)', async () => {
    expect(await engine.call('nope', {})).toMatchObject({ error: { code: 'not-found' } });
    const png = await sharp(Buffer.alloc(4), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const input = { imageId: 987654, png: new Uint8Array(png), baseRevision: null };
    // Validation accepts only a Uint8Array: a handler's not-found means bytes arrived.
    expect(await engine.call('masks.save', input)).toMatchObject({ error: { code: 'not-found' } });
  });

  it('relays the events a call emits', async () => {
    const events: EventName[] = [];
    engine.onEvent((event) => events.push(event));
    const folder = join(root, 'flat');
    mkdirSync(folder);
    for (const [i, stem] of ['a', 'b'].entries()) {
      // Different pixels: identical files would be skipped as duplicates.
      await sharp(Buffer.alloc(8 * 8 * 3, 90 + i), { raw: { width: 8, height: 8, channels: 3 } })
        .png()
        .toFile(join(folder, `${stem}.png`));
    }
    const reply = await engine.call('datasets.import', { folder, name: 'flat' });
    expect(reply).toMatchObject({ result: { images: 2 } });
    expect(events).toContain('import.progress');
  });

  it('says why a second engine on the same folder cannot start', async () => {
    await expect(spawnEngine(repoRoot, dataDir)).rejects.toThrow(/already using/);
  });

  it('says so when there is no node to run the engine with', async () => {
    process.env.JACCARD_NODE = join(root, 'no-such-node');
    try {
      await expect(spawnEngine(repoRoot, join(root, 'other'))).rejects.toThrow(/was not found/);
    } finally {
      delete process.env.JACCARD_NODE;
    }
  });

  it('stops cleanly, releasing the folder, and fails pending calls after', async () => {
    let died = false;
    engine.onExit(() => (died = true));
    await engine.stop();
    expect(died).toBe(false); // a requested stop is not a crash
    expect(await engine.call('system.info', {})).toMatchObject({ error: { code: 'internal' } });
    engine = await spawnEngine(repoRoot, dataDir);
    expect((await engine.call('datasets.list', {})) as { result: unknown[] }).toMatchObject({
      result: [{ name: 'flat' }],
    });
  });

  it('reports an engine that dies while the app runs', async () => {
    const reason = new Promise<string>((done) => engine.onExit(done));
    // The lock's pid file names the engine process.
    process.kill(Number(readFileSync(join(dataDir, 'engine.pid'), 'utf8')), 'SIGKILL');
    expect(await reason).toMatch(/SIGKILL/);
  });
});
