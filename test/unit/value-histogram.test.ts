import { describe, expect, it } from 'vitest';
import {
  confusion,
  histogramConfusion,
  sumConfusions,
  sumHistograms,
  valueHistogram,
} from '../../src/shared/metrics';

/** Every stored value on both sides of the truth, plus noise (a fixed LCG). */
function sample(length: number, seed: number): { truth: Uint8Array; prob: Uint8Array } {
  let state = seed;
  const rand = () => (state = (state * 16807) % 2147483647) / 2147483647;
  const truth = Uint8Array.from({ length }, (_, i) =>
    i < 512 ? (i & 1) * 255 : rand() < 0.4 ? 1 : 0,
  );
  const prob = Uint8Array.from({ length }, (_, i) => (i < 512 ? i >> 1 : Math.floor(rand() * 256)));
  return { truth, prob };
}

describe('value histograms', () => {
  const images = [sample(3000, 7), sample(2000, 11)];
  const histograms = images.map((im) => valueHistogram(im.truth, im.prob));

  it('give the pixel-wise confusion at every threshold, on and between stored values', () => {
    const thresholds = [0, 1, ...Array.from({ length: 255 }, (_, u) => (u + 1) / 255)];
    for (const t of [...thresholds, ...thresholds.map((t) => t - 1e-9), 0.5]) {
      images.forEach((im, i) =>
        expect(histogramConfusion(histograms[i]!, t)).toEqual(confusion(im.truth, im.prob, t)),
      );
    }
  });

  it('pool like confusions do', () => {
    for (const t of [0.2, 0.5, 0.9]) {
      expect(histogramConfusion(sumHistograms(histograms), t)).toEqual(
        sumConfusions(histograms.map((h) => histogramConfusion(h, t))),
      );
    }
    expect(histogramConfusion(sumHistograms([]))).toEqual({ tp: 0, fp: 0, fn: 0, tn: 0 });
  });

  it('reject a prediction of another size', () => {
    expect(() => valueHistogram(new Uint8Array(4), new Uint8Array(3))).toThrow(
      /mask has 4 pixels but prediction has 3/,
    );
  });
});
