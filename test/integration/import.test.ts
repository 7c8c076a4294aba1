import { spawnSync } from 'node:child_process';
import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterEach, describe, expect, it } from 'vitest';
import type { ApiEvents } from '../../src/shared/api';
import { ApiError } from '../../src/shared/errors';
import { createContext, type AppContext } from '../../src/main/context';
import { sweepStaleTempFiles } from '../../src/main/files';
import { exportMasks } from '../../src/main/images/export';
import { importFolder } from '../../src/main/images/importer';
import { decodeMask } from '../../src/main/images/mask';
import { listDatasets } from '../../src/main/store/datasets';
import { listStoredImages } from '../../src/main/store/images';
import { FACE, repoRoot } from '../paths';

const contexts: AppContext[] = [];
function newContext(): AppContext {
  const ctx = createContext(mkdtempSync(join(tmpdir(), 'jaccard-import-')));
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.db.close();
});

const tmpFolder = () => mkdtempSync(join(tmpdir(), 'jaccard-src-'));
const count = (ctx: AppContext, table: string) =>
  ctx.db.prepare(`SELECT COUNT(*) FROM ${table}`).pluck().get() as number;

/** Names, sizes and modification times: what "the user's folder is untouched" means. */
function snapshot(dir: string): string[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => {
      const s = statSync(join(dir, name));
      return `${name} ${s.size} ${s.mtimeMs}`;
    })
    .sort();
}

describe('importing fasseg-face', () => {
  it('imports 70 images with masks in their splits and leaves the folder untouched', async () => {
    const ctx = newContext();
    const before = snapshot(FACE);
    const progress: ApiEvents['import.progress'][] = [];
    ctx.events.onAny((event, payload) => {
      if (event === 'import.progress') progress.push(payload as ApiEvents['import.progress']);
    });

    const report = await importFolder(ctx, { folder: FACE, name: 'face' });

    expect(report.images).toBe(70);
    expect(report.masks).toBe(70);
    expect(report.splits).toEqual({ train: 20, test: 50, unassigned: 0 });
    // The shared set holds six train images again in test; they import, flagged.
    expect(report.problems).toHaveLength(6);
    for (const p of report.problems) expect(p.reason).toMatch(/^imported, but .* train split/);
    expect(report.dataset).toMatchObject({ name: 'face', imageCount: 70, maskedCount: 70 });
    expect(report.dataset.foreground).toBeGreaterThan(0.45);
    expect(report.dataset.foreground).toBeLessThan(0.6);
    expect(progress).toHaveLength(70);
    expect(progress.at(-1)).toMatchObject({ done: 70, total: 70, datasetId: 0 });
    expect(snapshot(FACE)).toEqual(before);

    const images = listStoredImages(ctx.db, report.dataset.id);
    const first = images[0]!;
    expect([first.split, first.stem, first.width, first.height]).toEqual(['train', '1', 182, 256]);
    expect(first.originalName).toBe('train/images/1.png');
    const original = readFileSync(join(FACE, 'train/images/1.png'));
    // PNGs are kept byte for byte, under their hash.
    expect(readFileSync(join(ctx.dataDir, first.file)).equals(original)).toBe(true);
    expect(first.file).toBe(`files/images/${first.sha256.slice(0, 2)}/${first.sha256}.png`);
    const stored = readFileSync(join(ctx.dataDir, first.maskFile!));
    const meta = await sharp(stored).metadata();
    expect([meta.channels, meta.depth, meta.width, meta.height]).toEqual([1, 'uchar', 182, 256]);
    const mask = await decodeMask(stored);
    const source = await decodeMask(readFileSync(join(FACE, 'train/masks/1.png')));
    expect(Buffer.compare(mask.data, source.data)).toBe(0);
  });

  it('reports a second import of the same folder as duplicates and adds nothing', async () => {
    const ctx = newContext();
    await importFolder(ctx, { folder: FACE, name: 'face' });
    const again = await importFolder(ctx, { folder: FACE, name: 'FACE' });
    expect(again.images).toBe(0);
    expect(again.dataset.imageCount).toBe(70);
    expect(again.problems).toHaveLength(70);
    expect(again.problems[0]).toEqual({
      file: 'train/images/1.png',
      reason: 'image skipped: the train split already has an image named "1" (train/images/1.png)',
    });
    expect(count(ctx, 'images')).toBe(70);
    expect(count(ctx, 'masks')).toBe(70);
  });
});

