// Train, Runs and Compare in Chromium against the real engine and trainer: a paired
// IoU-vs-BCE run on 8 fasseg-face images at 32 px, watched while it trains, then compared
// (table against the store, panes, threshold, report export, save and reload), and the
// run actions (rename, export weights, stop, resume, delete). JACCARD_SCREENSHOTS=1 also
// refreshes the README's screenshots in resources/screenshots/.
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import type { Input, Method } from '../../src/shared/api';
import { METRIC_NAMES, type ComparisonResult } from '../../src/shared/api/compare';
import { formatMeanSd } from '../../src/shared/charts';
import { BACKEND_LABELS } from '../../src/shared/ids';
import { repoRoot } from '../paths';
import { launchApp, type AppHarness } from './harness';
import { engineCall, faceSubset } from './train-compare-helpers';

const README_SHOTS = join(repoRoot, 'resources/screenshots');
/** Two tiny trainings, each a few seconds on wasm; generous for a loaded machine. */
const TRAINING = { timeout: 90_000 };
/** A run starting or stopping: a worker process to fork or to settle. */
const WORKER = { timeout: 30_000 };

describe('Train, Runs and Compare views', () => {
  let app: AppHarness;
  let page: Page;
  let source: string;
  let exportDir: string;
  let datasetId: number;
  let runIds: number[] = [];
  let threshold = 0.5;
  let failed = false;

  const call = <M extends Method>(method: M, input: Input<M>) => engineCall(app, method, input);

  /** The whole view: the window grows to the content's height (the shell scrolls <main>). */
  async function shot(name: string): Promise<void> {
    await page.mouse.move(0, 0);
    const viewport = page.viewportSize()!;
    const height = await page.evaluate(() => document.querySelector('main')!.scrollHeight);
    await page.setViewportSize({
      width: viewport.width,
      height: Math.max(viewport.height, height),
    });
    const file = await app.screenshot(page, name);
    await page.setViewportSize(viewport);
    if (process.env.JACCARD_SCREENSHOTS) {
      mkdirSync(README_SHOTS, { recursive: true });
      copyFileSync(file, join(README_SHOTS, `${name}.png`));
    }
  }

  /** The metrics table shows exactly the store's numbers for this result. */
  async function expectTable(expected: ComparisonResult): Promise<void> {
    const table = page.getByRole('region', { name: 'Metrics' });
    // The table follows a threshold change once the engine has recomputed.
    const iou = table.locator('tr[data-arm="0"] td[data-metric="iou"]');
    await expect
      .poll(async () => Number(await iou.getAttribute('data-value')))
      .toBe(expected.arms[0]!.metrics.iou.mean);
    for (const [a, arm] of expected.arms.entries()) {
      for (const m of METRIC_NAMES) {
        const cell = table.locator(`tr[data-arm="${a}"] td[data-metric="${m}"]`);
        expect(Number(await cell.getAttribute('data-value'))).toBe(arm.metrics[m].mean);
        expect(await cell.innerText()).toBe(formatMeanSd(arm.metrics[m]));
      }
    }
  }

  /** Sum of the pixels a run's pane drew, to see the canvas change. */
  function paneChecksum(runId: number): Promise<number> {
    return page.locator(`figure[data-pane="run-${runId}"] canvas`).evaluate((canvas) => {
      const c = canvas as unknown as {
        width: number;
        height: number;
        getContext(kind: '2d'): {
          getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray };
        };
      };
      const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
      let sum = 0;
      for (let i = 0; i < data.length; i++) sum = (sum + data[i]! * ((i % 251) + 1)) % 1e9;
      return sum;
    });
  }

  beforeAll(async () => {
    source = faceSubset({ train: 8, test: 4 });
    exportDir = mkdtempSync(join(tmpdir(), 'jaccard-weights-'));
    app = await launchApp();
    const report = await call('datasets.import', { folder: source, name: 'faces' });
    expect(report.splits).toMatchObject({ train: 8, test: 4 });
    datasetId = report.dataset.id;
    page = await app.open('#/train');
    page.setDefaultTimeout(15_000);
  });

  beforeEach((ctx) => {
    if (failed) ctx.skip();
  });

  afterEach(async (ctx) => {
    if (ctx.task.result?.state !== 'fail') return;
    failed = true;
    await app.screenshot(page, 'train-compare-failure').catch(() => undefined);
  });

  afterAll(async () => {
    rmSync(source, { recursive: true, force: true });
    rmSync(exportDir, { recursive: true, force: true });
    await app?.close(); // fails the run if the page logged any error
  });

  it('launches IoU vs BCE from the Train view and shows it training', TRAINING, async () => {
    const form = page.getByRole('form', { name: 'Training settings' });
    await expect.poll(() => form.getByLabel('Dataset').inputValue()).toBe(String(datasetId));
    await form.getByRole('button', { name: 'Quick' }).click();
    expect(await form.getByRole('button', { name: 'Quick' }).getAttribute('aria-pressed')).toBe(
      'true',
    );
    await form.getByText('Advanced settings').click();
    await form.getByLabel('Epochs', { exact: true }).fill('2');
    await form.getByLabel('Image size (px)', { exact: true }).fill('32');
    await form.getByLabel('Batch size', { exact: true }).fill('4');
    expect(await form.getByRole('button', { name: 'Quick' }).getAttribute('aria-pressed')).toBe(
      'false',
    );
    await form.getByLabel('Number of seeds', { exact: true }).fill('1');
    await form.getByRole('button', { name: 'Compare IoU vs BCE' }).click();

    // Live: a progress bar with a value, the backend in words, progress text.
    // Batches take a fraction of a second here, so the check runs on every frame.
    await page.waitForFunction(
      () =>
        /^Epoch \d \/ 2 · batch \d \/ \d · [\d.]+ images\/s/.test(
          document.querySelector('section[data-run-id] [role="status"]')?.textContent ?? '',
        ),
      null,
      { polling: 'raf', ...TRAINING },
    );
    const monitor = page.locator('section[data-run-id]');
    expect(Object.values(BACKEND_LABELS)).toContain(
      (await monitor.getByTestId('backend').innerText()).trim(),
    );

    const queue = page.getByRole('region', { name: 'Queue' });
    await expect.poll(() => queue.locator('tr[data-run-id]').count()).toBe(2);
    await expect.poll(() => queue.locator('[data-status="finished"]').count(), TRAINING).toBe(2);
    runIds = (await call('runs.list', {})).map((r) => r.id).sort((a, b) => a - b);
    expect(runIds).toHaveLength(2);

    // The watched run's curves: loss (train and validation), IoU and speed, two epochs each.
    const points = monitor.locator('svg .mark-symbol.role-mark path');
    await expect.poll(() => points.count()).toBe(8);
    await expect
      .poll(() => queue.getByRole('link', { name: 'Compare', exact: true }).count())
      .toBeGreaterThan(0);
    await shot('train');
  });

  it('lists the runs with their metrics and opens their comparison', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    const rows = page.locator('tbody tr[data-run-id]');
    await expect.poll(() => rows.count()).toBe(2);
    for (const id of runIds) {
      const run = await call('runs.get', { id });
      const row = page.locator(`tr[data-run-id="${id}"]`);
      expect(await row.innerText()).toContain(run.test!.iou.toFixed(3));
      expect(await row.innerText()).toContain(run.name);
    }
    await page.getByLabel('Select all runs').check();
    await shot('runs');
    await page.getByRole('button', { name: 'Compare (2)' }).click();
    await page.waitForURL(new RegExp(`#/compare\\?runs=${runIds.join(',')}$`));
  });

  it('shows the store’s numbers and every run’s prediction side by side', async () => {
    const expected = await call('compare.compute', { runIds, threshold: 0.5 });
    await expectTable(expected);

    const side = page.getByRole('region', { name: 'Side by side' });
    const imageId = Number(await side.getByLabel('Test image').inputValue());
    const image = expected.images.find((i) => i.imageId === imageId)!;
    for (const [r, id] of runIds.entries()) {
      await expect
        .poll(() => side.locator(`figure[data-pane="run-${id}"] .detail`).innerText())
        .toBe(`IoU ${image.iou[r]!.toFixed(3)}`);
    }
    // The first image opened is the one the arms disagree on most.
    expect(imageId).toBe(expected.tests[0]!.disagreements[0]!.imageId);

    // Zoom on one pane moves them all.
    const first = side.locator('figure[data-pane="truth"] .viewport');
    await first.scrollIntoViewIfNeeded();
    const box = (await first.boundingBox())!;
    await page.mouse.move(box.x + box.width / 3, box.y + box.height / 3);
    await page.mouse.wheel(0, -400);
    const transforms = () =>
      side
        .locator('.stage')
        .evaluateAll((els) => els.map((el) => (el as HTMLElement).style.transform));
    await expect.poll(async () => (await transforms())[0]).toMatch(/scale\((?!1\))/);
    const all = await transforms();
    expect(all).toHaveLength(4);
    expect(new Set(all).size).toBe(1);
    await first.dblclick();
  });

  it('redraws at a new threshold at once and recomputes the table', async () => {
    const side = page.getByRole('region', { name: 'Side by side' });
    const imageId = Number(await side.getByLabel('Test image').inputValue());
    const atHalf = await call('compare.compute', { runIds, threshold: 0.5 });
    // A threshold where this tiny net's numbers move (its probabilities sit near 0.5).
    let expected: ComparisonResult | undefined;
    for (const t of [0.4, 0.6, 0.3, 0.7, 0.2, 0.8, 0.1, 0.9]) {
      const at = await call('compare.compute', { runIds, threshold: t });
      const imageMoved = (c: ComparisonResult) =>
        c.images.find((i) => i.imageId === imageId)!.iou.join();
      if (
        at.arms[0]!.metrics.iou.mean !== atHalf.arms[0]!.metrics.iou.mean &&
        imageMoved(at) !== imageMoved(atHalf)
      ) {
        [threshold, expected] = [t, at];
        break;
      }
    }
    expect(expected, 'no threshold changes the metrics').toBeDefined();

    const before = await Promise.all(runIds.map(paneChecksum));
    await page.locator('#threshold').fill(String(threshold));
    expect(await page.locator('output[for="threshold"]').innerText()).toBe(threshold.toFixed(2));
    await expect.poll(() => Promise.all(runIds.map(paneChecksum))).not.toEqual(before);
    await expectTable(expected!);
    await page.waitForURL(new RegExp(`[?&]t=${threshold}(&|$)`));
    await shot('compare');
  });

  it('opens an image from the disagreements list and from the scatter', async () => {
    const select = page.getByRole('region', { name: 'Side by side' }).getByLabel('Test image');
    const openStem = () =>
      select.evaluate((el) => (el as unknown as HTMLSelectElement).selectedOptions[0]!.text);
    const list = page.getByRole('region', { name: 'Where they disagree most' });
    const buttons = list.getByRole('button', { name: /^Open image / });
    expect(await buttons.count()).toBe(4);
    const last = (await buttons.last().innerText()).trim();
    await buttons.last().click();
    await expect.poll(openStem).toBe(last);

    // One dot per test image; a click opens its image. Dots may overlap (equal scores),
    // so click until one of another image answers; force, as a dot may lie under another.
    const dots = page.locator(
      'figure[aria-label^="IoU per test image"] .mark-symbol.role-mark path',
    );
    expect(await dots.count()).toBe(4);
    for (let i = 0; i < 4 && (await openStem()) === last; i++) {
      await dots.nth(i).click({ force: true });
      await page.waitForTimeout(100);
    }
    expect(await openStem()).not.toBe(last);
  });

  it('exports the HTML report with its figures and the CSV table', async () => {
    const [report] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export report' }).click(),
    ]);
    expect(report.suggestedFilename()).toBe(
      `comparison-runs-${runIds.join('-')}-t${threshold}.html`,
    );
    const html = readFileSync(await report.path(), 'utf8');
    expect(html.match(/<svg[\s>]/g)?.length ?? 0).toBeGreaterThanOrEqual(2);
    expect(html).not.toMatch(/<script[^>]+src=|<img[^>]+src="http/);

    const [csv] = await Promise.all([
      page.waitForEvent('download'),
      page.getByRole('button', { name: 'Export CSV' }).click(),
    ]);
    const table = readFileSync(await csv.path(), 'utf8');
    expect(table.split('\n')[0]).toMatch(/iou/i);
  });

  it('saves the comparison and finds it again after a reload', async () => {
    await page.getByRole('button', { name: 'Save…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Save comparison' });
    await dialog.getByLabel('Name').fill('IoU vs BCE, tiny');
    await dialog.getByRole('button', { name: 'Save' }).click();
    await expect.poll(() => dialog.count()).toBe(0);

    await page.goto(`${app.url}#/compare`);
    await page.reload();
    const saved = page.getByRole('region', { name: 'Saved comparisons' });
    await saved.getByRole('link', { name: 'IoU vs BCE, tiny' }).click();
    await page.waitForURL(/#\/compare\?saved=\d+$/);
    expect(await page.getByRole('heading', { level: 1 }).innerText()).toBe('IoU vs BCE, tiny');
    const [stored] = await call('compare.list', {});
    const detail = await call('compare.get', { id: stored!.id });
    expect(detail.threshold).toBe(threshold);
    await expectTable(detail.result);
  });

  it('renames a run and exports its weights', async () => {
    const id = runIds[0]!;
    await page.goto(`${app.url}#/runs/${id}`);
    await page.getByRole('button', { name: 'Rename…' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename run' });
    await rename.getByLabel('Name').fill('soft IoU, tiny');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('heading', { level: 1 }).innerText())
      .toBe('soft IoU, tiny');
    expect((await call('runs.get', { id })).name).toBe('soft IoU, tiny');

    await page.getByRole('button', { name: 'Export weights…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export weights' });
    await dialog.getByLabel('Folder path').fill(exportDir);
    await dialog.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => dialog.count(), WORKER).toBe(0);
    for (const file of ['model.json', 'weights.bin', 'run.json'])
      expect(existsSync(join(exportDir, file)), file).toBe(true);
  });

  it('exports ONNX over files already there only after Overwrite', WORKER, async () => {
    const id = runIds[0]!;
    writeFileSync(join(exportDir, 'model.onnx'), 'not a model');
    await page.getByRole('button', { name: 'Export weights…' }).click();
    const dialog = page.getByRole('dialog', { name: 'Export weights' });
    await dialog.getByRole('radio', { name: /ONNX/ }).check();
    await dialog.getByLabel('Folder path').fill(exportDir);
    await dialog.getByRole('button', { name: 'Export' }).click();
    await expect.poll(() => dialog.getByRole('alert').innerText()).toMatch(/model\.onnx/);
    expect(readFileSync(join(exportDir, 'model.onnx'), 'utf8')).toBe('not a model');
    await dialog.getByRole('button', { name: 'Overwrite' }).click();
    await expect.poll(() => dialog.count(), WORKER).toBe(0);
    // The toast names the files and the absolute folder.
    await page
      .getByText(`Wrote model.onnx, run.json of “soft IoU, tiny” into ${exportDir}`)
      .waitFor();
    expect(readFileSync(join(exportDir, 'model.onnx')).length).toBeGreaterThan(1000);
    expect(JSON.parse(readFileSync(join(exportDir, 'run.json'), 'utf8'))).toMatchObject({
      run: id,
      model: { format: 'onnx' },
    });
  });

  it('predicts a folder into a used folder after Overwrite, with a report', WORKER, async () => {
    const out = mkdtempSync(join(tmpdir(), 'jaccard-predicted-'));
    try {
      writeFileSync(join(out, 'old.txt'), 'keep?');
      await page.getByRole('button', { name: 'Predict folder…' }).click();
      const dialog = page.getByRole('dialog', { name: 'Predict folder' });
      await dialog.getByLabel('Images folder').fill(join(source, 'test', 'images'));
      await dialog.getByLabel('Write the masks into').fill(out);
      await dialog.getByRole('button', { name: 'Predict' }).click();
      await expect.poll(() => dialog.getByRole('alert').count()).toBe(1);
      expect(readdirSync(out)).toEqual(['old.txt']);
      await dialog.getByRole('button', { name: 'Overwrite' }).click();
      const report = dialog.getByRole('region', { name: 'Prediction report' });
      await report.waitFor(WORKER);
      expect(await report.getByRole('status').innerText()).toBe(`Wrote 4 masks to ${out}`);
      expect(await report.innerText()).toMatch(/images\/s/);
      const masks = readdirSync(out).filter((f) => f.endsWith('.png'));
      expect(masks).toHaveLength(4);
      await dialog.getByRole('button', { name: 'Close' }).first().click();
    } finally {
      rmSync(out, { recursive: true, force: true });
    }
  });

  it('stops a run, resumes it, and deletes it', async () => {
    await page.getByRole('navigation').getByRole('link', { name: 'Train' }).click();
    const form = page.getByRole('form', { name: 'Training settings' });
    await form.getByRole('button', { name: 'Quick' }).click();
    await form.getByText('Advanced settings').click();
    await form.getByLabel('Epochs', { exact: true }).fill('500');
    await form.getByLabel('Image size (px)', { exact: true }).fill('32');
    await form.getByLabel('Run name (optional)', { exact: true }).fill('long run');
    await form.getByRole('button', { name: 'Train', exact: true }).click();

    const monitor = page.getByRole('region', { name: 'Run long run' });
    const status = () => monitor.locator('[data-status]').getAttribute('data-status');
    const training = monitor.locator('[role="progressbar"][aria-valuenow]');
    await training.waitFor(WORKER);
    await monitor.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(status, WORKER).toBe('cancelled');
    await monitor.getByRole('button', { name: 'Resume' }).click();
    await training.waitFor(WORKER);
    await monitor.getByRole('button', { name: 'Stop' }).click();
    await expect.poll(status, WORKER).toBe('cancelled');

    await page.getByRole('navigation').getByRole('link', { name: 'Runs' }).click();
    const row = page.locator('tbody tr', { hasText: 'long run' });
    await row.getByRole('checkbox').check();
    await page.getByRole('button', { name: 'Delete (1)…' }).click();
    await page
      .getByRole('dialog', { name: 'Delete run' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await expect.poll(() => page.locator('tbody tr[data-run-id]').count()).toBe(2);
    expect((await call('runs.list', {})).map((r) => r.id).sort((a, b) => a - b)).toEqual(runIds);
  });
});
