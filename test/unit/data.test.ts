import { describe, expect, it } from 'vitest';
import { ApiError } from '../../src/shared/errors';
import type { Split } from '../../src/shared/ids';
import {
  assembleBatch,
  augment,
  drawPatches,
  labelledCount,
  splitImages,
  type PatchSource,
  type Sample,
} from '../../src/main/training/data';
import { CHANNELS } from '../../src/main/predict/view';
import { createRng, deriveRng, shuffled } from '../../src/main/training/random';

function items(counts: Record<Split, number>): { imageId: number; split: Split }[] {
  const out: { imageId: number; split: Split }[] = [];
  let id = 1;
  for (const split of ['train', 'test', 'unassigned'] as const) {
    for (let i = 0; i < counts[split]; i++) out.push({ imageId: id++, split });
  }
  return out;
}

const ids = (list: { imageId: number }[]) => list.map((i) => i.imageId);

describe('splitImages', () => {
  const all = items({ train: 20, test: 50, unassigned: 10 });

  it('is the same for the same seed whatever the input order', () => {
    const a = splitImages(all, 7, 0.2);
    const b = splitImages(shuffled(all, createRng(99)), 7, 0.2);
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(ids(a.validation)).toEqual(ids(b.validation));
    expect(ids(a.test)).toEqual(ids(b.test));
  });

  it('holds out a seeded fraction of train and splits unassigned 70/10/20', () => {
    const s = splitImages(all, 1, 0.2);
    const storedTrain = all.filter((i) => i.split === 'train');
    const fromTrain = (list: typeof all) => list.filter((i) => i.split === 'train');
    expect(fromTrain(s.validation)).toHaveLength(4);
    expect(fromTrain(s.train)).toHaveLength(16);
    expect(new Set([...ids(fromTrain(s.train)), ...ids(fromTrain(s.validation))])).toEqual(
      new Set(ids(storedTrain)),
    );
    expect(s.test.filter((i) => i.split === 'test')).toHaveLength(50);
    const loose = (list: typeof all) => list.filter((i) => i.split === 'unassigned').length;
    expect([loose(s.train), loose(s.validation), loose(s.test)]).toEqual([7, 1, 2]);
  });

  it('draws a different validation set for another seed', () => {
    const a = splitImages(all, 1, 0.2);
    const b = splitImages(all, 2, 0.2);
    expect(ids(a.validation)).not.toEqual(ids(b.validation));
  });

  it('keeps at least one validation image when a fraction is asked, none when 0', () => {
    const few = items({ train: 3, test: 1, unassigned: 0 });
    expect(splitImages(few, 1, 0.1).validation).toHaveLength(1);
    expect(splitImages(few, 1, 0).validation).toHaveLength(0);
    expect(splitImages(items({ train: 1, test: 0, unassigned: 0 }), 1, 0.5).train).toHaveLength(1);
  });
});

