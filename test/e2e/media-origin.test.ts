// Under `electron-vite dev` the window's pages come from vite's dev server while media
// come from the engine's bridge: another origin. The renderer fetches masks and
// predictions into canvases, which needs the bridge's CORS consent for that one origin.
// The engine is started as Electron main starts it (spawnEngine), a plain HTTP server
// plays the dev server, and Chromium reads the pixels the way the renderer does.
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type Browser } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { spawnEngine, type EngineProcess } from '../../src/main/electron/engine-process';
import type { ImageRecord, ImportReport } from '../../src/shared/domain';
import { repoRoot } from '../paths';

let root: string;
let engine: EngineProcess;
let browser: Browser;
const pages: Server[] = [];

/** A server answering every path with an empty page: a page origin of its own. */
async function pageOrigin(): Promise<string> {
  const server = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'text/html' });
    res.end('<!doctype html><title>dev server</title>');
  });
  pages.push(server);
  await new Promise<void>((ready) => server.listen(0, '127.0.0.1', ready));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

let devServer: string;
let stranger: string;
let imageId: number;

beforeAll(async () => {
  root = mkdtempSync(join(tmpdir(), 'jaccard-media-origin-'));
  [devServer, stranger] = [await pageOrigin(), await pageOrigin()];
  engine = await spawnEngine(repoRoot, join(root, 'data'), devServer);
  const folder = join(root, 'images');
  mkdirSync(folder);
  await sharp(Buffer.alloc(4 * 4 * 3, 200), { raw: { width: 4, height: 4, channels: 3 } })
    .png()
    .toFile(join(folder, 'grey.png'));
  const imported = await engine.call('datasets.import', { folder, name: 'grey' });
  const { dataset } = (imported as { result: ImportReport }).result;
  const listed = await engine.call('images.list', { datasetId: dataset.id });
  imageId = (listed as { result: ImageRecord[] }).result[0]!.id;
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-background-networking'],
  });
});

afterAll(async () => {
  await browser?.close();
  await engine?.stop();
  for (const server of pages) server.close();
  rmSync(root, { recursive: true, force: true });
});

/** What a page at `origin` gets when it reads the image's first pixel through a canvas. */
async function readFirstPixel(origin: string): Promise<number | string> {
  const page = await browser.newPage();
  try {
    await page.goto(origin);
    const url = `${engine.origin}/media/image/${imageId}?token=${engine.token}`;
    return await page.evaluate(async (src) => {
      try {
        const bitmap = await createImageBitmap(await (await fetch(src)).blob());
        const context = new OffscreenCanvas(1, 1).getContext('2d')!;
        context.drawImage(bitmap, 0, 0);
        return context.getImageData(0, 0, 1, 1).data[0]!;
      } catch (error) {
        return String(error);
      }
    }, url);
  } finally {
    await page.close();
  }
}

it("lets the dev server's pages read media pixels, and no other origin", async () => {
  expect(await readFirstPixel(devServer)).toBe(200);
  expect(await readFirstPixel(stranger)).toMatch(/Failed to fetch/);
});
