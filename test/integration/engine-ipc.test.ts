// The engine as Electron runs it: `jaccard engine --ipc` over a fork channel with
// structured-clone serialization. This is the exact protocol Electron main relays.
import { fork, type ChildProcess } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { EngineMessage } from '../../src/main/engine/ipc';
import type { ImportReport } from '../../src/shared/domain';

const repoRoot = resolve(import.meta.dirname, '../..');
let root: string;
let dataDir: string;

interface Started {
  child: ChildProcess;
  first: EngineMessage;
  messages: EngineMessage[];
  exited: Promise<number | null>;
}

function spawnEngine(): Promise<Started> {
  const child = fork(join(repoRoot, 'bin', 'jaccard.js'), ['engine', '--ipc'], {
    env: { ...process.env, JACCARD_HOME: dataDir },
    serialization: 'advanced',
    stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
  });
  const messages: EngineMessage[] = [];
  const exited = new Promise<number | null>((done) => child.on('exit', (code) => done(code)));
  return new Promise((ready, failed) => {
    child.on('message', (message: EngineMessage) => {
      messages.push(message);
      if (messages.length === 1) ready({ child, first: message, messages, exited });
    });
    child.on('error', failed);
    void exited.then((code) => failed(new Error(`engine exited (${code}) before a message`)));
  });
}

let next = 1;
function call(child: ChildProcess, method: string, input: unknown): Promise<EngineMessage> {
  const id = next++;
  return new Promise((done) => {
    const onMessage = (message: EngineMessage): void => {
      if (!('id' in message) || message.id !== id) return;
      child.off('message', onMessage);
      done(message);
    };
    child.on('message', onMessage);
    child.send({ id, method, input });
  });
}

let engine: Started;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'jaccard-ipc-'));
  dataDir = join(root, 'data');
  engine = await spawnEngine();
});

afterAll(async () => {
  if (engine?.child.connected) engine.child.disconnect();
  await engine?.exited;
  rmSync(root, { recursive: true, force: true });
});

describe('engine --ipc', () => {
  it('announces its bridge, then answers calls', async () => {
    expect(engine.first).toMatchObject({
      ready: { origin: expect.stringMatching(/^http:\/\/127\.0\.0\.1:\d+$/), dataDir },
    });
    const reply = await call(engine.child, 'system.info', {});
    expect(reply).toMatchObject({ result: { dataDir, nativeDialogs: true } });
  });

  it('replies with wire errors and carries bytes as bytes', async () => {
    expect(await call(engine.child, 'nope', {})).toMatchObject({
      error: { code: 'not-found' },
    });
    const png = new Uint8Array(
      await sharp(Buffer.alloc(4), { raw: { width: 2, height: 2, channels: 1 } })
        .png()
        .toBuffer(),
    );
    const input = { imageId: 987654, png, baseRevision: null };
    expect(await call(engine.child, 'masks.save', input)).toMatchObject({
      error: { code: 'not-found' },
    });
  });

  it('pushes events while a call runs', async () => {
    const folder = join(root, 'flat');
    mkdirSync(folder);
    for (const [i, stem] of ['a', 'b'].entries()) {
      // Different pixels: identical files would be skipped as duplicates.
      await sharp(Buffer.alloc(8 * 8 * 3, 90 + i), { raw: { width: 8, height: 8, channels: 3 } })
        .png()
        .toFile(join(folder, `${stem}.png`));
    }
    const reply = await call(engine.child, 'datasets.import', { folder, name: 'flat' });
    expect((reply as { result: ImportReport }).result.images).toBe(2);
    const progress = engine.messages.filter((m) => 'event' in m && m.event === 'import.progress');
    expect(progress.length).toBeGreaterThan(0);
  });

  it('refuses a second engine on the same folder, then stops when its parent leaves', async () => {
    const second = await spawnEngine();
    expect(second.first).toMatchObject({ failed: expect.stringContaining('already using') });
    expect(await second.exited).toBe(1);
    engine.child.disconnect();
    expect(await engine.exited).toBe(0);
    // The lock went with it: a new engine starts on the same folder.
    engine = await spawnEngine();
    expect(engine.first).toHaveProperty('ready');
  });
});
