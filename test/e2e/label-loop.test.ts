// The label-train-correct loop in Chromium against the real engine: a tiny run trained on
// a few labelled faces (through the API: training from the UI is covered by
// train-compare.test.ts) pre-labels a second dataset of photos without masks from the
// dataset page; some pre-labels are accepted from a selection, "Label next" opens the
// least certain one, which is corrected in the annotator, the next one is accepted there;
// then a split is set, an image excluded and one deleted, and the store is checked.
// JACCARD_SCREENSHOTS=1 also refreshes resources/screenshots/prelabel.png.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type ImageRecord, isPrelabel, type LabelQueue, type Run } from '../../src/shared/domain';
import { FACE, repoRoot } from '../paths';
import { ARTIFACTS_DIR, launchApp, type AppHarness } from './harness';
import { engineCall, faceSubset } from './train-compare-helpers';

const README_SHOTS = join(repoRoot, 'resources/screenshots');
const SLOW = { timeout: 20_000 };
/**
 * For the README's picture the run must pre-label like a model that learned something;
 * for the test a run of seconds does, whatever its masks look like.
 */
const SHOWCASE = Boolean(process.env.JACCARD_SCREENSHOTS);
const TRAINING = SHOWCASE
  ? {
      train: 20,
      size: 64,
      epochs: 30,
      batchSize: 4,
      baseFilters: 8,
      augment: true,
      backend: undefined,
    }
  : {
      train: 4,
      size: 32,
      epochs: 2,
      batchSize: 2,
      baseFilters: 4,
      augment: false,
      backend: 'cpu' as const,
    };
/** Photos without masks; the picture has a page of them. */
const PHOTOS = SHOWCASE ? 18 : 6;
const TRAIN_MS = SHOWCASE ? 400_000 : 100_000;

/** The run once it stopped being queued or running (expect.poll is for tests only). */
async function untilSettled(app: AppHarness, id: number): Promise<Run> {
  const deadline = Date.now() + TRAIN_MS;
  for (;;) {
    const run = await engineCall(app, 'runs.get', { id });
    if (!['queued', 'running'].includes(run.status) || Date.now() > deadline) return run;
    await new Promise((done) => setTimeout(done, 500));
  }
}