describe('bad input', () => {
  it('imports the good files and reports each bad one', async () => {
    const src = tmpFolder();
    mkdirSync(join(src, 'images'));
    mkdirSync(join(src, 'masks'));
    const img = (stem: string, split = 'train') => join(FACE, split, 'images', `${stem}.png`);
    const msk = (stem: string, split = 'train') => join(FACE, split, 'masks', `${stem}.png`);
    const face1 = readFileSync(img('1'));

    copyFileSync(img('1'), join(src, 'images/good.png'));
    copyFileSync(msk('1'), join(src, 'masks/good.png'));
    writeFileSync(join(src, 'images/truncated.png'), face1.subarray(0, face1.length >> 1));
    writeFileSync(join(src, 'images/text.png'), 'this is not an image\n');
    copyFileSync(img('2'), join(src, 'images/wrongsize.png'));
    writeFileSync(
      join(src, 'masks/wrongsize.png'),
      await sharp(readFileSync(msk('2')))
        .resize(100, 100)
        .png()
        .toBuffer(),
    );
    copyFileSync(img('1'), join(src, 'images/same.png'));
    copyFileSync(msk('3'), join(src, 'masks/ghost.png'));
    symlinkSync(join(src, 'nowhere.png'), join(src, 'images/broken.png'));
    writeFileSync(join(src, 'images/notes.txt'), 'a note');
    // Other formats, images and masks alike; the mask of "tiff" is 0/1.
    writeFileSync(join(src, 'images/jpeg.jpg'), await sharp(img('4')).jpeg().toBuffer());
    writeFileSync(join(src, 'images/webp.webp'), await sharp(img('5')).webp().toBuffer());
    writeFileSync(join(src, 'images/tiff.tif'), await sharp(img('6')).tiff().toBuffer());
    const zeroOne = await sharp(msk('6'))
      .extractChannel(0)
      .linear(1 / 255, 0)
      .png()
      .toBuffer();
    writeFileSync(join(src, 'masks/tiff.png'), zeroOne);
    writeFileSync(
      join(src, 'masks/webp.webp'),
      await sharp(msk('5')).webp({ lossless: true }).toBuffer(),
    );
    writeFileSync(
      join(src, 'masks/jpeg.tiff'),
      await sharp(msk('4')).tiff({ compression: 'lzw' }).toBuffer(),
    );

    const ctx = newContext();
    const report = await importFolder(ctx, { folder: src, name: 'messy' });
    const reasons = Object.fromEntries(report.problems.map((p) => [p.file, p.reason]));

    expect(reasons).toEqual({
      'images/broken.png': expect.stringMatching(
        /^image skipped: cannot read the file \(it does not exist\)/,
      ),
      'images/same.png': 'image skipped: the same file as images/good.png',
      'images/notes.txt': expect.stringMatching(/^image skipped: not a PNG, JPEG/),
      'images/text.png': expect.stringMatching(
        /^image skipped: not a PNG, JPEG, BMP, TIFF or WebP image/,
      ),
      'images/truncated.png': expect.stringMatching(/^image skipped: corrupt or truncated PNG/),
      'masks/ghost.png': 'mask skipped: no image named "ghost"',
      'masks/wrongsize.png': 'mask skipped: it is 100x100 but its image is 227x256',
    });
    const images = listStoredImages(ctx.db, report.dataset.id);
    expect(images.map((i) => [i.stem, i.split, Boolean(i.maskFile)])).toEqual([
      ['good', 'unassigned', true],
      ['jpeg', 'unassigned', true],
      ['tiff', 'unassigned', true],
      ['webp', 'unassigned', true],
      ['wrongsize', 'unassigned', false],
    ]);
    expect([report.images, report.masks]).toEqual([5, 4]);
    // TIFF is stored as PNG, JPEG and WebP as they are.
    const ext = (stem: string) =>
      images
        .find((i) => i.stem === stem)!
        .file.split('.')
        .pop();
    expect([ext('tiff'), ext('jpeg'), ext('webp')]).toEqual(['png', 'jpg', 'webp']);
    // Every mask format lands as the same 0/255 pixels as the source mask.
    for (const [stem, source] of [
      ['tiff', '6'],
      ['webp', '5'],
      ['jpeg', '4'],
    ] as const) {
      const stored = await decodeMask(
        readFileSync(join(ctx.dataDir, images.find((i) => i.stem === stem)!.maskFile!)),
      );
      const truth = await decodeMask(readFileSync(msk(source)));
      expect(Buffer.compare(stored.data, truth.data), stem).toBe(0);
    }
  });

  it('takes a flat folder of images without masks, BMP included', async () => {
    const src = tmpFolder();
    const { data, info } = await sharp(join(FACE, 'test/images/30.png'))
      .raw()
      .toBuffer({ resolveWithObject: true });
    const { encode } = await import('fast-bmp');
    writeFileSync(
      join(src, 'a.bmp'),
      encode({
        width: info.width,
        height: info.height,
        data,
        bitsPerPixel: 24,
        components: 3,
        channels: 3,
      }),
    );
    copyFileSync(join(FACE, 'test/images/31.png'), join(src, 'b.png'));
    const ctx = newContext();
    const report = await importFolder(ctx, { folder: src });
    expect(report.dataset.name).toBe(src.split('/').pop());
    expect(report).toMatchObject({ images: 2, masks: 0, splits: { unassigned: 2 }, problems: [] });
    const [a] = listStoredImages(ctx.db, report.dataset.id, 'needs-mask');
    expect(a!.file.endsWith('.png')).toBe(true);
    const stored = await sharp(join(ctx.dataDir, a!.file)).raw().toBuffer();
    expect(Buffer.compare(stored, data)).toBe(0);
  });

  it('refuses a folder without images, and a missing folder', async () => {
    const ctx = newContext();
    const empty = tmpFolder();
    await expect(importFolder(ctx, { folder: empty })).rejects.toMatchObject({ code: 'invalid' });
    await expect(importFolder(ctx, { folder: join(empty, 'nope') })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(importFolder(ctx, { folder: FACE, datasetId: 99 })).rejects.toMatchObject({
      code: 'not-found',
    });
    expect(count(ctx, 'datasets')).toBe(0);
  });

  it('fails with an io error naming the path when the data folder cannot be written, and writes no rows', async () => {
    const ctx = newContext();
    // A file where the masks folder should be: every mask write fails.
    mkdirSync(join(ctx.dataDir, 'files'), { recursive: true });
    writeFileSync(join(ctx.dataDir, 'files/masks'), 'in the way');
    const error = await importFolder(ctx, { folder: FACE, name: 'face' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ApiError);
    expect(error).toMatchObject({ code: 'io' });
    expect((error as Error).message).toContain(join(ctx.dataDir, 'files/masks'));
    expect(count(ctx, 'datasets') + count(ctx, 'images') + count(ctx, 'masks')).toBe(0);
  });
});

describe('an import killed midway', () => {
  it('leaves no rows, and the next import completes, reusing the files written', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'jaccard-killed-'));
    const script = join(dataDir, 'kill.mts');
    const src = (p: string) => JSON.stringify(join(repoRoot, 'src/main', p));
    writeFileSync(
      script,
      `import { createContext } from ${src('context.ts')};
       import { importFolder } from ${src('images/importer.ts')};
       const ctx = createContext(${JSON.stringify(dataDir)});
       ctx.events.onAny((event, payload) => {
         if (event === 'import.progress' && payload.done === 40) process.kill(process.pid, 'SIGKILL');
       });
       await importFolder(ctx, { folder: ${JSON.stringify(FACE)}, name: 'face' });`,
    );
    const child = spawnSync(process.execPath, ['--import', 'tsx', script], { cwd: repoRoot });
    expect(child.signal).toBe('SIGKILL');

    const ctx = createContext(dataDir);
    contexts.push(ctx);
    expect(count(ctx, 'datasets') + count(ctx, 'images') + count(ctx, 'masks')).toBe(0);
    const written = readdirSync(join(dataDir, 'files'), { recursive: true }).length;
    expect(written).toBeGreaterThan(0);
    // As if the kill had landed between a write and its rename.
    const orphan = join(dataDir, 'files/masks', `ab.png.${child.pid}.0123abcd.tmp`);
    writeFileSync(orphan, 'half a mask');

    const report = await importFolder(ctx, { folder: FACE, name: 'face' });
    expect([report.images, report.masks]).toEqual([70, 70]);
    const files = readdirSync(join(dataDir, 'files'), { recursive: true, encoding: 'utf8' });
    // The dead writer's temp files are swept; the completed import leaves none of its own.
    expect(files.filter((f) => f.endsWith('.tmp'))).toEqual([]);
    // 64 distinct images and 70 masks, each stored once.
    const stored = files.filter((f) => /\.(png|jpg|webp)$/.test(f));
    expect(stored.length).toBe(
      new Set(listStoredImages(ctx.db, report.dataset.id).flatMap((i) => [i.file, i.maskFile]))
        .size,
    );
  });
});

