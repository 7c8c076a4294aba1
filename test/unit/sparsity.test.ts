import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { createContext, type AppContext } from '../../src/main/context';
import {
  chooseLevel,
  deriveSparsityTasks,
  fractionsByRadius,
  maskProfile,
  squaredDistances,
  transformMask,
} from '../../src/main/experiment/sparsity';
import { absolutePath, storeContent } from '../../src/main/files';
import { decodeMask, encodeMask, foregroundFraction } from '../../src/main/images/mask';
import { createDataset, getDataset, listDatasets } from '../../src/main/store/datasets';
import { insertImage, listStoredImages } from '../../src/main/store/images';
import { insertMask } from '../../src/main/store/masks';
import type { ExperimentRecord } from '../../src/main/store/experiments';
import { summarizeGroups } from '../../src/main/experiment/summary';

/** Deterministic pseudo-random bits, so a failure reproduces. */
function randomMask(width: number, height: number, density: number, seed: number): Uint8Array {
  let state = seed;
  const next = () => (state = (state * 1103515245 + 12345) >>> 0) / 2 ** 32;
  return Uint8Array.from({ length: width * height }, () => (next() < density ? 255 : 0));
}

function bruteSquaredDistances(sites: Uint8Array, width: number, height: number): number[] {
  const out: number[] = [];
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let best = Infinity;
      for (let v = 0; v < height; v++) {
        for (let u = 0; u < width; u++) {
          if (sites[v * width + u]) best = Math.min(best, (x - u) ** 2 + (y - v) ** 2);
        }
      }
      out.push(best);
    }
  }
  return out;
}

/** Erosion/dilation by a disc, by definition; outside the image is background. */
function bruteMorphology(
  mask: Uint8Array,
  width: number,
  height: number,
  operation: 'erode' | 'dilate',
  radius: number,
): Uint8Array {
  const at = (x: number, y: number) =>
    x >= 0 && y >= 0 && x < width && y < height && mask[y * width + x] !== 0;
  const out = new Uint8Array(mask.length);
  const r = Math.ceil(radius);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      let all = true;
      let any = false;
      for (let dy = -r; dy <= r; dy++) {
        for (let dx = -r; dx <= r; dx++) {
          if (dx * dx + dy * dy > radius * radius) continue;
          const on = at(x + dx, y + dy);
          all &&= on;
          any ||= on;
        }
      }
      out[y * width + x] = (operation === 'erode' ? all : any) ? 255 : 0;
    }
  }
  return out;
}

/** A w x h mask with a filled disc. */
function disc(width: number, height: number, cx: number, cy: number, r: number): Uint8Array {
  return Uint8Array.from({ length: width * height }, (_, i) =>
    (Math.floor(i / width) - cy) ** 2 + ((i % width) - cx) ** 2 <= r * r ? 255 : 0,
  );
}

describe('distance transform', () => {
  it('matches brute force, including rows and columns without sites', () => {
    for (const [w, h, density, seed] of [
      [13, 9, 0.1, 1],
      [7, 16, 0.02, 2],
      [20, 20, 0.5, 3],
      [1, 12, 0.2, 4],
    ] as const) {
      const sites = randomMask(w, h, density, seed);
      expect(Array.from(squaredDistances(sites, w, h))).toEqual(bruteSquaredDistances(sites, w, h));
    }
  });

  it('is Infinity everywhere without any site', () => {
    expect(
      Array.from(squaredDistances(new Uint8Array(12), 4, 3)).every((d) => d === Infinity),
    ).toBe(true);
  });
});

describe('erosion and dilation', () => {
  it('equal disc morphology by definition, with the border counted as background', () => {
    const w = 24;
    const h = 17;
    const mask = randomMask(w, h, 0.6, 7);
    // A solid block touching the border: erosion must eat it from the border too.
    for (let y = 0; y < 8; y++) for (let x = 0; x < 10; x++) mask[y * w + x] = 255;
    const profile = maskProfile(mask, w, h);
    for (const radius of [1, 2, 3, 5]) {
      for (const op of ['erode', 'dilate'] as const) {
        expect(Array.from(transformMask(profile, op, radius)), `${op} ${radius}`).toEqual(
          Array.from(bruteMorphology(mask, w, h, op, radius)),
        );
      }
    }
  });

  it('predicts the mean foreground fraction of every radius', () => {
    const masks = [disc(30, 20, 15, 10, 7), disc(30, 20, 3, 4, 5), randomMask(30, 20, 0.3, 9)];
    const profiles = masks.map((m) => maskProfile(m, 30, 20));
    for (const op of ['erode', 'dilate'] as const) {
      const predicted = fractionsByRadius(profiles, op, 8);
      for (let r = 0; r <= 8; r++) {
        const actual =
          profiles.reduce((s, p) => s + foregroundFraction(transformMask(p, op, r)), 0) /
          profiles.length;
        expect(predicted[r], `${op} ${r}`).toBeCloseTo(actual, 12);
      }
    }
  });

  it('chooses erosion for a sparser target, dilation for a denser one, near the target', () => {
    const profiles = [disc(64, 64, 32, 32, 20), disc(64, 64, 20, 40, 14)].map((m) =>
      maskProfile(m, 64, 64),
    );
    const source = fractionsByRadius(profiles, 'erode', 0)[0]!;
    const sparse = chooseLevel(profiles, source / 4)!;
    expect(sparse.operation).toBe('erode');
    expect(Math.abs(Math.log(sparse.foreground / (source / 4)))).toBeLessThan(0.25);
    const dense = chooseLevel(profiles, Math.min(0.9, source * 2))!;
    expect(dense.operation).toBe('dilate');
    expect(dense.foreground).toBeGreaterThan(source * 1.6);
    // Already there: no radius of a pixel or more gets closer.
    expect(chooseLevel(profiles, source)).toBeNull();
  });
});