describe('Label, train, pre-label, correct', () => {
  let app: AppHarness;
  let page: Page;
  let folders: string[];
  let run: Run;
  let photosId: number;
  let queue: LabelQueue;
  let failed = false;

  const list = () => engineCall(app, 'images.list', { datasetId: photosId });
  const byId = async (id: number) => (await list()).find((i) => i.id === id);
  const tile = (image: ImageRecord) => page.locator(`li:has(a[data-image-id="${image.id}"])`);
  const selection = () => page.getByRole('toolbar', { name: 'Selected images' });
  /** Moves within the app as its links do, so the annotator saves on the way out. */
  const go = (hash: string) =>
    page.evaluate((h) => {
      (globalThis as unknown as { location: { hash: string } }).location.hash = h;
    }, hash);

  beforeAll(async () => {
    app = await launchApp();
    // Four labelled faces to train on, two to test.
    const labelled = faceSubset({ train: TRAINING.train, test: 2 });
    // Six photos of other faces, without masks: a user's new folder.
    const photos = mkdtempSync(join(tmpdir(), 'jaccard-photos-'));
    folders = [labelled, photos];
    for (const file of readdirSync(join(FACE, 'test/images'))
      .sort()
      .slice(10, 10 + PHOTOS))
      copyFileSync(join(FACE, 'test/images', file), join(photos, file));

    const faces = await engineCall(app, 'datasets.import', { folder: labelled, name: 'faces' });
    const queued = await engineCall(app, 'runs.start', {
      name: 'tiny faces',
      config: {
        datasetId: faces.dataset.id,
        loss: 'iou',
        model: 'unet',
        size: TRAINING.size,
        epochs: TRAINING.epochs,
        batchSize: TRAINING.batchSize,
        learningRate: 1e-3,
        seed: 1,
        validationFraction: 0.25,
        augment: TRAINING.augment,
        patience: 0,
        baseFilters: TRAINING.baseFilters,
        depth: 3,
        batchNorm: true,
        input: { mode: 'resize' },
        backend: TRAINING.backend,
      },
    });
    const report = await engineCall(app, 'datasets.import', { folder: photos, name: 'photos' });
    expect(report).toMatchObject({ images: PHOTOS, masks: 0 });
    photosId = report.dataset.id;
    run = await untilSettled(app, queued.id);
    expect(run).toMatchObject({ status: 'finished', error: null });

    page = await app.open(`#/datasets/${photosId}`);
    page.setDefaultTimeout(15_000);
    await page.setViewportSize({ width: 1440, height: 900 });
  }, TRAIN_MS + 20_000);

  beforeEach((ctx) => {
    if (failed) ctx.skip();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    for (const folder of folders ?? []) rmSync(folder, { recursive: true, force: true });
    await app?.close(); // fails the run if the page logged any error
  });

  it('pre-labels the photos with the run of the other dataset', async () => {
    await expect.poll(() => page.locator('ul[aria-label="Images"] a').count()).toBe(PHOTOS);
    expect(await page.locator('.badge.warning', { hasText: 'needs mask' }).count()).toBe(PHOTOS);
    await page.getByRole('button', { name: 'Pre-label…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Pre-label images that need a mask' });
    const picker = dialog.getByLabel('Run (from any dataset)');
    await picker.waitFor();
    // The run is listed by id, name, dataset and test IoU.
    expect(await picker.locator('option').allInnerTexts()).toEqual([
      `#${run.id} tiny faces · faces · test IoU ${run.test!.iou.toFixed(3)}`,
    ]);
    await dialog.getByRole('button', { name: 'Pre-label', exact: true }).click();
    const summary = dialog.getByRole('region', { name: 'Pre-label report' }).getByRole('status');
    await summary.waitFor(SLOW);
    expect(await summary.innerText()).toMatch(
      // A duration as the app writes them: "4.2 s" under ten seconds, "12 s", "1 min 5 s".
      new RegExp(
        `^Pre-labelled ${PHOTOS} images in (\\d+(\\.\\d)? s|\\d+ min \\d+ s) \\(\\S+\\)\\.$`,
      ),
    );
    await dialog.getByRole('button', { name: 'Close' }).first().click();

    await expect
      .poll(() => page.locator('ul[aria-label="Images"] .badge.prelabel').count())
      .toBe(PHOTOS);
    expect((await list()).map((i) => i.mask?.source)).toEqual(Array(PHOTOS).fill('prediction'));
    expect(await page.getByTestId('split-note').innerText()).toMatch(
      /unassigned images 70% in training, 10% in validation and 20% in test/,
    );
    expect(await page.getByRole('region', { name: 'Label next' }).innerText()).toMatch(
      new RegExp(`${PHOTOS} images need a person\\.\\s+Least certain first, by mean pixel entropy`),
    );

    await page.mouse.move(0, 0);
    await expect
      .poll(() =>
        page
          .locator('ul[aria-label="Images"] img')
          .evaluateAll((imgs) =>
            imgs.every((img) => (img as unknown as { naturalWidth: number }).naturalWidth > 0),
          ),
      )
      .toBe(true);
    const shot = join(ARTIFACTS_DIR, 'prelabel.png');
    mkdirSync(ARTIFACTS_DIR, { recursive: true });
    await page.screenshot({ path: shot });
    if (process.env.JACCARD_SCREENSHOTS) {
      mkdirSync(README_SHOTS, { recursive: true });
      copyFileSync(shot, join(README_SHOTS, 'prelabel.png'));
    }
  });

  it('accepts the pre-labels of a Shift-click selection', async () => {
    const images = await list();
    await tile(images[0]!).getByRole('checkbox').click();
    await tile(images[1]!)
      .getByRole('checkbox')
      .click({ modifiers: ['Shift'] });
    expect(await selection().getByText('2 selected').count()).toBe(1);
    await selection().getByRole('button', { name: 'Accept pre-labels (2)' }).click();
    await expect
      .poll(() => page.locator('ul[aria-label="Images"] .badge.prelabel').count())
      .toBe(PHOTOS - 2);
    const after = await list();
    expect(after.slice(0, 2).map((i) => i.mask?.source)).toEqual(['annotation', 'annotation']);
    await selection().getByRole('button', { name: 'Clear' }).click();
    await expect.poll(() => selection().count()).toBe(0);
  });

  it('the lists count the pre-labels to check; Annotate opens the first of them', async () => {
    const back = page.url();
    await page.getByRole('navigation').getByRole('link', { name: 'Datasets' }).click();
    const row = page.locator('tr[data-dataset="photos"]');
    await row.waitFor();
    expect(await row.innerText()).toMatch(new RegExp(`${PHOTOS} · ${PHOTOS - 2} pre-labels`));
    await page.getByRole('navigation').getByRole('link', { name: 'Annotate' }).click();
    const card = page.locator(`a[href="#/annotate/${photosId}"]`);
    expect(await card.innerText()).toMatch(
      new RegExp(`${PHOTOS} images · 0 need a mask · ${PHOTOS - 2} pre-labels to check`),
    );
    const firstPrelabel = (await list()).find((i) => isPrelabel(i.mask))!;
    await card.click();
    await page.waitForURL(new RegExp(`#/annotate/${photosId}/${firstPrelabel.id}$`));
    await page.goto(back);
  });

  it('"Label next" opens the least certain pre-label, which an edit corrects', async () => {
    queue = await engineCall(app, 'images.labelNext', { datasetId: photosId });
    expect(queue.images).toHaveLength(PHOTOS - 2);
    const first = queue.images[0]!;
    await page
      .getByRole('region', { name: 'Label next' })
      .getByRole('button', { name: 'Label next' })
      .click();
    await page.waitForURL(new RegExp(`#/annotate/${photosId}/${first.imageId}$`));
    await page.locator(`[data-testid="mask-canvas"][data-image-id="${first.imageId}"]`).waitFor();
    const review = page.getByRole('region', { name: 'Review' });
    await review.locator('.badge.prelabel').waitFor();
    expect(await review.getByTestId('label-next').innerText()).toBe(
      `Label next 1 / ${PHOTOS - 2} · uncertainty ${first.uncertainty!.toFixed(3)} (${queue.measure})`,
    );

    const before = await byId(first.imageId);
    const box = (await page.getByTestId('mask-canvas').boundingBox())!;
    await page.mouse.move(box.x + box.width / 2 - 50, box.y + 40);
    await page.mouse.down();
    await page.mouse.move(box.x + box.width / 2 + 50, box.y + 40, { steps: 10 });
    await page.mouse.up();
    await expect
      .poll(
        () =>
          page
            .getByRole('status')
            .filter({ hasText: /^Saved/ })
            .count(),
        SLOW,
      )
      .toBe(1);
    await expect.poll(() => review.locator('.badge.prelabel').count()).toBe(0);
    const corrected = await byId(first.imageId);
    expect(corrected!.mask).toMatchObject({
      source: 'annotation',
      revision: before!.mask!.revision + 1,
    });
  });

  it('follows the order: next, then Accept goes on to the one after', async () => {
    const [, second, third] = queue.images;
    await page.keyboard.press('ArrowRight');
    await page.waitForURL(new RegExp(`#/annotate/${photosId}/${second!.imageId}$`));
    const review = page.getByRole('region', { name: 'Review' });
    await expect
      .poll(() => review.getByTestId('label-next').innerText())
      .toMatch(new RegExp(`^Label next 2 / ${PHOTOS - 2} `));
    await review.getByRole('button', { name: 'Accept, next →' }).click();
    await page.waitForURL(new RegExp(`#/annotate/${photosId}/${third!.imageId}$`));
    expect((await byId(second!.imageId))!.mask!.source).toBe('annotation');
    const left = await engineCall(app, 'images.labelNext', { datasetId: photosId });
    expect(left.images.map((i) => i.imageId)).toEqual(queue.images.slice(2).map((i) => i.imageId));
  });

  it('sets a split, excludes one image and deletes another', async () => {
    await go(`#/datasets/${photosId}`);
    const [a, b, c] = await list();
    await tile(a!).getByRole('checkbox').click();
    await selection()
      .getByRole('group', { name: 'Move to split' })
      .getByRole('button', { name: 'Test' })
      .click();
    await expect.poll(async () => (await byId(a!.id))!.split).toBe('test');
    await selection().getByRole('button', { name: 'Clear' }).click();

    await tile(b!).getByRole('checkbox').click();
    await selection().getByRole('button', { name: 'Exclude' }).click();
    await tile(b!).locator('.badge.excluded').waitFor();
    expect((await byId(b!.id))!.excluded).toBe(true);
    await selection().getByRole('button', { name: 'Clear' }).click();

    // Ctrl-click on a card selects it instead of opening it.
    await tile(c!)
      .locator('a')
      .click({ modifiers: ['Control'] });
    expect(page.url()).not.toMatch(/image=/);
    await selection().getByRole('button', { name: 'Delete 1 image…' }).click();
    const confirm = page.getByRole('dialog', { name: 'Delete images' });
    expect(await confirm.innerText()).toMatch(
      `Delete “${c!.stem}” with its masks and predictions?`,
    );
    await confirm.getByRole('button', { name: 'Delete' }).click();
    await expect.poll(() => page.locator('ul[aria-label="Images"] a').count()).toBe(PHOTOS - 1);
    await expect(engineCall(app, 'images.get', { id: c!.id })).rejects.toMatchObject({
      code: 'not-found',
    });

    const stored = await list();
    expect(stored.map((i) => [i.split, i.excluded, i.mask?.source])).toEqual([
      ['test', false, 'annotation'],
      ['unassigned', true, 'annotation'],
      ...stored.slice(2).map((i) => ['unassigned', false, i.mask?.source]),
    ]);
    const dataset = (await engineCall(app, 'datasets.list', {})).find((d) => d.id === photosId);
    expect(dataset).toMatchObject({ imageCount: PHOTOS - 1 });
  });

  it('trains again from the run: its input in words and "Start from" set', async () => {
    await go(`#/runs/${run.id}`);
    await page
      .getByText(`whole image resized to ${TRAINING.size} px (aspect kept, padded)`)
      .waitFor();
    await page.getByRole('link', { name: 'Train again…' }).click();
    await page.waitForURL(/#\/train\?dataset=\d+&parent=\d+$/);
    const startFrom = page.getByLabel('Start from');
    await expect.poll(() => startFrom.inputValue()).not.toBe('');
    expect(await startFrom.locator('option:checked').innerText()).toBe(
      `Run #${run.id} (tiny faces) · faces`,
    );
    const words = page.getByTestId('input-words');
    expect(await words.innerText()).toBe(
      `whole image resized to ${TRAINING.size} px (aspect kept, padded)`,
    );
    await page.getByRole('button', { name: 'Patches' }).click();
    expect(await words.innerText()).toBe(`patches of ${TRAINING.size} px at full resolution`);
    await page.getByLabel('Patch scale').selectOption({ label: '1:2' });
    expect(await words.innerText()).toBe(`patches of ${TRAINING.size} px at 1:2 scale`);
    const crops = page.getByLabel('Crops on the target');
    expect(await crops.locator('option:checked').innerText()).toBe('50% of crops (default)');
    await crops.selectOption({ label: '0% of crops' });
    expect(await words.innerText()).toBe(
      `patches of ${TRAINING.size} px at 1:2 scale, drawn uniformly`,
    );
    // Another scale keeps the share, and so does the scale the form suggests for 256 px
    // photos (at the picture's 64 px it suggests the whole image instead).
    await page.getByLabel('Patch scale').selectOption({ label: '1:1' });
    expect(await words.innerText()).toBe(
      `patches of ${TRAINING.size} px at full resolution, drawn uniformly`,
    );
    if (SHOWCASE) return;
    const hint = page.locator('.field-hint', { hasText: 'would suit them' });
    expect(await hint.innerText()).toMatch(
      `256 px across: patches of ${TRAINING.size} px at 1:${256 / (4 * TRAINING.size)} scale, drawn uniformly would suit them`,
    );
    await hint.getByRole('button', { name: 'Use it' }).click();
    expect(await words.innerText()).toBe(
      `patches of ${TRAINING.size} px at 1:${256 / (4 * TRAINING.size)} scale, drawn uniformly`,
    );
  });
});
