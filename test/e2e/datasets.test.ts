// The Datasets view in Chromium against the real engine: import a folder by typing its
// path, see every thumbnail with its split, open an image and its mask, filter, use the
// keyboard, rename and delete. JACCARD_SCREENSHOTS=1 also refreshes the README's
// screenshot in resources/screenshots/.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { extname, join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { FACE, repoRoot } from '../paths';
import { launchApp, type AppHarness } from './harness';
import { engineCall } from './train-compare-helpers';

const README_SHOTS = join(repoRoot, 'resources/screenshots');

/** What the check below reads of an <img>; spelled out because tests compile without DOM types. */
interface ImageLike {
  complete: boolean;
  naturalWidth: number;
  getBoundingClientRect(): { top: number; bottom: number; width: number };
  ownerDocument: { documentElement: { clientHeight: number } };
}

/** What the tile check reads of an element. */
interface ElementLike {
  clientWidth: number;
  scrollWidth: number;
  textContent: string | null;
  querySelector(selector: string): ElementLike | null;
  querySelectorAll(selector: string): Iterable<ElementLike>;
}

/** Waits until every image `images` matches that is on screen has decoded pixels. */
async function visibleImagesLoaded(images: Locator): Promise<void> {
  const loaded = () =>
    images.evaluateAll((elements) => {
      const onScreen = (elements as unknown as ImageLike[]).filter((img) => {
        const box = img.getBoundingClientRect();
        const height = img.ownerDocument.documentElement.clientHeight;
        return box.bottom > 0 && box.top < height && box.width > 0;
      });
      return onScreen.length > 0 && onScreen.every((img) => img.complete && img.naturalWidth > 0);
    });
  await expect.poll(loaded, { timeout: 15_000 }).toBe(true);
}

