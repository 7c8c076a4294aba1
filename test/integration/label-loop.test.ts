// The label-train-correct loop through the API: a run trained on one dataset pre-labels a
// fresh folder, "Label next" orders the pre-labels by uncertainty, untouched pre-labels
// never train, accepted and corrected ones do, and "Train again" fine-tunes from a parent.
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api';
import { absolutePath } from '../../src/main/files';
import { getStoredImage } from '../../src/main/store/images';
import { createRun } from '../../src/main/store/runs';
import { maskedImages } from '../../src/main/training/data';
import { trainRun } from '../../src/main/training/trainer';
import type {
  Dataset,
  ImageRecord,
  ImportReport,
  LabelQueue,
  MaskRevision,
  PredictFolderReport,
  PrelabelReport,
  Run,
} from '../../src/shared/domain';
import { FACE } from '../paths';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

describe('label, train, pre-label, correct, train again', () => {
  let fx: Fixture;
  let run: Run;
  let fresh: number;
  let images: ImageRecord[];
  const call = <T>(method: string, input: unknown) => dispatch(fx.ctx, method, input) as Promise<T>;
  const list = () => call<ImageRecord[]>('images.list', { datasetId: fresh });

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
    const created = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'tiny' });
    run = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: created.id });
    expect(run.status).toBe('finished');
    // Six photos without masks, as a user's new folder.
    const folder = join(fx.dataDir, '..', 'photos');
    mkdirSync(folder);
    for (const stem of readdirSync(join(FACE, 'test/images')).sort().slice(10, 16)) {
      copyFileSync(join(FACE, 'test/images', stem), join(folder, stem));
    }
    const report = await call<ImportReport>('datasets.import', { folder, name: 'photos' });
    fresh = report.dataset.id;
    images = await list();
    expect(images).toHaveLength(6);
  });
  afterAll(() => fx?.dispose());

  it('pre-labels another dataset with the run, as masks marked prediction at each size', async () => {
    const before = await call<LabelQueue>('images.labelNext', { datasetId: fresh });
    expect(before.images.map((i) => i.uncertainty)).toEqual(Array(6).fill(null));

    const progress: number[] = [];
    const off = fx.ctx.events.onAny((name, payload) => {
      if (name === 'prelabel.progress') progress.push((payload as { done: number }).done);
    });
    const report = await call<PrelabelReport>('datasets.prelabel', {
      datasetId: fresh,
      runId: run.id,
    });
    off();
    expect(report).toMatchObject({ runId: run.id, images: 6, skipped: [] });
    expect(report.runtime).toMatch(/^(tfjs|onnxruntime)-/);
    expect(progress).toEqual([1, 2, 3, 4, 5, 6]);
    for (const image of await list()) {
      expect(image.mask?.source).toBe('prediction');
      const stored = getStoredImage(fx.ctx.db, image.id);
      const meta = await sharp(absolutePath(fx.dataDir, stored.maskFile!)).metadata();
      expect([meta.width, meta.height]).toEqual([image.width, image.height]);
    }
    // The dataset counts them as masked, and as pre-labels no person has checked yet.
    expect((await call<Dataset[]>('datasets.list', {})).find((d) => d.id === fresh)).toMatchObject({
      maskedCount: 6,
      prelabelledCount: 6,
      // What the model predicted is no measure of the target.
      foreground: null,
    });
  });

  it('orders "Label next" by uncertainty, and untouched pre-labels do not train', async () => {
    const queue = await call<LabelQueue>('images.labelNext', { datasetId: fresh });
    expect(queue.measure).toMatch(/entropy/);
    const values = queue.images.map((i) => i.uncertainty!);
    expect(values.every((v) => v > 0 && v <= 1)).toBe(true);
    expect(values).toEqual([...values].sort((a, b) => b - a));
    expect(queue.images.every((i) => i.runId === run.id)).toBe(true);
    expect(maskedImages(fx.ctx.db, fresh)).toHaveLength(0);
  });

  it('accepts some pre-labels and a correction, which then train', async () => {
    const [a, b, c] = (await list()).map((i) => i.id);
    const accepted = await call<MaskRevision[]>('masks.accept', { imageIds: [a, b] });
    expect(accepted.map((m) => [m.imageId, m.source])).toEqual([
      [a, 'annotation'],
      [b, 'annotation'],
    ]);
    // Accepting again changes nothing: they are no longer pre-labels.
    await expect(call('masks.accept', { imageIds: [a] })).resolves.toEqual([]);
    const image = getStoredImage(fx.ctx.db, c!);
    const corrected = await sharp({
      create: { width: image.width, height: image.height, channels: 3, background: '#fff' },
    })
      .png()
      .toBuffer();
    await call('masks.save', { imageId: c, png: corrected, baseRevision: image.mask!.revision });
    expect(maskedImages(fx.ctx.db, fresh).map((r) => r.imageId)).toEqual([a, b, c]);
    const queue = await call<LabelQueue>('images.labelNext', { datasetId: fresh });
    expect(queue.images).toHaveLength(3);
    const dataset = (await call<Dataset[]>('datasets.list', {})).find((d) => d.id === fresh)!;
    expect(dataset).toMatchObject({ maskedCount: 6, prelabelledCount: 3 });
    // The foreground of the two accepted masks and the all-white correction.
    const own = (await list()).filter((i) => i.mask?.source === 'annotation');
    expect(own).toHaveLength(3);
    const mean = own.reduce((sum, i) => sum + i.mask!.foreground, 0) / own.length;
    expect(dataset.foreground).toBeCloseTo(mean, 9);
    expect(dataset.foreground).toBeGreaterThan(0);
  });

  it('sets splits, excludes and deletes images', async () => {
    const [a, b, , d, e] = (await list()).map((i) => i.id);
    const moved = await call<ImageRecord[]>('images.assign', { imageIds: [a], split: 'test' });
    expect(moved[0]).toMatchObject({ id: a, split: 'test', excluded: false });
    await call('images.assign', { imageIds: [b], excluded: true });
    expect(maskedImages(fx.ctx.db, fresh).map((r) => r.imageId)).not.toContain(b);
    const queue = await call<LabelQueue>('images.labelNext', { datasetId: fresh });
    expect(queue.images.map((i) => i.imageId)).not.toContain(b);
    await expect(call('images.delete', { imageIds: [d, e] })).resolves.toEqual({ deleted: 2 });
    expect((await list()).map((i) => i.id)).not.toContain(d);
    await expect(call('images.get', { id: e })).rejects.toMatchObject({ code: 'not-found' });
  });

  it("predicts a dataset's images into a folder, with progress, refusing a full folder", async () => {
    const out = join(fx.dataDir, '..', 'predicted');
    const files: string[] = [];
    const off = fx.ctx.events.onAny((name, payload) => {
      if (name === 'predict.progress') files.push((payload as { file: string }).file);
    });
    const report = await call<PredictFolderReport>('runs.predictFolder', {
      runId: run.id,
      datasetId: fresh,
      out,
    });
    off();
    const names = (await list()).map((i) => `${i.stem}.png`);
    expect(report).toMatchObject({ runId: run.id, images: names.length, out, problems: [] });
    expect(files).toHaveLength(names.length);
    expect(readdirSync(out).sort()).toEqual([...names].sort());
    await expect(
      call('runs.predictFolder', { runId: run.id, datasetId: fresh, out }),
    ).rejects.toMatchObject({ code: 'conflict' });
    await expect(
      call('runs.predictFolder', { runId: run.id, out, folder: out, datasetId: fresh }),
    ).rejects.toMatchObject({ code: 'invalid' });
  });

  it('trains again from the first run and records its parent', async () => {
    const config = tinyConfig(fresh, { parentRunId: run.id, epochs: 1, validationFraction: 0 });
    const created = createRun(fx.ctx.db, { config, name: 'again' });
    const again = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: created.id });
    expect(again.error).toBeNull();
    expect(again.config.parentRunId).toBe(run.id);
  });
});
