// The paper's experiment launched from the Compare view against the real engine and
// trainer: one tiny fasseg-face dataset, U-Net, soft IoU vs BCE, one seed at 32 px for one
// epoch; the list follows its cells to 2/2 and links to the comparison of its runs.
import { rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { launchApp, type AppHarness } from './harness';
import { engineCall, faceSubset } from './train-compare-helpers';

/** Two one-epoch trainings of a few seconds each; generous for a loaded machine. */
const TRAINING = { timeout: 50_000 };

describe('Experiment from the Compare view', () => {
  let app: AppHarness;
  let page: Page;
  let source: string;

  beforeAll(async () => {
    source = faceSubset({ train: 4, test: 2 });
    app = await launchApp();
    const report = await engineCall(app, 'datasets.import', { folder: source, name: 'faces' });
    expect(report.splits).toMatchObject({ train: 4, test: 2 });
    page = await app.open('#/compare');
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    if (source) rmSync(source, { recursive: true, force: true });
    await app?.close(); // fails the run if the page logged any error
  });

  it('runs the grid, shows its progress and opens the comparison', TRAINING, async () => {
    const form = page.getByRole('form', { name: 'Experiment settings' });
    await form.getByLabel('faces').check();
    expect(await form.getByLabel('U-Net').isChecked()).toBe(true);
    expect(await form.getByLabel('Soft IoU (Rahman & Wang)').isChecked()).toBe(true);
    expect(await form.getByLabel('Binary cross-entropy').isChecked()).toBe(true);
    await form.getByLabel('Seeds').fill('1');
    await form.getByLabel('Image size (px)').fill('32');
    await form.getByLabel('Epochs').fill('1');
    await form.getByRole('button', { name: 'Run experiment' }).click();

    const item = page.getByRole('list', { name: 'Experiments' }).getByRole('listitem');
    await expect.poll(() => item.count()).toBe(1);
    const cells = item.getByTestId('cells');
    await expect.poll(() => cells.innerText(), TRAINING).toBe('2/2 finished');

    const [experiment] = await engineCall(app, 'experiments.list', {});
    expect(experiment!.counts).toMatchObject({ total: 2, finished: 2 });
    const detail = await engineCall(app, 'experiments.get', { id: experiment!.id });
    const runIds = detail.summary[0]!.runIds;
    expect(runIds).toHaveLength(2);

    await item.getByRole('link', { name: 'Compare faces · U-Net' }).click();
    await page.waitForURL(new RegExp(`#/compare\\?runs=${runIds.join(',')}$`));
    const table = page.getByRole('region', { name: 'Metrics' });
    await expect.poll(() => table.locator('tr[data-arm] td[data-metric="iou"]').count()).toBe(2);
  });
});
