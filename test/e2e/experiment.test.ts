// The paper's experiment launched from the Compare view against the real engine and
// trainer, on tiny FASSEG subsets at 32 px for one epoch: one fasseg-face dataset, U-Net,
// soft IoU vs BCE, one seed, the list following its cells to 2/2 and linking to the
// comparison of its runs, and a second grid of its protocol (IoU vs Dice) listed beside it;
// then the sparsity axis (faces and eyes of the same images) under the Quick preset, its
// protocol and axis as the engine stored them, and its report saved.
import { readFileSync, rmSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { presetProtocol } from '../../src/shared/presets';
import { launchApp, type AppHarness } from './harness';
import { engineCall, faceSubset } from './train-compare-helpers';

/** Two one-epoch trainings of a few seconds each; generous for a loaded machine. */
const TRAINING = { timeout: 50_000 };
/** Four of them, and the report's charts. */
const AXIS_TRAINING = { timeout: 150_000 };

describe('Experiment from the Compare view', () => {
  let app: AppHarness;
  let page: Page;
  let sources: string[] = [];

  beforeAll(async () => {
    // The same first images of the faces, as two targets: the face, and the eyes.
    sources = [faceSubset({ train: 4, test: 2 }), faceSubset({ train: 4, test: 2 }, 'fasseg-eyes')];
    app = await launchApp();
    for (const [i, name] of ['faces', 'eyes'].entries()) {
      const report = await engineCall(app, 'datasets.import', { folder: sources[i]!, name });
      expect(report.splits).toMatchObject({ train: 4, test: 2 });
    }
    page = await app.open('#/compare');
    page.setDefaultTimeout(15_000);
  });

  afterAll(async () => {
    for (const source of sources) rmSync(source, { recursive: true, force: true });
    await app?.close(); // fails the run if the page logged any error
  });

  it('runs the grid, shows its progress and opens the comparison', TRAINING, async () => {
    const form = page.getByRole('form', { name: 'Experiment settings' });
    await form.getByRole('group', { name: 'Datasets', exact: true }).getByLabel('faces').check();
    expect(await form.getByLabel('U-Net').isChecked()).toBe(true);
    expect(await form.getByLabel('Soft IoU (Rahman & Wang)').isChecked()).toBe(true);
    expect(await form.getByLabel('Binary cross-entropy').isChecked()).toBe(true);
    await form.getByLabel('Seeds').fill('1');
    await form.getByLabel('Image size (px)').fill('32');
    await form.getByLabel('Epochs', { exact: true }).fill('1');
    await form.getByRole('button', { name: 'Run experiment' }).click();

    const item = page.getByRole('list', { name: 'Experiments' }).getByRole('listitem');
    await expect.poll(() => item.count()).toBe(1);
    expect(await item.getByTestId('grid').innerText()).toBe(
      'datasets: faces · U-Net · Soft IoU (Rahman & Wang) vs Binary cross-entropy · 1 seed',
    );
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

    // A second grid of the same protocol, IoU against Dice: listed beside the first (not
    // replacing it), training only its Dice cell; its comparison has its own runs, no BCE.
    // The form starts afresh whenever the view is opened.
    const sameProtocol = async (losses: string[]) => {
      await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
      await form.getByRole('group', { name: 'Datasets', exact: true }).getByLabel('faces').check();
      for (const loss of ['Soft IoU (Rahman & Wang)', 'Binary cross-entropy', 'Soft Dice'])
        await form.getByLabel(loss).setChecked(losses.includes(loss));
      await form.getByLabel('Seeds').fill('1');
      await form.getByLabel('Image size (px)').fill('32');
      await form.getByLabel('Epochs', { exact: true }).fill('1');
    };
    await sameProtocol(['Soft IoU (Rahman & Wang)', 'Soft Dice']);
    await form.getByRole('button', { name: 'Run experiment' }).click();
    await expect.poll(() => item.count()).toBe(2);
    // Newest first.
    const [second, first] = [item.first(), item.nth(1)];
    expect(await second.getByTestId('grid').innerText()).toBe(
      'datasets: faces · U-Net · Soft IoU (Rahman & Wang) vs Soft Dice · 1 seed',
    );
    await expect.poll(() => second.getByTestId('cells').innerText(), TRAINING).toBe('2/2 finished');
    expect(await first.getByTestId('cells').innerText()).toBe('2/2 finished');
    const [again] = await engineCall(app, 'experiments.list', {}).then((list) =>
      list.filter((e) => e.id !== experiment!.id),
    );
    const pair = (await engineCall(app, 'experiments.get', { id: again!.id })).summary[0]!.runIds;
    expect(pair).toContain(detail.cells.find((c) => c.loss === 'iou')!.run!.id);
    await second.getByRole('link', { name: 'Compare faces · U-Net' }).click();
    await page.waitForURL(new RegExp(`#/compare\\?runs=${pair.join(',')}$`));

    // The IoU loss alone, one seed: its cell is trained already, and its one run is all its
    // group will ever have, so the list opens that run instead of waiting for a second.
    await sameProtocol(['Soft IoU (Rahman & Wang)']);
    await form.getByRole('button', { name: 'Run experiment' }).click();
    await expect.poll(() => item.count()).toBe(3);
    expect(await item.first().getByTestId('cells').innerText()).toBe('1/1 finished');
    await item.first().getByRole('link', { name: 'Open faces · U-Net' }).click();
    await page.waitForURL(
      new RegExp(`#/runs/${detail.cells.find((c) => c.loss === 'iou')!.run!.id}$`),
    );
  });

  it(
    'runs a sparsity axis under the Quick preset and saves its report',
    AXIS_TRAINING,
    async () => {
      await page.getByRole('navigation').getByRole('link', { name: 'Compare' }).click();
      const form = page.getByRole('form', { name: 'Experiment settings' });
      const run = form.getByRole('button', { name: 'Run experiment' });
      const problem = form.getByRole('alert');
      const axis = form.getByRole('group', { name: 'Sparsity axis (same images, other targets)' });
      await axis.getByLabel('faces').check();
      // The schema's rules, said in the form before the engine is asked.
      await expect
        .poll(() => problem.innerText())
        .toBe('Sparsity axis: An axis needs at least two datasets.');
      expect(await run.isDisabled()).toBe(true);
      await axis.getByLabel('eyes').check();
      await form.getByLabel('Eroded sweep (optional)').selectOption({ label: 'faces' });
      await form.getByLabel('Sweep levels').fill('0.2, 2');
      await expect
        .poll(() => problem.innerText())
        .toBe('Eroded sweep: Levels are foreground fractions between 0 and 1, e.g. 0.2, 0.05.');
      expect(await run.isDisabled()).toBe(true);
      await form.getByLabel('Eroded sweep (optional)').selectOption({ label: 'None' });
      const labelled = form.getByLabel('Labelled images (optional)');
      await labelled.fill('1, 2');
      await expect
        .poll(() => problem.innerText())
        .toBe(
          'Labelled images: Label at least 2 images: one to train on and one to validate with.',
        );
      expect(await run.isDisabled()).toBe(true);
      await labelled.fill('2, 2');
      await expect
        .poll(() => problem.innerText())
        .toBe('Labelled images: A number of labelled images is listed twice.');
      expect(await run.isDisabled()).toBe(true);
      // Each dataset has 4 labelled train images: 2 is a subset, 4 the full data.
      await labelled.fill('4, 2');

      const quick = form.getByRole('button', { name: 'Quick' });
      await quick.click();
      expect(await quick.getAttribute('aria-pressed')).toBe('true');
      expect(await form.getByLabel('Batch size').inputValue()).toBe('4');
      await form.getByRole('button', { name: 'Patches' }).click();
      const words = form.getByTestId('input-words');
      expect(await words.innerText()).toBe('patches of 64 px at full resolution');
      await form.getByRole('button', { name: 'Whole image resized' }).click();
      await form.getByLabel('Seeds').fill('1');
      await form.getByLabel('Image size (px)').fill('32');
      await form.getByLabel('Epochs', { exact: true }).fill('1');
      expect(await quick.getAttribute('aria-pressed')).toBe('false');
      expect(await run.isDisabled()).toBe(false);
      await run.click();

      await expect.poll(async () => (await engineCall(app, 'experiments.list', {})).length).toBe(4);
      const listed = await engineCall(app, 'experiments.list', {});
      const { id } = listed.find((e) => e.grid.sparsityAxis)!;
      const detail = await engineCall(app, 'experiments.get', { id });
      // In the list's order (by name), as the checkboxes hold them.
      expect(detail.grid.sparsityAxis).toEqual(['eyes', 'faces']);
      expect(detail.grid.datasets.map((d) => d.name)).toEqual(['eyes', 'faces']);
      expect(detail.grid.sparsitySweep).toBeNull();
      expect(detail.protocol).toMatchObject({
        ...presetProtocol('quick'),
        size: 32,
        epochs: 1,
        input: { mode: 'resize' },
      });
      expect(detail.grid.labelledCounts).toEqual([2, 4]);
      expect(detail.counts.total).toBe(8);

      const item = page.locator(`li[data-experiment-id="${id}"]`);
      expect(await item.getByTestId('grid').innerText()).toBe(
        'sparsity axis: eyes, faces · labelled images: 2, 4 · U-Net · Soft IoU (Rahman & Wang) vs Binary cross-entropy · 1 seed',
      );
      await expect
        .poll(() => item.getByTestId('cells').innerText(), AXIS_TRAINING)
        .toBe('8/8 finished');
      // A comparison per number of labelled images, each of the runs trained on that many.
      const few = detail.cells.filter((c) => c.key.startsWith('eyes/') && c.labelled === 2);
      await item.getByRole('link', { name: 'Compare eyes · U-Net · 2 labelled' }).click();
      await page.waitForURL(new RegExp(`#/compare\\?runs=${few.map((c) => c.run!.id).join(',')}$`));
      // The run's page says what it trained on, as its trainer split the images.
      await page.goto(`${app.url}#/runs/${few[0]!.run!.id}`);
      await expect
        .poll(() => page.getByTestId('split').innerText())
        .toMatch(/, 2 labelled images only: 1 train, 1 validation, 2 test images$/);
      await page.goBack();
      await page.goBack();
      const [download] = await Promise.all([
        page.waitForEvent('download', AXIS_TRAINING),
        item.getByRole('button', { name: 'Save report' }).click(),
      ]);
      expect(download.suggestedFilename()).toBe(`experiment-${id}.html`);
      const html = readFileSync(await download.path(), 'utf8');
      // The sparsity figure, inline: the downloaded page is the whole report.
      expect(html).toMatch(/<h3>Real targets on the same images: eyes, faces<\/h3>\s*<figure><svg/);
    },
  );

  it('warns against BCE in the Train view when the target is as sparse as eyes', async () => {
    // What the axis found (docs/results.md section 8), said where the loss is chosen.
    await page.getByRole('navigation').getByRole('link', { name: 'Train' }).click();
    const form = page.getByRole('form', { name: 'Training settings' });
    const warning = form.getByTestId('sparse-bce');
    const dataset = form.getByLabel('Dataset');
    const loss = form.getByLabel('Loss');
    const ids = new Map(
      (await engineCall(app, 'datasets.list', {})).map((d) => [d.name, String(d.id)]),
    );
    await dataset.selectOption(ids.get('eyes')!);
    await loss.selectOption({ label: 'Binary cross-entropy' });
    await expect.poll(() => warning.innerText()).toMatch(/^eyes is sparse: \d\.\d% of each mask/);
    await loss.selectOption({ label: 'Soft IoU (Rahman & Wang)' });
    await expect.poll(() => warning.count()).toBe(0);
    await loss.selectOption({ label: 'Binary cross-entropy' });
    await dataset.selectOption(ids.get('faces')!);
    await expect.poll(() => warning.count()).toBe(0);
  });
});