describe('splitImages with a number of labelled images', () => {
  const all = items({ train: 20, test: 50, unassigned: 10 });
  const trainOnly = items({ train: 20, test: 5, unassigned: 0 });
  /** The images that train or validate, in id order. */
  const used = (s: ReturnType<typeof splitImages>) =>
    [...ids(s.train), ...ids(s.validation)].sort((a, b) => a - b);

  it('leaves the split as it was without the field', () => {
    // Pinned from the split before the field existed: seed 1's validation and the
    // unassigned images it tests on.
    const s = splitImages(all, 1, 0.2);
    expect(ids(s.validation)).toEqual([5, 7, 9, 10, 79]);
    expect(ids(s.test.filter((i) => i.split === 'unassigned'))).toEqual([71, 78]);
    expect(ids(splitImages(all, 1, 0.2, undefined).train)).toEqual(ids(s.train));
  });

  it('takes nested subsets for one seed, different ones for another', () => {
    for (const seed of [1, 2, 3]) {
      const subsets = [2, 4, 8, 20].map((n) => used(splitImages(trainOnly, seed, 0.2, n)));
      expect(subsets.map((s) => s.length)).toEqual([2, 4, 8, 20]);
      for (let k = 1; k < subsets.length; k++) {
        expect(subsets[k]).toEqual(expect.arrayContaining(subsets[k - 1]!));
      }
    }
    expect(used(splitImages(trainOnly, 1, 0.2, 4))).not.toEqual(
      used(splitImages(trainOnly, 2, 0.2, 4)),
    );
  });

  it('holds out validation inside the subset and leaves test alone', () => {
    const s = splitImages(all, 5, 0.2, 10);
    const subset = used(s);
    expect(s.validation).toHaveLength(2);
    expect(subset).toEqual(expect.arrayContaining(ids(s.validation)));
    expect(ids(s.test)).toEqual(ids(splitImages(all, 5, 0.2).test));
    // Two images: one to train on, one to stop early by.
    const two = splitImages(trainOnly, 5, 0.2, 2);
    expect([two.train.length, two.validation.length]).toEqual([1, 1]);
  });

  it('draws from every image that would train or validate, unassigned ones too', () => {
    // 20 stored train, and 7 + 1 of the 10 unassigned (the other 2 test).
    expect(labelledCount(all)).toBe(28);
    const every = splitImages(all, 1, 0.2, 28);
    const without = splitImages(all, 1, 0.2);
    expect(used(every)).toEqual(used(without));
    expect(ids(every.test)).toEqual(ids(without.test));
  });

  it('is, at the full count of a train/test dataset, the split without the field', () => {
    for (const seed of [1, 2]) {
      const full = splitImages(trainOnly, seed, 0.2, 20);
      const without = splitImages(trainOnly, seed, 0.2);
      expect(ids(full.train)).toEqual(ids(without.train));
      expect(ids(full.validation)).toEqual(ids(without.validation));
    }
  });

  it('does not depend on the order of the images', () => {
    const a = splitImages(all, 7, 0.2, 9);
    const b = splitImages(shuffled(all, createRng(4)), 7, 0.2, 9);
    expect(ids(a.train)).toEqual(ids(b.train));
    expect(ids(a.validation)).toEqual(ids(b.validation));
  });

  it('refuses more images than the dataset has labelled, saying how many it has', () => {
    const ask = () => splitImages(all, 1, 0.2, 29);
    expect(ask).toThrow(ApiError);
    expect(ask).toThrow(
      /asks for 29 labelled images, but the dataset has 28 labelled train images/,
    );
  });
});

describe('seeded streams', () => {
  it('repeat for the same purpose and differ between purposes', () => {
    const draw = (rng: () => number) => Array.from({ length: 5 }, rng);
    expect(draw(deriveRng(3, 'shuffle', 4))).toEqual(draw(deriveRng(3, 'shuffle', 4)));
    expect(draw(deriveRng(3, 'shuffle', 4))).not.toEqual(draw(deriveRng(3, 'shuffle', 5)));
    expect(draw(deriveRng(3, 'shuffle', 4))).not.toEqual(draw(deriveRng(4, 'shuffle', 4)));
  });
});

/** A blobby random mask, and an image whose every channel equals it. */
function blob(size: number, seed: number): { pixels: Float32Array; mask: Float32Array } {
  const rng = createRng(seed);
  const centres = Array.from({ length: 3 }, () => [
    rng() * size,
    rng() * size,
    3 + rng() * size * 0.3,
  ]);
  const mask = new Float32Array(size * size);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      mask[y * size + x] = centres.some(([cx, cy, r]) => (x - cx!) ** 2 + (y - cy!) ** 2 < r! ** 2)
        ? 1
        : 0;
    }
  }
  const pixels = new Float32Array(size * size * CHANNELS);
  mask.forEach((m, i) => pixels.fill(m, i * CHANNELS, (i + 1) * CHANNELS));
  return { pixels, mask };
}

