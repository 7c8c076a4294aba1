// The loopback bridge over real HTTP: auth, Host check, calls, errors, events, media,
// the renderer's static files, and the one-engine-per-data-folder lock.
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ImageRecord, ImportReport } from '../../src/shared/domain';
import type { SystemInfo } from '../../src/shared/api';
import { ApiError, type WireError } from '../../src/shared/errors';
import { decodeWire, encodeWire } from '../../src/shared/wire';
import { startEngine, type Engine } from '../../src/main/engine';
import { repoRoot } from '../paths';

let root: string;
let engine: Engine;

interface WireReply {
  result?: unknown;
  error?: WireError;
}

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'jaccard-bridge-'));
  const pages = join(root, 'pages');
  mkdirSync(join(pages, 'assets'), { recursive: true });
  writeFileSync(join(pages, 'index.html'), '<!doctype html><title>Jaccard</title>');
  writeFileSync(join(pages, 'assets', 'app-1234.js'), 'console.log(1)');
  engine = await startEngine({ dataDir: join(root, 'data'), rendererDir: pages });
});

afterAll(async () => {
  await engine?.close();
  rmSync(root, { recursive: true, force: true });
});

async function post(method: string, input: unknown, token = engine.bridge.token) {
  const response = await fetch(`${engine.bridge.origin}/api/${method}`, {
    method: 'POST',
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: encodeWire(input),
  });
  return {
    status: response.status,
    body: decodeWire(await response.text()) as WireReply,
  };
}

/** Calls like the renderer's bridge client does: result, or the ApiError rebuilt. */
async function call<T>(method: string, input: unknown): Promise<T> {
  const { body } = await post(method, input);
  if (body.error) throw new ApiError(body.error.code, body.error.message);
  return body.result as T;
}

function rawGet(path: string, headers: Record<string, string>): Promise<number> {
  return new Promise((done, failed) => {
    const req = request({ host: '127.0.0.1', port: engine.bridge.port, path, headers }, (res) => {
      res.resume();
      done(res.statusCode!);
    });
    req.on('error', failed);
    req.end();
  });
}

async function importTiny(): Promise<ImageRecord> {
  const folder = join(root, 'tiny');
  mkdirSync(join(folder, 'images'), { recursive: true });
  mkdirSync(join(folder, 'masks'), { recursive: true });
  const rgb = Buffer.alloc(8 * 8 * 3, 200);
  await sharp(rgb, { raw: { width: 8, height: 8, channels: 3 } })
    .png()
    .toFile(join(folder, 'images', 'a.png'));
  const mask = Buffer.alloc(8 * 8, 0).fill(255, 0, 16);
  await sharp(mask, { raw: { width: 8, height: 8, channels: 1 } })
    .png()
    .toFile(join(folder, 'masks', 'a.png'));
  const report = await call<ImportReport>('datasets.import', { folder, name: 'tiny' });
  expect(report.images).toBe(1);
  const [image] = await call<ImageRecord[]>('images.list', { datasetId: report.dataset.id });
  return image!;
}

