// The Compare view thresholds probability PNGs in the browser; its pixels must be the
// engine's: a pixel is foreground exactly when the engine's metrics count it so.
import { describe, expect, it } from 'vitest';
import { confusion } from '../../src/shared/metrics';
import {
  ERROR_COLOURS,
  paintErrors,
  paintMask,
  type Plane,
} from '../../src/renderer/views/compare/pixels';

const W = 37;
const H = 11;

function plane(fill: (i: number) => number): Plane {
  return { width: W, height: H, data: Uint8Array.from({ length: W * H }, (_, i) => fill(i)) };
}

/** What the painters need of an ImageData. */
function canvasData(): ImageData {
  return { width: W, height: H, data: new Uint8ClampedArray(W * H * 4) } as unknown as ImageData;
}

const truth = plane((i) => ((i * 7) % 5 < 2 ? 255 : 0));
// Every byte value, including those next to each threshold's boundary.
const prob = plane((i) => (i * 31) % 256);

describe('client-side thresholding', () => {
  for (const t of [0, 0.2, 0.5, 128 / 255, 0.73, 1]) {
    it(`colours the engine's TP, FP and FN at threshold ${t.toFixed(3)}`, () => {
      const out = canvasData();
      paintErrors(out, truth, prob, t);
      const counts = { tp: 0, fp: 0, fn: 0, tn: 0 };
      for (let i = 0; i < W * H; i++) {
        const rgba = Array.from(out.data.subarray(i * 4, i * 4 + 4));
        if (rgba[3] === 0) counts.tn++;
        else if (rgba.slice(0, 3).join() === ERROR_COLOURS.tp.join()) counts.tp++;
        else if (rgba.slice(0, 3).join() === ERROR_COLOURS.fp.join()) counts.fp++;
        else if (rgba.slice(0, 3).join() === ERROR_COLOURS.fn.join()) counts.fn++;
      }
      expect(counts).toEqual(confusion(truth.data, prob.data, t));
    });
  }

  it('draws a thresholded prediction white on black, and a mask as it is', () => {
    const out = canvasData();
    paintMask(out, prob, 0.5);
    const white = new Uint32Array(out.data.buffer).filter((p) => p === 0xffffffff).length;
    expect(white).toBe(prob.data.filter((v) => v / 255 >= 0.5).length);
    paintMask(out, truth, null);
    const mask = new Uint32Array(out.data.buffer).filter((p) => p === 0xffffffff).length;
    expect(mask).toBe(truth.data.filter((v) => v !== 0).length);
  });
});