describe('deriveSparsityTasks', () => {
  let root: string;
  let ctx: AppContext;
  afterEach(() => {
    ctx?.db.close();
    rmSync(root, { recursive: true, force: true });
  });

  async function sourceDataset(): Promise<number> {
    root = mkdtempSync(join(tmpdir(), 'jaccard-sparsity-'));
    ctx = createContext(join(root, 'data'));
    const dataset = createDataset(ctx.db, 'blobs');
    const image = await storeContent(ctx.dataDir, 'images', Buffer.from('not decoded'), 'png');
    const masks = [disc(48, 40, 24, 20, 15), disc(48, 40, 10, 12, 9), disc(48, 40, 30, 25, 12)];
    for (const [i, data] of masks.entries()) {
      const png = await encodeMask({ data, width: 48, height: 40 });
      const imageId = insertImage(ctx.db, dataset.id, {
        stem: `b${i}`,
        split: i < 2 ? 'train' : 'test',
        file: image,
        originalName: `b${i}.png`,
        width: 48,
        height: 40,
        sha256: `hash${i}`,
      });
      insertMask(ctx.db, {
        imageId,
        file: await storeContent(ctx.dataDir, 'masks', png, 'png'),
        foreground: foregroundFraction(data),
        source: 'import',
      });
    }
    return dataset.id;
  }

  it('imports one dataset per level that shares the images and has transformed masks', async () => {
    const sourceId = await sourceDataset();
    const source = getDataset(ctx.db, sourceId);
    const tasks = await deriveSparsityTasks(ctx, 'blobs', [0.05, 0.4]);
    expect(tasks.map((t) => t.derivedFrom?.operation)).toEqual(['erode', 'dilate']);
    for (const task of tasks) {
      const { operation, radius } = task.derivedFrom!;
      expect(task.name).toBe(`blobs-${operation}-${radius}`);
      const dataset = getDataset(ctx.db, task.id);
      expect(dataset.splits).toEqual(source.splits);
      const fg = dataset.foreground!;
      expect(operation === 'erode' ? fg < source.foreground! : fg > source.foreground!).toBe(true);
      const sourceImages = listStoredImages(ctx.db, sourceId);
      for (const [i, image] of listStoredImages(ctx.db, task.id).entries()) {
        expect(image.file).toBe(sourceImages[i]!.file);
        expect(image.stem).toBe(sourceImages[i]!.stem);
        // The stored mask is the source mask under the operation.
        const stored = await decodeMask(readFileSync(absolutePath(ctx.dataDir, image.maskFile!)));
        const original = await decodeMask(
          readFileSync(absolutePath(ctx.dataDir, sourceImages[i]!.maskFile!)),
        );
        expect(Array.from(stored.data)).toEqual(
          Array.from(bruteMorphology(original.data, 48, 40, operation, radius)),
        );
      }
    }
    expect(getDataset(ctx.db, tasks[0]!.id).foreground!).toBeLessThan(0.1);
  });

  it('reuses derived datasets on a second call and refuses an unrelated one of that name', async () => {
    await sourceDataset();
    const first = await deriveSparsityTasks(ctx, 'blobs', [0.05]);
    const again = await deriveSparsityTasks(ctx, 'blobs', [0.05]);
    expect(again).toEqual(first);
    expect(listDatasets(ctx.db)).toHaveLength(2);

    const name = first[0]!.name;
    ctx.db.prepare('DELETE FROM datasets WHERE name = ?').run(name);
    createDataset(ctx.db, name);
    await expect(deriveSparsityTasks(ctx, 'blobs', [0.05])).rejects.toThrow(/exists but is not/);
  });

  it("measures the figure's foreground on the masks runs score against, not on pre-labels", async () => {
    const id = await sourceDataset();
    const record = {
      grid: { datasets: [{ id, name: 'blobs' }], models: ['unet'], losses: ['iou', 'bce'] },
    } as unknown as ExperimentRecord;
    const x = async () => (await summarizeGroups(ctx, record, []))[0]!.summary.foreground;
    const images = listStoredImages(ctx.db, id);
    const test = images.find((i) => i.split === 'test')!;
    expect(await x()).toBeCloseTo(test.mask!.foreground, 9);
    const all = images.map((i) => i.mask!.foreground);
    expect(getDataset(ctx.db, id).foreground).toBeCloseTo(all.reduce((a, b) => a + b) / 3, 9);

    // A run's untouched pre-label on the test image: what the model saw, not the target.
    insertMask(ctx.db, {
      imageId: test.id,
      file: test.maskFile!,
      foreground: 0.9,
      source: 'prediction',
    });
    // No test mask scores now, so the figure falls back to the masks that do: the train ones.
    const train = images.filter((i) => i.split === 'train').map((i) => i.mask!.foreground);
    const trainMean = (train[0]! + train[1]!) / 2;
    expect(await x()).toBeCloseTo(trainMean, 9);
    expect(getDataset(ctx.db, id).foreground).toBeCloseTo(trainMean, 9);
  });

  it('says how to import a missing source', async () => {
    await sourceDataset();
    await expect(deriveSparsityTasks(ctx, 'faces', [0.1])).rejects.toThrow(/jaccard import/);
  });
});