describe('Datasets view', () => {
  let app: AppHarness;
  let page: Page;
  // Each step continues from the last one's screen; after a failure the rest would only
  // wait out their timeouts.
  let failed = false;

  beforeAll(async () => {
    app = await launchApp();
    page = await app.open('#/datasets');
    page.setDefaultTimeout(15_000);
  });

  beforeEach((ctx) => {
    if (failed) ctx.skip();
  });

  afterEach((ctx) => {
    if (ctx.task.result?.state === 'fail') failed = true;
  });

  afterAll(async () => {
    await app?.close(); // fails the run if the page logged any error
  });

  it('starts empty and imports a folder typed as a path', async () => {
    await expect.poll(() => page.getByRole('heading', { name: 'No datasets yet' }).count()).toBe(1);
    await page.getByRole('button', { name: 'Import folder…' }).first().click();

    const dialog = page.getByRole('dialog', { name: 'Import a folder' });
    await dialog.getByLabel('Folder path').fill(FACE);
    expect(await dialog.getByRole('textbox', { name: 'New dataset name' }).inputValue()).toBe(
      'fasseg-face',
    );
    await dialog.getByRole('button', { name: 'Import', exact: true }).click();
    // Live progress: the bar gets a value once the engine's first import.progress arrives.
    await dialog.locator('[role="progressbar"][aria-valuenow]').waitFor();
    expect(await page.getByRole('navigation').innerText()).toMatch(/Importing \d+ \/ 70/);

    const report = dialog.getByRole('region', { name: 'Import report' });
    await report.waitFor();
    expect(await report.getByRole('status').innerText()).toBe(
      'Imported 70 images and 70 masks into fasseg-face (20 train, 50 test).',
    );
    // fasseg-face's test split repeats six train images; the report names each pair.
    const problems = report.locator('tbody tr');
    expect(await problems.count()).toBe(6);
    expect(await problems.first().innerText()).toMatch(
      /test\/images\/13\.png\s.*train\/images\/17\.png/,
    );
    await dialog.getByRole('button', { name: 'Open “fasseg-face”' }).click();
    await page.waitForURL(/#\/datasets\/\d+$/);
  });

  it('shows 70 thumbnails with masks, 20 train and 50 test', async () => {
    const cards = page.locator('ul[aria-label="Images"] a');
    await expect.poll(() => cards.count()).toBe(70);
    expect(await page.locator('a[data-split="train"]').count()).toBe(20);
    expect(await page.locator('a[data-split="test"]').count()).toBe(50);
    expect(await page.locator('ul[aria-label="Images"] .mask-overlay').count()).toBe(70);
    expect(await page.getByText('70 images · 70 masked').count()).toBe(1);
    await visibleImagesLoaded(page.locator('ul[aria-label="Images"] img'));

    await page.mouse.move(0, 0); // no hover highlight in the picture
    const shot = await app.screenshot(page, 'datasets');
    if (process.env.JACCARD_SCREENSHOTS) {
      mkdirSync(README_SHOTS, { recursive: true });
      copyFileSync(shot, join(README_SHOTS, 'datasets.png'));
    }
  });

  it('filters by split and by missing masks', async () => {
    const cards = page.locator('ul[aria-label="Images"] a');
    await page.getByRole('button', { name: 'Train 20' }).click();
    await expect.poll(() => cards.count()).toBe(20);
    await page.getByRole('button', { name: /^All/ }).click();
    await page.getByRole('button', { name: 'Needs mask 0' }).click();
    await expect
      .poll(() => page.getByRole('heading', { name: 'No image matches' }).count())
      .toBe(1);
    await page.getByRole('button', { name: 'Any mask' }).click();
    await expect.poll(() => cards.count()).toBe(70);
  });

  it('says Pre-label has nothing to do when every image has a mask', async () => {
    await page.getByRole('button', { name: 'Pre-label…' }).click();
    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    expect(await dialog.innerText()).toMatch(/there is nothing to pre-label/);
    expect(await dialog.getByRole('button', { name: 'Pre-label' }).isDisabled()).toBe(true);
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
  });

  it('opens an image with its mask, steps with the keyboard, links to the annotator', async () => {
    const first = page.locator('ul[aria-label="Images"] a').first();
    const imageId = await first.getAttribute('data-image-id');
    await first.focus();
    await page.keyboard.press('Enter');

    const dialog = page.getByRole('dialog');
    await dialog.waitFor();
    await visibleImagesLoaded(dialog.locator('img'));
    const overlay = dialog.locator('img.mask-overlay');
    expect(
      await overlay.evaluate((img) => (img as unknown as ImageLike).naturalWidth),
    ).toBeGreaterThan(0);
    expect(await dialog.innerText()).toMatch(/182 × 256 px/);
    await expect.poll(() => dialog.getByText(/#1 · import/).count()).toBe(1);
    const annotate = dialog.getByRole('link', { name: 'Annotate' });
    expect(await annotate.getAttribute('href')).toMatch(new RegExp(`^#/annotate/\\d+/${imageId}$`));
    await app.screenshot(page, 'datasets-image');

    await page.keyboard.press('m');
    expect(await overlay.isVisible()).toBe(false);
    await page.keyboard.press('ArrowRight');
    await page.waitForURL((url) => !url.hash.endsWith(`image=${imageId}`));
    await page.keyboard.press('Escape');
    await expect.poll(() => dialog.count()).toBe(0);
    // Focus goes back to the card that opened the panel, so the keyboard user keeps their place.
    expect(await page.locator('a[data-image-id]:focus').getAttribute('data-image-id')).toBe(
      imageId,
    );
  });

  it('says in Train that test images repeat train images', async () => {
    const back = page.url();
    await page.goto(`${app.url}#/train`);
    const note = page.getByRole('form', { name: 'Training settings' }).getByTestId('duplicates');
    await note.waitFor();
    expect(await note.innerText()).toMatch(/^50 test images, 6 of them also in train/);
    await page.goto(back);
  });

  it('shows unlabelled tiles with their names and whole badges', async () => {
    const flat = mkdtempSync(join(tmpdir(), 'jaccard-photos-'));
    const train = join(FACE, 'train', 'images');
    for (const [i, file] of readdirSync(train).slice(0, 3).entries()) {
      copyFileSync(join(train, file), join(flat, `holiday_photo_2024_${i}${extname(file)}`));
    }
    const report = await engineCall(app, 'datasets.import', { folder: flat, name: 'photos' });
    rmSync(flat, { recursive: true, force: true });
    const back = page.url();
    await page.goto(`${app.url}#/datasets/${report.dataset.id}`);
    const tiles = page.locator('ul[aria-label="Images"] li');
    await tiles.nth(2).waitFor();
    expect(await tiles.count()).toBe(3);
    await visibleImagesLoaded(page.locator('ul[aria-label="Images"] img'));
    const fit = await tiles.evaluateAll((items) =>
      (items as unknown as ElementLike[]).map((li) => ({
        stem: li.querySelector('.stem')!.clientWidth,
        cut: [...li.querySelectorAll('.badge')]
          .filter((b) => b.scrollWidth > b.clientWidth + 1)
          .map((b) => b.textContent),
        badges: [...li.querySelectorAll('.badge')].map((b) => b.textContent!.trim()),
      })),
    );
    for (const tile of fit) {
      expect(tile.stem).toBeGreaterThan(100);
      expect(tile.cut).toEqual([]);
      expect(tile.badges).toEqual(expect.arrayContaining(['needs mask', 'unassigned']));
    }
    await page.mouse.move(0, 0);
    await app.screenshot(page, 'datasets-unlabelled');
    await engineCall(app, 'datasets.delete', { id: report.dataset.id });
    await page.goto(back);
  });

  it('renames and deletes the dataset after confirming', async () => {
    await page.getByRole('button', { name: 'Rename…' }).click();
    const rename = page.getByRole('dialog', { name: 'Rename dataset' });
    await rename.getByLabel('Name').fill('faces');
    await page.keyboard.press('Enter');
    await expect
      .poll(() => page.getByRole('heading', { name: 'faces', exact: true }).count())
      .toBe(1);

    await page.getByRole('button', { name: 'Delete…' }).click();
    await page
      .getByRole('dialog', { name: 'Delete dataset' })
      .getByRole('button', { name: 'Delete' })
      .click();
    await page.waitForURL(/#\/datasets$/);
    await expect.poll(() => page.getByRole('heading', { name: 'No datasets yet' }).count()).toBe(1);
  });
});
