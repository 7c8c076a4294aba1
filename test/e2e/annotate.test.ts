// The annotator in Chromium against the real engine: paint a stroke with the mouse,
// undo and redo it (each a stored revision), reload and find the stroke again; a save
// that never reaches the store comes back from the write-ahead log after a reload.
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { MaskRevision } from '../../src/shared/domain';
import type { ImportReport, ImageRecord } from '../../src/shared/domain';
import { dispatch } from '../../src/main/api';
import {
  createRun,
  findPredictionFile,
  replaceRunImages,
  updateRun,
} from '../../src/main/store/runs';
import { fileHandler } from '../../src/main/training/checkpoint';
import { buildModel } from '../../src/main/training/models';
import { runFolders } from '../../src/main/training/run-files';
import { trainConfigSchema } from '../../src/shared/api';
import { WAL_DATABASE, WAL_STORE } from '../../src/renderer/lib/annotate/wal';
import { FACE } from '../paths';
import { launchApp, type AppHarness } from './harness';

const SOURCE = join(FACE, 'train/images');
const STEMS = ['1', '2', '3'];
/** Saves wait for a pause in editing, then encode and store a PNG. */
const SLOW = { timeout: 15_000 };

describe('Annotator', () => {
  let app: AppHarness;
  let page: Page;
  let folder: string;
  let images: ImageRecord[];
  let url: (path: string) => string;

  const call = <T>(method: string, input: unknown) =>
    dispatch(app.engine.ctx, method, input) as Promise<T>;
  const history = (imageId: number) => call<MaskRevision[]>('masks.history', { imageId });
  const status = () =>
    page.getByRole('status').filter({ hasText: /Saved|Unsaved|Saving|Not saved|No mask/ });
  const canvas = () => page.getByTestId('mask-canvas');
  /** When the page's write-ahead log last took this image's mask (0: it holds none). */
  const walSavedAt = (imageId: number) =>
    page.evaluate(
      ({ id, database, store }) =>
        new Promise<number>((resolve, reject) => {
          const open = indexedDB.open(database);
          open.onerror = () => reject(open.error);
          open.onsuccess = () => {
            const get = open.result.transaction(store).objectStore(store).get(id);
            get.onsuccess = () => {
              resolve((get.result as { savedAt: number } | undefined)?.savedAt ?? 0);
              open.result.close();
            };
            get.onerror = () => reject(get.error);
          };
        }),
      { id: imageId, database: WAL_DATABASE, store: WAL_STORE },
    );

  /** Pixels of a stored revision as 0/255, read back through the bridge like the app does. */
  async function storedMask(revision: MaskRevision) {
    const response = await fetch(url(`/media/mask/${revision.id}`));
    expect(response.status).toBe(200);
    const { data, info } = await sharp(Buffer.from(await response.arrayBuffer()))
      .extractChannel(0)
      .raw()
      .toBuffer({ resolveWithObject: true });
    return { data, at: (x: number, y: number) => data[y * info.width + x]!, width: info.width };
  }

  /** The image pixel under a screen point, as the status bar reports it. */
  async function pixelAt(x: number, y: number) {
    await page.mouse.move(x, y);
    const cursor = page.getByTestId('cursor');
    let match: RegExpExecArray | null = null;
    await expect
      .poll(
        async () =>
          (match = /^x (\d+), y (\d+) · (mask|background)$/.exec(await cursor.innerText())),
        {
          timeout: 5000,
        },
      )
      .not.toBeNull();
    const [, px, py, what] = match!;
    return { x: Number(px), y: Number(py), mask: what === 'mask' };
  }

  async function waitForImage(imageId: number) {
    await page.locator(`[data-testid="mask-canvas"][data-image-id="${imageId}"]`).waitFor();
  }

  beforeAll(async () => {
    folder = mkdtempSync(join(tmpdir(), 'jaccard-annotate-'));
    // Test-split images without masks: runs keep predictions of test images, so one can
    // come from the store and another be predicted on demand.
    mkdirSync(join(folder, 'test/images'), { recursive: true });
    for (const stem of STEMS)
      copyFileSync(join(SOURCE, `${stem}.png`), join(folder, 'test/images', `${stem}.png`));
    app = await launchApp();
    const token = new URL(app.url).searchParams.get('token')!;
    url = (path) => `${new URL(app.url).origin}${path}?token=${encodeURIComponent(token)}`;
    const report = await call<ImportReport>('datasets.import', { folder, name: 'faces' });
    expect(report.images).toBe(STEMS.length);
    images = await call<ImageRecord[]>('images.list', { datasetId: report.dataset.id });
    page = await app.open(`#/annotate/${report.dataset.id}`);
  });

  afterAll(async () => {
    rmSync(folder, { recursive: true, force: true });
    await app?.close(); // fails the run if the page logged any error
  });

  it('opens the first image that needs a mask', async () => {
    await page.waitForURL(new RegExp(`#/annotate/\\d+/${images[0]!.id}$`));
    await waitForImage(images[0]!.id);
    expect(await status().innerText()).toBe('No mask yet');
  });

  it('paints a stroke with the mouse and saves it as a revision', async () => {
    const box = (await canvas().boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    await page.mouse.move(cx - 60, cy);
    await page.mouse.down();
    await page.mouse.move(cx + 60, cy, { steps: 12 });
    await page.mouse.up();
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 1');

    const under = await pixelAt(cx, cy);
    expect(under.mask).toBe(true);
    const [revision] = await history(images[0]!.id);
    expect(revision).toMatchObject({ revision: 1, source: 'annotation' });
    const stored = await storedMask(revision!);
    expect(stored.width).toBe(images[0]!.width);
    expect(stored.at(under.x, under.y)).toBe(255);
    expect(stored.at(0, 0)).toBe(0);
    expect(revision!.foreground).toBeGreaterThan(0.005);
    expect((await pixelAt(cx, cy - 100)).mask).toBe(false);
  });

  it('undoes and redoes with the keyboard, each saved', async () => {
    const box = (await canvas().boundingBox())!;
    await page.keyboard.press('Control+z');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 2');
    expect((await pixelAt(box.x + box.width / 2, box.y + box.height / 2)).mask).toBe(false);
    await page.keyboard.press('Control+Shift+z');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 3');
    const revisions = await history(images[0]!.id);
    expect(revisions.map((r) => r.foreground)).toEqual([
      revisions[0]!.foreground,
      0,
      revisions[0]!.foreground,
    ]);
  });

  it('shows the saved stroke after a reload', async () => {
    await page.reload({ waitUntil: 'load' });
    await waitForImage(images[0]!.id);
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 3');
    const box = (await canvas().boundingBox())!;
    expect((await pixelAt(box.x + box.width / 2, box.y + box.height / 2)).mask).toBe(true);
  });

  it('recovers a stroke whose save never reached the store', async () => {
    // Saves hang: the stroke only reaches the write-ahead log before the reload.
    await page.route('**/api/masks.save', () => {});
    const strokeAt = await page.evaluate(() => Date.now());
    const box = (await canvas().boundingBox())!;
    const y = box.y + box.height / 2 + 60;
    await page.mouse.move(box.x + box.width / 2 - 40, y);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 40, y, { steps: 8 });
    await page.mouse.up();
    await expect.poll(() => status().innerText(), SLOW).toMatch(/Unsaved|Saving/);
    // The log's write is a durable IndexedDB commit; a reload aborts one still in flight,
    // which on a loaded machine can outlast the status change.
    await expect.poll(() => walSavedAt(images[0]!.id), SLOW).toBeGreaterThanOrEqual(strokeAt);
    await page.unrouteAll({ behavior: 'ignoreErrors' });
    await page.reload({ waitUntil: 'load' });
    await waitForImage(images[0]!.id);
    await page.getByText(/^Recovered unsaved edits of 1 /).waitFor();
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 4');
    expect((await pixelAt(box.x + box.width / 2, y)).mask).toBe(true);
    const revisions = await history(images[0]!.id);
    expect(revisions.at(-1)!.foreground).toBeGreaterThan(revisions[2]!.foreground);
  });

  it('fills a clicked polygon and flips it back with flood fill', async () => {
    const box = (await canvas().boundingBox())!;
    const [cx, top] = [box.x + box.width / 2, box.y + box.height / 2 - 150];
    await page.keyboard.press('p');
    for (const [dx, dy] of [
      [-40, 0],
      [40, 0],
      [40, 60],
      [-40, 60],
    ] as const) {
      await page.mouse.click(cx + dx, top + dy);
    }
    await page.keyboard.press('Enter');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 5');
    expect((await pixelAt(cx, top + 30)).mask).toBe(true);
    await page.keyboard.press('f');
    await page.mouse.click(cx, top + 30);
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 6');
    expect((await pixelAt(cx, top + 30)).mask).toBe(false);
    const [, , , , fifth, sixth] = await history(images[0]!.id);
    expect(fifth!.foreground).toBeGreaterThan(sixth!.foreground);
  });

  it('keeps undo when switching images and back', async () => {
    await page.keyboard.press('ArrowRight');
    await waitForImage(images[1]!.id);
    expect(await status().innerText()).toBe('No mask yet');
    await page.keyboard.press('ArrowLeft');
    await waitForImage(images[0]!.id);
    await page.keyboard.press('Control+z');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 7');
    const revisions = await history(images[0]!.id);
    expect(revisions[6]!.foreground).toBe(revisions[4]!.foreground);
  });

  it('reverts to an older revision as a new one', async () => {
    await page.getByRole('button', { name: 'Revisions…' }).click();
    const dialog = page.getByRole('dialog', { name: /Mask revisions/ });
    await dialog
      .getByRole('listitem')
      .filter({ hasText: 'Revision 1' })
      .getByRole('button', { name: 'Revert to this' })
      .click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 8');
    const revisions = await history(images[0]!.id);
    expect(revisions[7]!.foreground).toBe(revisions[0]!.foreground);
    await app.screenshot(page, 'annotate');
  });

  it('exports the masks as 0/255 PNGs into a typed folder', async () => {
    const target = join(folder, 'export');
    await page.getByRole('button', { name: 'Export…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export masks' });
    await dialog.getByLabel('Folder path').fill(target);
    await dialog.getByRole('button', { name: 'Export', exact: true }).click();
    await dialog.getByText(`Wrote 1 mask to ${target}.`).waitFor();
    await dialog.getByRole('button', { name: 'Done' }).click();
    const exported = await sharp(join(target, '1.png')).extractChannel(0).raw().toBuffer();
    const stored = await storedMask((await history(images[0]!.id))[7]!);
    expect(new Set(exported)).toEqual(new Set([0, 255]));
    expect(Buffer.compare(exported, stored.data)).toBe(0);
  });

  it('steps to the next image and skips masked ones with the filter', async () => {
    await page.keyboard.press('ArrowRight');
    await waitForImage(images[1]!.id);
    await page.getByRole('checkbox', { name: 'Needs mask only' }).check();
    await canvas().click({ position: { x: 5, y: 5 }, button: 'middle' });
    await page.keyboard.press('ArrowLeft');
    await page.getByText('No previous image that needs a mask.').waitFor();
    await page.keyboard.press('?');
    const help = page.getByRole('dialog', { name: 'Annotator keys' });
    await help.waitFor();
    expect(await help.innerText()).toContain('Fill holes in the mask');
    // The whole table is on screen: no part cut off, nothing to scroll.
    const fit = await help.evaluate((dialog) => {
      const d = dialog as unknown as {
        getBoundingClientRect(): { top: number; bottom: number };
        querySelector(s: string): { scrollHeight: number; clientHeight: number };
        ownerDocument: { documentElement: { clientHeight: number } };
      };
      const body = d.querySelector('.body');
      const box = d.getBoundingClientRect();
      return {
        inside: box.top >= 0 && box.bottom <= d.ownerDocument.documentElement.clientHeight,
        scrolls: body.scrollHeight > body.clientHeight + 1,
      };
    });
    expect(fit).toEqual({ inside: true, scrolls: false });
    await page.keyboard.press('Escape');
    await expect.poll(() => help.count()).toBe(0);
  });

  it('starts a mask from a finished run’s prediction as one undoable step', async () => {
    const image = images[2]!;
    const { db } = app.engine.ctx;
    const run = createRun(db, {
      config: trainConfigSchema.parse({ datasetId: image.datasetId }),
      name: 'e2e run',
    });
    updateRun(db, run.id, { status: 'finished' });
    // Probabilities at the model's size: 0.8 on the left half, 0.15 on the right.
    const probabilities = Buffer.alloc(64 * 64);
    for (let y = 0; y < 64; y++) probabilities.fill(204, y * 64, y * 64 + 32);
    for (let y = 0; y < 64; y++) probabilities.fill(38, y * 64 + 32, y * 64 + 64);
    const file = `runs/${run.id}/e2e-prediction.png`;
    mkdirSync(join(app.dataDir, `runs/${run.id}`), { recursive: true });
    await sharp(probabilities, { raw: { width: 64, height: 64, channels: 1 } })
      .png()
      .toFile(join(app.dataDir, file));
    const scores = { iou: 0, dice: 0, accuracy: 0, precision: 0, recall: 0 };
    replaceRunImages(db, run.id, [{ imageId: image.id, prediction: file, ...scores }]);

    await page.keyboard.press('ArrowRight');
    await waitForImage(image.id);
    await page.getByRole('button', { name: 'From prediction…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start from a prediction' });
    await dialog.getByRole('button', { name: 'Use prediction' }).click();
    await expect.poll(() => dialog.count()).toBe(0);
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 1');
    const [revision] = await history(image.id);
    expect(revision!.source).toBe('prediction');
    expect(revision!.foreground).toBeGreaterThan(0.45);
    expect(revision!.foreground).toBeLessThan(0.55);
    const stored = await storedMask(revision!);
    expect([stored.at(20, 128), stored.at(160, 128)]).toEqual([255, 0]);

    await page.keyboard.press('Control+z');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 2');
    expect((await history(image.id))[1]!.foreground).toBe(0);
  });

  it('predicts an image that no run has a map for, in the engine', async () => {
    const image = images[1]!;
    const { db } = app.engine.ctx;
    const config = trainConfigSchema.parse({
      datasetId: image.datasetId,
      size: 32,
      depth: 3,
      baseFilters: 4,
    });
    const run = createRun(db, { config, name: 'sure run' });
    // Untrained, but its head's bias makes every pixel foreground (p = sigmoid(6)).
    const model = buildModel({ ...config, channels: 3, seed: 1 });
    const head = model.layers.at(-1)!;
    const [kernel, bias] = head.getWeights();
    head.setWeights([kernel!.zerosLike(), bias!.onesLike().mul(6)]);
    await model.save(fileHandler(runFolders(app.dataDir, run.id).model));
    model.dispose();
    updateRun(db, run.id, { status: 'finished' });
    expect(findPredictionFile(db, run.id, image.id)).toBeNull();

    await page.keyboard.press('ArrowLeft');
    await waitForImage(image.id);
    await page.getByRole('button', { name: 'From prediction…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Start from a prediction' });
    await dialog.getByLabel('Run').selectOption(String(run.id));
    await dialog.getByRole('button', { name: 'Use prediction' }).click();
    await expect.poll(() => dialog.count(), SLOW).toBe(0);
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 1');
    const [revision] = await history(image.id);
    expect(revision).toMatchObject({ source: 'prediction', foreground: 1 });
    expect(findPredictionFile(db, run.id, image.id)).not.toBeNull();
  });

  it('takes the photo’s similar colours around a click out with the magic wand (Alt)', async () => {
    // The image is all foreground (the last test); the wand removes a region of the photo.
    const image = images[1]!;
    await page.keyboard.press('w');
    await page.getByLabel('Wand tolerance').waitFor();
    const box = (await canvas().boundingBox())!;
    const [cx, cy] = [box.x + box.width / 2, box.y + box.height / 2];
    expect((await pixelAt(cx, cy)).mask).toBe(true);
    await page.keyboard.down('Alt');
    await page.mouse.click(cx, cy);
    await page.keyboard.up('Alt');
    await expect.poll(() => status().innerText(), SLOW).toBe('Saved · revision 2');
    expect((await pixelAt(cx, cy)).mask).toBe(false);
    const [, second] = await history(image.id);
    // A region, not the whole photo: the wand keeps to colours near the clicked one.
    expect(second!.foreground).toBeLessThan(1);
    expect(second!.foreground).toBeGreaterThan(0);
  });
});
