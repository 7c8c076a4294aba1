import {
  copyFileSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import sharp from 'sharp';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { datasetCalls } from '../../src/shared/api/datasets';
import type { ParsedInput } from '../../src/shared/api';
import { datasetHandlers } from '../../src/main/api/datasets';
import { createContext, type AppContext } from '../../src/main/context';
import { thumbPath } from '../../src/main/files';
import { decodeMask } from '../../src/main/images/mask';
import { resolveMedia } from '../../src/main/images/media';
import { THUMB_SIZE } from '../../src/main/images/thumbs';
import { runDir } from '../../src/main/training/run-files';
import {
  createDataset,
  deleteDataset,
  findDatasetId,
  getDataset,
  listDatasets,
  renameDataset,
} from '../../src/main/store/datasets';
import {
  getStoredImage,
  insertImage,
  listImages,
  listStoredImages,
} from '../../src/main/store/images';
import { currentMask, insertMask, maskHistory } from '../../src/main/store/masks';
import { openDatabase } from '../../src/main/store/database';
import { listExperimentRecords, saveExperiment } from '../../src/main/store/experiments';
import { MIGRATIONS } from '../../src/main/store/migrations';
import type { Protocol } from '../../src/shared/api/experiments';
import { FACE } from '../paths';

const contexts: AppContext[] = [];
function newContext(): AppContext {
  const ctx = createContext(mkdtempSync(join(tmpdir(), 'jaccard-store-')));
  contexts.push(ctx);
  return ctx;
}
afterEach(() => {
  for (const ctx of contexts.splice(0)) ctx.db.close();
});

type DatasetMethod = keyof typeof datasetCalls;
/** Calls a handler the way dispatch does: input validated (and defaulted) by the contract. */
async function call<M extends DatasetMethod>(ctx: AppContext, method: M, input: unknown) {
  const parsed = datasetCalls[method].input.parse(input) as ParsedInput<M>;
  return (await datasetHandlers[method](parsed as never, ctx)) as Awaited<
    ReturnType<(typeof datasetHandlers)[M]>
  >;
}

let hashCounter = 0;
function addImage(
  ctx: AppContext,
  datasetId: number,
  stem: string,
  split: 'train' | 'test' | 'unassigned',
) {
  hashCounter += 1;
  return insertImage(ctx.db, datasetId, {
    stem,
    split,
    file: `files/images/x/${hashCounter}.png`,
    originalName: `${stem}.png`,
    width: 4,
    height: 4,
    sha256: `hash${hashCounter}`,
  });
}
const mask = (
  imageId: number,
  foreground: number,
  file = `files/masks/m${imageId}-${foreground}.png`,
) => ({
  imageId,
  file,
  foreground,
  source: 'annotation' as const,
});

/** Three face images with masks in an images/ + masks/ folder. */
function smallFolder(): string {
  const src = mkdtempSync(join(tmpdir(), 'jaccard-src-'));
  mkdirSync(join(src, 'images'));
  mkdirSync(join(src, 'masks'));
  for (const stem of ['1', '2', '3']) {
    copyFileSync(join(FACE, 'train/images', `${stem}.png`), join(src, 'images', `${stem}.png`));
    copyFileSync(join(FACE, 'train/masks', `${stem}.png`), join(src, 'masks', `${stem}.png`));
  }
  return src;
}

describe('dataset repository', () => {
  it('creates, finds, renames and refuses taken names case-insensitively', () => {
    const ctx = newContext();
    const a = createDataset(ctx.db, '  Faces ');
    expect(a).toMatchObject({
      name: 'Faces',
      imageCount: 0,
      maskedCount: 0,
      foreground: null,
      splits: { train: 0, test: 0, unassigned: 0 },
    });
    expect(findDatasetId(ctx.db, 'faces')).toBe(a.id);
    expect(() => createDataset(ctx.db, 'FACES')).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    const b = createDataset(ctx.db, 'eyes');
    expect(() => renameDataset(ctx.db, b.id, 'faces')).toThrow(
      expect.objectContaining({ code: 'conflict' }),
    );
    expect(renameDataset(ctx.db, b.id, 'Eyes').name).toBe('Eyes');
    expect(() => renameDataset(ctx.db, 999, 'x')).toThrow(
      expect.objectContaining({ code: 'not-found' }),
    );
    expect(() => getDataset(ctx.db, 999)).toThrow(expect.objectContaining({ code: 'not-found' }));
    expect(listDatasets(ctx.db).map((d) => d.name)).toEqual(['Eyes', 'Faces']);
  });

  it('counts images, current masks, mean foreground and splits in one statement', () => {
    const ctx = newContext();
    const a = createDataset(ctx.db, 'a').id;
    const b = createDataset(ctx.db, 'b').id;
    const [i1, i2] = [addImage(ctx, a, '1', 'train'), addImage(ctx, a, '2', 'test')];
    addImage(ctx, a, '3', 'test');
    addImage(ctx, b, '1', 'unassigned');
    insertMask(ctx.db, mask(i1, 0.9));
    insertMask(ctx.db, mask(i1, 0.2)); // the current revision of i1
    insertMask(ctx.db, mask(i2, 0.4));

    const prepare = vi.spyOn(ctx.db, 'prepare');
    const [da, db] = listDatasets(ctx.db);
    expect(prepare).toHaveBeenCalledTimes(1);
    prepare.mockRestore();
    expect(da).toMatchObject({
      imageCount: 3,
      maskedCount: 2,
      splits: { train: 1, test: 2, unassigned: 0 },
    });
    expect(da!.foreground).toBeCloseTo(0.3, 10);
    expect(db).toMatchObject({
      imageCount: 1,
      maskedCount: 0,
      foreground: null,
      splits: { unassigned: 1 },
    });
  });

  it('counts test images with the bytes of a train or unassigned image', () => {
    const ctx = newContext();
    const a = createDataset(ctx.db, 'a').id;
    const b = createDataset(ctx.db, 'b').id;
    const add = (
      dataset: number,
      stem: string,
      split: 'train' | 'test' | 'unassigned',
      sha256: string,
    ) =>
      insertImage(ctx.db, dataset, {
        stem,
        split,
        file: `files/images/${sha256}-${stem}.png`,
        originalName: `${stem}.png`,
        width: 1,
        height: 1,
        sha256,
      });
    add(a, 't1', 'train', 'x');
    add(a, 'u1', 'unassigned', 'y');
    add(a, 's1', 'test', 'x'); // repeats t1
    add(a, 's2', 'test', 'y'); // repeats u1
    add(a, 's3', 'test', 'z');
    add(b, 's1', 'test', 'x'); // another dataset's train image does not count
    expect(getDataset(ctx.db, a).testInTrain).toBe(2);
    expect(getDataset(ctx.db, b).testInTrain).toBe(0);
  });

  it('deletes with cascade and returns only the files nothing else references', () => {
    const ctx = newContext();
    const a = createDataset(ctx.db, 'a').id;
    const b = createDataset(ctx.db, 'b').id;
    const shared = {
      file: 'files/images/sh/shared.png',
      originalName: 's.png',
      width: 4,
      height: 4,
    };
    const ia = insertImage(ctx.db, a, { ...shared, stem: 's', split: 'train', sha256: 'same' });
    insertImage(ctx.db, b, { ...shared, stem: 's', split: 'train', sha256: 'same' });
    const own = addImage(ctx, a, 'own', 'test');
    insertMask(ctx.db, mask(ia, 0.5, 'files/masks/mine.png'));
    insertMask(ctx.db, mask(own, 0.5, 'files/masks/mine.png'));
    insertMask(ctx.db, mask(own, 0.1, 'files/masks/only-a.png'));

    const addRun = (status: string, pid: number | null) =>
      Number(
        ctx.db
          .prepare(
            `INSERT INTO runs (dataset_id, name, config, status, pid) VALUES (?, 'r', '{}', ?, ?)`,
          )
          .run(a, status, pid).lastInsertRowid,
      );
    const finished = addRun('finished', null);
    ctx.db
      .prepare(`INSERT INTO run_images VALUES (?, ?, 'files/runs/p.png', 1, 1, 1, 1, 1)`)
      .run(finished, own);
    const training = addRun('running', process.pid);
    expect(() => deleteDataset(ctx.db, a)).toThrow(
      expect.objectContaining({ code: 'busy', message: expect.stringContaining(`(${training})`) }),
    );
    // A run whose process is gone was killed: it no longer holds the dataset.
    ctx.db.prepare('UPDATE runs SET pid = 2147483646 WHERE id = ?').run(training);

    const { files, runIds } = deleteDataset(ctx.db, a);
    expect(runIds).toEqual([finished, training]);
    expect(files.sort()).toEqual(
      [
        'files/images/x/' + hashCounter + '.png',
        'files/masks/mine.png',
        'files/masks/only-a.png',
        'files/runs/p.png',
      ].sort(),
    );
    expect(ctx.db.prepare('SELECT COUNT(*) FROM masks').pluck().get()).toBe(0);
    expect(listDatasets(ctx.db).map((d) => d.imageCount)).toEqual([1]);
    expect(() => deleteDataset(ctx.db, a)).toThrow(expect.objectContaining({ code: 'not-found' }));
  });
});

describe('image and mask repositories', () => {
  it('lists images in split and natural stem order, with their current mask', () => {
    const ctx = newContext();
    const d = createDataset(ctx.db, 'd').id;
    const ids = Object.fromEntries(
      (
        [
          ['10', 'train'],
          ['2', 'train'],
          ['b', 'unassigned'],
          ['1', 'test'],
        ] as const
      ).map(([stem, split]) => [stem, addImage(ctx, d, stem, split)]),
    );
    insertMask(ctx.db, mask(ids['2']!, 0.1));
    const second = insertMask(ctx.db, mask(ids['2']!, 0.7));
    expect(listImages(ctx.db, d).map((i) => `${i.split}/${i.stem}`)).toEqual([
      'train/2',
      'train/10',
      'test/1',
      'unassigned/b',
    ]);
    expect(listImages(ctx.db, d).find((i) => i.stem === '2')!.mask).toEqual(second);
    expect(listImages(ctx.db, d, 'needs-mask')).toHaveLength(3);
    expect(currentMask(ctx.db, ids['10']!)).toBeNull();
  });

  it('numbers revisions and refuses a save based on a stale one', () => {
    const ctx = newContext();
    const d = createDataset(ctx.db, 'd').id;
    const image = addImage(ctx, d, '1', 'train');
    expect(insertMask(ctx.db, mask(image, 0.1), 0).revision).toBe(1);
    expect(insertMask(ctx.db, mask(image, 0.2), 1).revision).toBe(2);
    expect(() => insertMask(ctx.db, mask(image, 0.3), 1)).toThrow(
      expect.objectContaining({
        code: 'conflict',
        message: expect.stringContaining('revision 2, not 1'),
      }),
    );
    expect(insertMask(ctx.db, mask(image, 0.4), null).revision).toBe(3);
    expect(maskHistory(ctx.db, image).map((m) => [m.revision, m.foreground])).toEqual([
      [1, 0.1],
      [2, 0.2],
      [3, 0.4],
    ]);
  });
});

describe('datasets API handlers', () => {
  it('saves an edited mask as the next revision, normalized, and checks size and base', async () => {
    const ctx = newContext();
    const { dataset } = await call(ctx, 'datasets.import', {
      folder: smallFolder(),
      name: 'three',
    });
    const [image] = await call(ctx, 'images.list', { datasetId: dataset.id });
    const { width, height } = image!;
    expect(image!.mask?.revision).toBe(1);

    // What a canvas exports: RGBA, white strokes on transparent; the left half painted.
    const rgba = Buffer.alloc(width * height * 4);
    for (let y = 0; y < height; y++) {
      for (let x = 0; x < width; x++) {
        const i = (y * width + x) * 4;
        rgba.fill(255, i, i + 3);
        rgba[i + 3] = x < width / 2 ? 255 : 0;
      }
    }
    const png = await sharp(rgba, { raw: { width, height, channels: 4 } })
      .png()
      .toBuffer();
    const saved = await call(ctx, 'masks.save', {
      imageId: image!.id,
      png: new Uint8Array(png),
      baseRevision: 1,
    });
    expect(saved).toMatchObject({ revision: 2, source: 'annotation', imageId: image!.id });
    expect(saved.foreground).toBeCloseTo(Math.ceil(width / 2) / width, 10);
    const stored = readFileSync(join(ctx.dataDir, getStoredImage(ctx.db, image!.id).maskFile!));
    expect((await sharp(stored).metadata()).channels).toBe(1);
    const decoded = await decodeMask(stored);
    expect([decoded.data[0], decoded.data[width - 1]]).toEqual([255, 0]);

    await expect(
      call(ctx, 'masks.save', { imageId: image!.id, png: new Uint8Array(png), baseRevision: 1 }),
    ).rejects.toMatchObject({ code: 'conflict' });
    const small = await sharp(png).resize(10, 10).png().toBuffer();
    await expect(
      call(ctx, 'masks.save', {
        imageId: image!.id,
        png: new Uint8Array(small),
        baseRevision: null,
      }),
    ).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringContaining(`10x10 but image ${image!.id} ("1") is ${width}x${height}`),
    });
    await expect(
      call(ctx, 'masks.save', {
        imageId: image!.id,
        png: new Uint8Array([1, 2, 3]),
        baseRevision: null,
      }),
    ).rejects.toMatchObject({ code: 'invalid' });
    await expect(
      call(ctx, 'masks.save', { imageId: 999, png: new Uint8Array(png), baseRevision: null }),
    ).rejects.toMatchObject({ code: 'not-found' });

    const history = await call(ctx, 'masks.history', { imageId: image!.id });
    expect(history.map((m) => [m.revision, m.source])).toEqual([
      [1, 'import'],
      [2, 'annotation'],
    ]);
    expect((await call(ctx, 'images.get', { id: image!.id })).mask).toEqual(saved);
  });

  it('fails a mask save with an io error when the data folder cannot take it, adding no revision', async () => {
    const ctx = newContext();
    const { dataset } = await call(ctx, 'datasets.import', {
      folder: smallFolder(),
      name: 'three',
    });
    const [image] = listStoredImages(ctx.db, dataset.id);
    const blocked = join(ctx.dataDir, 'files/masks');
    rmSync(blocked, { recursive: true });
    writeFileSync(blocked, 'in the way');
    const png = await sharp({
      create: { width: image!.width, height: image!.height, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer();
    await expect(
      call(ctx, 'masks.save', { imageId: image!.id, png: new Uint8Array(png), baseRevision: null }),
    ).rejects.toMatchObject({ code: 'io', message: expect.stringContaining(blocked) });
    expect(maskHistory(ctx.db, image!.id)).toHaveLength(1);
  });

  it('serves images, cached thumbnails, masks and predictions from the data folder', async () => {
    const ctx = newContext();
    const { dataset } = await call(ctx, 'datasets.import', {
      folder: smallFolder(),
      name: 'three',
    });
    const [image] = listStoredImages(ctx.db, dataset.id);

    const original = await resolveMedia(ctx, { kind: 'image', imageId: image!.id });
    expect(original).toEqual({ file: join(ctx.dataDir, image!.file), contentType: 'image/png' });

    const thumb = await resolveMedia(ctx, { kind: 'thumb', imageId: image!.id });
    expect(thumb).toEqual({
      file: join(ctx.dataDir, thumbPath(image!.file)),
      contentType: 'image/webp',
    });
    const meta = await sharp(thumb.file).metadata();
    expect(Math.max(meta.width!, meta.height!)).toBeLessThanOrEqual(THUMB_SIZE);
    const made = statSync(thumb.file).mtimeMs;
    await resolveMedia(ctx, { kind: 'thumb', imageId: image!.id });
    expect(statSync(thumb.file).mtimeMs).toBe(made);

    const maskMedia = await resolveMedia(ctx, { kind: 'mask', maskId: image!.mask!.id });
    expect(maskMedia.file).toBe(join(ctx.dataDir, image!.maskFile!));

    const runId = Number(
      ctx.db
        .prepare(
          `INSERT INTO runs (dataset_id, name, config, status) VALUES (?, 'r', '{}', 'finished')`,
        )
        .run(dataset.id).lastInsertRowid,
    );
    ctx.db
      .prepare(
        `INSERT INTO run_images VALUES (?, ?, 'files/runs/1/p.png', 0.5, 0.5, 0.5, 0.5, 0.5)`,
      )
      .run(runId, image!.id);
    await expect(
      resolveMedia(ctx, { kind: 'prediction', runId, imageId: image!.id }),
    ).rejects.toMatchObject({
      code: 'not-found',
      message: expect.stringContaining('missing'),
    });
    mkdirSync(join(ctx.dataDir, 'files/runs/1'), { recursive: true });
    writeFileSync(join(ctx.dataDir, 'files/runs/1/p.png'), 'png');
    expect(await resolveMedia(ctx, { kind: 'prediction', runId, imageId: image!.id })).toEqual({
      file: join(ctx.dataDir, 'files/runs/1/p.png'),
      contentType: 'image/png',
    });
    await expect(resolveMedia(ctx, { kind: 'image', imageId: 999 })).rejects.toMatchObject({
      code: 'not-found',
    });
    await expect(
      resolveMedia(ctx, { kind: 'prediction', runId, imageId: 999 }),
    ).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('deletes a dataset and then the files only it used, thumbnails included', async () => {
    const ctx = newContext();
    const folder = smallFolder();
    const one = (await call(ctx, 'datasets.import', { folder, name: 'one' })).dataset;
    const two = (await call(ctx, 'datasets.import', { folder, name: 'two' })).dataset;
    const images = listStoredImages(ctx.db, one.id);
    const files = images.flatMap((i) => [i.file, i.maskFile!, thumbPath(i.file)]);
    for (const image of images) await resolveMedia(ctx, { kind: 'thumb', imageId: image.id });
    expect(files.every((f) => existsSync(join(ctx.dataDir, f)))).toBe(true);

    await call(ctx, 'datasets.delete', { id: one.id });
    expect(files.every((f) => existsSync(join(ctx.dataDir, f)))).toBe(true); // still used by "two"
    const runId = Number(
      ctx.db
        .prepare(
          `INSERT INTO runs (dataset_id, name, config, status) VALUES (?, 'r', '{}', 'finished')`,
        )
        .run(two.id).lastInsertRowid,
    );
    const weights = join(ctx.dataDir, runDir(runId), 'model/weights.bin');
    mkdirSync(dirname(weights), { recursive: true });
    writeFileSync(weights, 'w');
    await call(ctx, 'datasets.delete', { id: two.id });
    expect(files.filter((f) => existsSync(join(ctx.dataDir, f)))).toEqual([]);
    expect(existsSync(join(ctx.dataDir, runDir(runId)))).toBe(false);
    expect(await call(ctx, 'datasets.list', {})).toEqual([]);
    await expect(call(ctx, 'images.list', { datasetId: two.id })).rejects.toMatchObject({
      code: 'not-found',
    });
  });
});

describe('schema migrations', () => {
  it("keeps a store's experiments through migration 8 and lets a second grid of their protocol beside them", () => {
    const file = join(mkdtempSync(join(tmpdir(), 'jaccard-migrate-')), 'jaccard.db');
    const old = new Database(file);
    for (const step of MIGRATIONS.slice(0, 7)) old.exec(step);
    old.pragma('user_version = 7');
    const grid = {
      datasets: [{ id: 1, name: 'face' }],
      models: ['unet'],
      losses: ['iou'],
      seeds: [1],
    };
    old
      .prepare("INSERT INTO experiments (name, protocol, grid) VALUES ('paper', '{}', ?)")
      .run(JSON.stringify(grid));
    old.close();

    const db = openDatabase(file);
    try {
      expect(db.pragma('user_version', { simple: true })).toBe(MIGRATIONS.length);
      const [record] = listExperimentRecords(db);
      expect(record).toMatchObject({ id: 1, name: 'paper', groupId: 'experiment-1', grid });
      const other = saveExperiment(db, {
        protocol: {} as Protocol,
        grid: { ...record!.grid, losses: ['bce'] },
        covers: () => false,
      });
      expect(other).toMatchObject({ id: 2, groupId: 'experiment-1' });
      expect(listExperimentRecords(db).map((e) => e.grid.losses)).toEqual([['iou'], ['bce']]);
    } finally {
      db.close();
    }
  });
});
