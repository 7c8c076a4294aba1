import { describe, expect, it } from 'vitest';
import {
  addConfusion,
  confusion,
  metricsFromConfusion,
  sumConfusions,
} from '../../src/shared/metrics';

const u8 = (values: number[]) => Uint8Array.from(values);
const f32 = (values: number[]) => Float32Array.from(values);

describe('confusion', () => {
  const truth = u8([1, 1, 1, 0, 0, 0, 0, 1]);
  const prob = f32([0.9, 0.5, 0.2, 0.7, 0.1, 0.49, 0, 1]);

  it('counts thresholded pixels exactly (p >= threshold is foreground)', () => {
    expect(confusion(truth, prob)).toEqual({ tp: 3, fp: 1, fn: 1, tn: 3 });
    expect(confusion(truth, prob, 0.1)).toEqual({ tp: 4, fp: 3, fn: 0, tn: 1 });
    expect(confusion(truth, prob, 0.95)).toEqual({ tp: 1, fp: 0, fn: 3, tn: 4 });
  });

  it('reads 0/255 masks and Uint8 probabilities the same as 0/1 and floats', () => {
    const truth255 = truth.map((v) => v * 255);
    const prob255 = u8(Array.from(prob, (p) => Math.round(p * 255)));
    for (const t of [0.1, 0.5, 0.95]) {
      expect(confusion(truth255, prob255, t)).toEqual(confusion(truth, prob, t));
    }
    // 51 / 255 is exactly 0.2: it reaches threshold 0.2, 50 does not.
    expect(confusion(u8([1, 1]), u8([51, 50]), 0.2)).toEqual({ tp: 1, fp: 0, fn: 1, tn: 0 });
  });

  it('rejects arrays of different lengths', () => {
    expect(() => confusion(u8([1, 0]), f32([1]))).toThrow(/2 pixels.*1/);
  });
});

describe('metricsFromConfusion', () => {
  it('computes IoU, Dice, accuracy, precision and recall', () => {
    const m = metricsFromConfusion({ tp: 3, fp: 1, fn: 2, tn: 4 });
    expect(m.iou).toBeCloseTo(3 / 6, 12);
    expect(m.dice).toBeCloseTo(6 / 9, 12);
    expect(m.accuracy).toBeCloseTo(7 / 10, 12);
    expect(m.precision).toBeCloseTo(3 / 4, 12);
    expect(m.recall).toBeCloseTo(3 / 5, 12);
  });

  it('empty truth and empty prediction is a perfect score', () => {
    expect(metricsFromConfusion({ tp: 0, fp: 0, fn: 0, tn: 9 })).toEqual({
      iou: 1,
      dice: 1,
      accuracy: 1,
      precision: 1,
      recall: 1,
    });
  });

  it('foreground predicted where there is none: IoU 0, precision 0, recall 0', () => {
    expect(metricsFromConfusion({ tp: 0, fp: 2, fn: 0, tn: 7 })).toEqual({
      iou: 0,
      dice: 0,
      accuracy: 7 / 9,
      precision: 0,
      recall: 0,
    });
  });

  it('nothing predicted where there is foreground: precision 0, recall 0', () => {
    expect(metricsFromConfusion({ tp: 0, fp: 0, fn: 3, tn: 6 })).toMatchObject({
      iou: 0,
      dice: 0,
      precision: 0,
      recall: 0,
    });
  });

  it('all foreground, all found', () => {
    expect(metricsFromConfusion({ tp: 9, fp: 0, fn: 0, tn: 0 })).toEqual({
      iou: 1,
      dice: 1,
      accuracy: 1,
      precision: 1,
      recall: 1,
    });
  });

  it('no pixels at all is defined too', () => {
    const m = metricsFromConfusion({ tp: 0, fp: 0, fn: 0, tn: 0 });
    expect(Object.values(m).every((v) => v === 1)).toBe(true);
  });
});

describe('pooling', () => {
  it('pooled IoU sums counts, which differs from the mean of per-image IoU', () => {
    const a = confusion(u8([1, 1, 0, 0]), f32([1, 1, 0, 0])); // IoU 1
    const b = confusion(u8([1, 0, 0, 0]), f32([0, 1, 1, 1])); // IoU 0
    expect(addConfusion(a, b)).toEqual({ tp: 2, fp: 3, fn: 1, tn: 2 });
    expect(sumConfusions([a, b])).toEqual(addConfusion(a, b));
    expect(metricsFromConfusion(sumConfusions([a, b])).iou).toBeCloseTo(2 / 6, 12);
    expect(sumConfusions([])).toEqual({ tp: 0, fp: 0, fn: 0, tn: 0 });
  });
});