describe('augment', () => {
  const size = 32;

  it('moves image and mask together under flips, rotations and brightness', () => {
    for (let seed = 1; seed <= 20; seed++) {
      const { pixels, mask } = blob(size, seed);
      const rng = createRng(seed);
      const aug = {
        flip: rng() < 0.5,
        angle: (rng() * 2 - 1) * 0.5,
        brightness: 0.8 + rng() * 0.4,
      };
      const out = augment(pixels, mask, size, aug);
      // Image and mask are interpolated with the same weights; the mask is thresholded at
      // 0.5, so the image (scaled by brightness) crosses 0.5 * brightness at the same pixels.
      for (let i = 0; i < size * size; i++) {
        const v = out.pixels[i * CHANNELS]!;
        const expected = v >= Math.min(1, 0.5 * aug.brightness) - 1e-6 ? 1 : 0;
        if (out.mask[i] !== expected) throw new Error(`seed ${seed}: pixel ${i} misaligned`);
      }
      expect(out.mask.reduce((a, b) => a + b, 0)).toBeGreaterThan(0);
    }
  });

  it('flips left to right', () => {
    const mask = new Float32Array(size * size);
    for (let y = 0; y < size; y++) for (let x = 0; x < 8; x++) mask[y * size + x] = 1;
    const pixels = new Float32Array(size * size * CHANNELS);
    const out = augment(pixels, mask, size, { flip: true, angle: 0, brightness: 1 });
    expect(out.mask[5]).toBe(0);
    expect(out.mask[size - 1]).toBe(1);
    expect(out.mask[size - 8]).toBe(1);
    expect(out.mask[size - 9]).toBe(0);
  });

  it('rotates counter-clockwise by the angle', () => {
    const mask = new Float32Array(size * size);
    // A bar below the centre ends up right of it after a quarter turn counter-clockwise.
    for (let y = 24; y < 28; y++) for (let x = 14; x < 18; x++) mask[y * size + x] = 1;
    const out = augment(new Float32Array(size * size * CHANNELS), mask, size, {
      flip: false,
      angle: Math.PI / 2,
      brightness: 1,
    });
    expect(out.mask[15 * size + 25]).toBe(1);
    expect(out.mask[25 * size + 15]).toBe(0);
  });

  it('leaves the sample untouched for the identity transform', () => {
    const { pixels, mask } = blob(size, 3);
    const out = augment(pixels, mask, size, { flip: false, angle: 0, brightness: 1 });
    expect(out.mask).toEqual(mask);
    expect(out.pixels).toEqual(pixels);
  });
});

describe('assembleBatch', () => {
  it('packs samples in order, augmenting only when given a stream', () => {
    const size = 16;
    const samples = [1, 2].map(
      (seed) => ({ imageId: seed, ...blob(size, seed) }) as unknown as Sample,
    );
    const plain = assembleBatch(samples, size, null);
    expect(plain.y.subarray(size * size)).toEqual(samples[1]!.mask);
    expect(plain.x.subarray(0, size * size * CHANNELS)).toEqual(samples[0]!.pixels);
    const a = assembleBatch(samples, size, deriveRng(1, 'augment', 1));
    const b = assembleBatch(samples, size, deriveRng(1, 'augment', 1));
    expect(a.x).toEqual(b.x);
    expect(a.y).toEqual(b.y);
  });
});

describe('drawPatches', () => {
  // A 256 x 256 image whose target is one 8 x 8 square in a corner: 0.1% of the pixels.
  const side = 256;
  const mask = new Uint8Array(side * side);
  for (let y = 240; y < 248; y++) mask.fill(1, y * side + 8, y * side + 16);
  const source: PatchSource = {
    ref: {
      imageId: 1,
      stem: 'a',
      split: 'train',
      width: side,
      height: side,
      file: '',
      maskFile: '',
    },
    image: { data: new Uint8Array(side * side * CHANNELS), width: side, height: side, channels: 3 },
    mask,
    foreground: Uint32Array.from(Array.from(mask).flatMap((m, i) => (m ? [i] : []))),
  };
  const withTarget = (share: number) => {
    const crops = Array.from({ length: 20 }, (_, epoch) =>
      drawPatches([source], 32, deriveRng(1, 'patches', epoch), share),
    ).flat();
    return crops.filter((c) => c.mask.some((v) => v === 1)).length / crops.length;
  };

  it('centres the asked share of crops on the target, the rest anywhere', () => {
    expect(withTarget(1)).toBe(1);
    // Uniform 32 px crops of a 256 px image hold some of an 8 px corner square about
    // 0.5% of the time; half centred on it, about half of them do.
    expect(withTarget(0)).toBeLessThan(0.05);
    expect(withTarget(0.5)).toBeGreaterThan(0.4);
    expect(withTarget(0.5)).toBeLessThan(0.6);
  });
});