describe('bridge', () => {
  it('listens on 127.0.0.1 only, with a fresh token each start', () => {
    expect(engine.bridge.origin).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(engine.bridge.token.length).toBeGreaterThanOrEqual(32);
    expect(engine.bridge.url).toBe(`${engine.bridge.origin}/?token=${engine.bridge.token}`);
  });

  it('refuses calls without the token or with a wrong one', async () => {
    const bare = await fetch(`${engine.bridge.origin}/api/system.info`, {
      method: 'POST',
      body: '{}',
    });
    expect(bare.status).toBe(401);
    const wrong = await post(
      'system.info',
      {},
      engine.bridge.token.replace(/^./, (c) => (c === 'a' ? 'b' : 'a')),
    );
    expect(wrong.status).toBe(401);
    expect(wrong.body.error!.message).toMatch(/token/);
    expect((await post('system.info', {}, 'short')).status).toBe(401);
  });

  it('rejects requests addressed to another host (DNS rebinding)', async () => {
    const { port, token } = engine.bridge;
    expect(await rawGet(`/events?token=${token}`, { host: `evil.example:${port}` })).toBe(403);
    expect(await rawGet('/', { host: `evil.example:${port}` })).toBe(403);
    expect(await rawGet('/', { host: `localhost:${port}` })).toBe(200);
  });

  it('round-trips calls and answers system.info', async () => {
    const { status, body } = await post('system.info', {});
    expect(status).toBe(200);
    expect(body.result).toMatchObject({
      version: JSON.parse(readFileSync(join(repoRoot, 'package.json'), 'utf8')).version,
      dataDir: engine.ctx.dataDir,
      nativeDialogs: false,
    });
    const info = body.result as SystemInfo;
    expect(info.backends).toContain('cpu');
    // WebGPU is listed exactly where an adapter was found (else the answer says why not).
    expect('adapter' in info.webgpu).toBe(info.backends.includes('webgpu'));
    expect(await call('system.chooseFolder', {})).toBeNull();
  });

  it('keeps ApiError codes and messages across the wire', async () => {
    const unknown = await post('nope.nothing', {});
    expect([unknown.status, unknown.body.error!.code]).toEqual([200, 'not-found']);
    const invalid = await post('datasets.create', { name: '' });
    expect(invalid.status).toBe(200);
    expect(invalid.body.error).toMatchObject({ code: 'invalid' });
    expect(invalid.body.error!.message).toMatch(/^datasets\.create: name/);
    const missing = await post('images.get', { id: 987654 });
    expect([missing.status, missing.body.error!.code]).toEqual([200, 'not-found']);
    const garbage = await fetch(`${engine.bridge.origin}/api/datasets.list`, {
      method: 'POST',
      headers: { authorization: `Bearer ${engine.bridge.token}` },
      body: '{not json',
    });
    expect(garbage.status).toBe(400);
    const get = await fetch(`${engine.bridge.origin}/api/datasets.list`);
    expect(get.status).toBe(405);
  });

  it('delivers Uint8Array input as bytes', async () => {
    // Validation accepts only a Uint8Array png, so a handler-level not-found (not
    // 'invalid') shows the bytes arrived as bytes.
    const png = await sharp(Buffer.alloc(4), { raw: { width: 2, height: 2, channels: 1 } })
      .png()
      .toBuffer();
    const input = { imageId: 987654, png: new Uint8Array(png), baseRevision: null };
    expect((await post('masks.save', input)).body.error!.code).toBe('not-found');
    expect((await post('masks.save', { ...input, png: [1, 2, 3] })).body.error!.code).toBe(
      'invalid',
    );
  });

  it('pushes engine events over SSE', async () => {
    const abort = new AbortController();
    const response = await fetch(`${engine.bridge.origin}/events?token=${engine.bridge.token}`, {
      signal: abort.signal,
    });
    expect(response.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect((await fetch(`${engine.bridge.origin}/events?token=wrong`)).status).toBe(401);
    engine.ctx.events.emit('run.deleted', { id: 42 });
    engine.ctx.events.emit('import.progress', { datasetId: 1, done: 2, total: 3, file: 'x.png' });
    const reader = response.body!.pipeThrough(new TextDecoderStream()).getReader();
    let text = '';
    while ((text.match(/^data: /gm) ?? []).length < 2) text += (await reader.read()).value;
    abort.abort();
    const messages = text
      .split('\n')
      .filter((line) => line.startsWith('data: '))
      .map((line) => decodeWire(line.slice(6)));
    expect(messages).toEqual([
      { event: 'run.deleted', payload: { id: 42 } },
      { event: 'import.progress', payload: { datasetId: 1, done: 2, total: 3, file: 'x.png' } },
    ]);
  });

  it('serves media with the token, caching headers and 404 for unknown ids', async () => {
    const image = await importTiny();
    const url = `${engine.bridge.origin}/media/image/${image.id}`;
    expect((await fetch(url)).status).toBe(401);
    const response = await fetch(`${url}?token=${engine.bridge.token}`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('image/png');
    expect(response.headers.get('referrer-policy')).toBe('no-referrer');
    const { width, height } = await sharp(Buffer.from(await response.arrayBuffer())).metadata();
    expect([width, height]).toEqual([8, 8]);
    const etag = response.headers.get('etag')!;
    const again = await fetch(url, {
      headers: { authorization: `Bearer ${engine.bridge.token}`, 'if-none-match': etag },
    });
    expect(again.status).toBe(304);
    const mask = await fetch(
      `${engine.bridge.origin}/media/mask/${image.mask!.id}?token=${engine.bridge.token}`,
    );
    expect(mask.status).toBe(200);
    expect(
      (await fetch(`${engine.bridge.origin}/media/image/987654?token=${engine.bridge.token}`))
        .status,
    ).toBe(404);
    expect(
      (await fetch(`${engine.bridge.origin}/media/bogus/1?token=${engine.bridge.token}`)).status,
    ).toBe(404);
  });

  it('serves the renderer with a CSP and nothing outside its folder', async () => {
    const page = await fetch(`${engine.bridge.origin}/`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toMatch(/script-src 'self'/);
    expect(page.headers.get('cache-control')).toBe('no-cache');
    const asset = await fetch(`${engine.bridge.origin}/assets/app-1234.js`);
    expect(asset.headers.get('cache-control')).toMatch(/immutable/);
    const { port } = engine.bridge;
    expect(await rawGet('/%2e%2e/%2e%2e/package.json', { host: `127.0.0.1:${port}` })).toBe(404);
    expect(await rawGet('/nothing-here.js', { host: `127.0.0.1:${port}` })).toBe(404);
  });
});

describe('the printed address opens the app in one browser (issue 14, item 8)', () => {
  it('exchanges the token for a cookie the first browser keeps; a second is refused', async () => {
    const other = await startEngine({
      dataDir: join(root, 'cookie'),
      rendererDir: join(root, 'pages'),
    });
    try {
      const { origin, token } = other.bridge;
      const browser = { 'sec-fetch-site': 'same-origin' };
      const first = await fetch(`${origin}/?token=${token}`, { headers: browser });
      expect(first.status).toBe(200);
      const set = first.headers.get('set-cookie') ?? '';
      expect(set).toMatch(/^jaccard_session=[\w-]+; Path=\/; HttpOnly; SameSite=Strict$/);
      const cookie = set.split(';')[0]!;

      // The same address in another browser: no page, no calls, no events, no media.
      const second = await fetch(`${origin}/?token=${token}`, { headers: browser });
      expect(second.status).toBe(403);
      expect(await second.text()).toMatch(/already opened in another browser/);
      const call = (headers: Record<string, string>) =>
        fetch(`${origin}/api/system.info`, {
          method: 'POST',
          headers: { authorization: `Bearer ${token}`, ...headers },
          body: '{}',
        }).then((r) => r.status);
      expect(await call(browser)).toBe(401);
      expect((await fetch(`${origin}/events?token=${token}`, { headers: browser })).status).toBe(
        401,
      );

      // The first browser goes on, page and calls alike.
      expect(
        (await fetch(`${origin}/?token=${token}`, { headers: { ...browser, cookie } })).status,
      ).toBe(200);
      expect(await call({ ...browser, cookie })).toBe(200);
      // Clients that are not browsers (the CLI, the desktop window's header) use the token.
      expect(await call({})).toBe(200);
    } finally {
      await other.close();
    }
  });
});

describe('data folder lock', () => {
  it('refuses a second engine on the same data folder, naming the holder', async () => {
    await expect(
      startEngine({ dataDir: engine.ctx.dataDir, rendererDir: null }),
    ).rejects.toMatchObject({
      code: 'busy',
      message: expect.stringContaining(`(pid ${process.pid}) is already using`),
    });
  });

  it('says when the asked-for port is taken, and leaves the folder unlocked', async () => {
    const dataDir = join(root, 'port');
    const taken = startEngine({ dataDir, port: engine.bridge.port, rendererDir: null });
    await expect(taken).rejects.toMatchObject({ code: 'busy', message: /Port \d+ is taken/ });
    await (await startEngine({ dataDir, rendererDir: null })).close();
  });

  it('is released by close, and by the death of a killed engine', async () => {
    const dataDir = join(root, 'second');
    const other = await startEngine({ dataDir, rendererDir: null });
    await other.close();
    // Another process holds the folder, then dies without cleaning up.
    const child = spawn(
      process.execPath,
      [
        '--import',
        'tsx',
        '-e',
        `import('./src/main/engine/index.ts').then((m) => m.startEngine({ dataDir: ${JSON.stringify(dataDir)}, rendererDir: null })).then(() => console.log('ready'))`,
      ],
      { cwd: repoRoot, stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const exited = new Promise((done) => child.on('exit', done));
    await new Promise<void>((ready, failed) => {
      child.stdout.on('data', (d: Buffer) => d.includes('ready') && ready());
      void exited.then(() => failed(new Error('the other engine exited before it was ready')));
    });
    await expect(startEngine({ dataDir, rendererDir: null })).rejects.toMatchObject({
      message: expect.stringContaining(`(pid ${child.pid})`),
    });
    child.kill('SIGKILL');
    await exited;
    const third = await startEngine({ dataDir, rendererDir: null });
    await third.close();
  });
});