describe('sweeping temp files', () => {
  it("removes a dead writer's temp files and keeps a live one's", async () => {
    const dataDir = tmpFolder();
    const folder = join(dataDir, 'files/images/ab');
    mkdirSync(folder, { recursive: true });
    const live = join(folder, `x.png.${process.pid}.0123abcd.tmp`);
    const dead = join(folder, 'x.png.4194304.89abcdef.tmp');
    const stored = join(folder, 'x.png');
    for (const file of [live, dead, stored]) writeFileSync(file, 'bytes');
    expect(await sweepStaleTempFiles(dataDir, (pid) => pid === process.pid)).toBe(1);
    expect([existsSync(live), existsSync(dead), existsSync(stored)]).toEqual([true, false, true]);
  });
});

describe('exporting masks', () => {
  it('writes STEM.png per split that re-import to identical pixels', async () => {
    const ctx = newContext();
    const { dataset } = await importFolder(ctx, { folder: FACE, name: 'face' });
    const out = join(tmpFolder(), 'exported');
    expect(await exportMasks(ctx, dataset.id, out)).toEqual({ folder: out, count: 70 });
    expect(readdirSync(join(out, 'train'))).toHaveLength(20);
    expect(readdirSync(join(out, 'test'))).toHaveLength(50);

    // The exported masks beside the original images make a dataset of their own.
    const again = tmpFolder();
    for (const split of ['train', 'test']) {
      mkdirSync(join(again, split));
      symlinkSync(join(FACE, split, 'images'), join(again, split, 'images'));
      symlinkSync(join(out, split), join(again, split, 'masks'));
    }
    const reimport = await importFolder(ctx, { folder: again, name: 'face again' });
    expect([reimport.images, reimport.masks]).toEqual([70, 70]);
    const key = (i: { split: string; stem: string }) => `${i.split}/${i.stem}`;
    const firstMasks = new Map(
      listStoredImages(ctx.db, dataset.id).map((i) => [key(i), i.maskFile]),
    );
    for (const image of listStoredImages(ctx.db, reimport.dataset.id)) {
      // Masks are stored under the hash of their PNG: the same file means the same pixels.
      expect(image.maskFile, key(image)).toBe(firstMasks.get(key(image)));
    }
    const exported = await decodeMask(readFileSync(join(out, 'test/7.png')));
    const source = await decodeMask(readFileSync(join(FACE, 'test/masks/7.png')));
    expect(Buffer.compare(exported.data, source.data)).toBe(0);
  });

  it('exports a one-split dataset flat, repeats harmlessly, and refuses to overwrite other files', async () => {
    const ctx = newContext();
    const src = tmpFolder();
    mkdirSync(join(src, 'images'));
    mkdirSync(join(src, 'masks'));
    for (const stem of ['1', '2', '3']) {
      copyFileSync(join(FACE, 'train/images', `${stem}.png`), join(src, 'images', `${stem}.png`));
      copyFileSync(join(FACE, 'train/masks', `${stem}.png`), join(src, 'masks', `${stem}.png`));
    }
    const { dataset } = await importFolder(ctx, { folder: src });
    const out = tmpFolder();
    await exportMasks(ctx, dataset.id, out);
    expect(readdirSync(out).sort()).toEqual(['1.png', '2.png', '3.png']);
    await expect(exportMasks(ctx, dataset.id, out)).resolves.toEqual({ folder: out, count: 3 });

    writeFileSync(join(out, '2.png'), 'mine');
    const mtime = statSync(join(out, '1.png')).mtimeMs;
    const error = await exportMasks(ctx, dataset.id, out).catch((e: unknown) => e);
    expect(error).toMatchObject({ code: 'conflict' });
    expect((error as Error).message).toContain('2.png');
    expect(readFileSync(join(out, '2.png'), 'utf8')).toBe('mine');
    expect(statSync(join(out, '1.png')).mtimeMs).toBe(mtime);
    expect(listDatasets(ctx.db)).toHaveLength(1);
  });
});
