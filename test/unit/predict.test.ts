// The predictor's geometry with stand-in runtimes whose answers are known exactly.
import { describe, expect, it } from 'vitest';
import type { RawImage } from '../../src/main/images/raw';
import {
  gaussianWeights,
  letterbox,
  resizeToBytes,
  windowStarts,
} from '../../src/main/predict/geometry';
import { predictProbabilities, slideWindows } from '../../src/main/predict/predict';
import type { Runtime } from '../../src/main/predict/runtime';

/** "Predicts" each pixel's red value as its probability, and counts its calls. */
function redRuntime(size: number): Runtime & { calls: number[] } {
  const calls: number[] = [];
  return {
    id: 'red',
    size,
    calls,
    forward(x, n) {
      calls.push(n);
      const out = new Float32Array(n * size * size);
      for (let i = 0; i < out.length; i++) out[i] = x[i * 3]!;
      return Promise.resolve(out);
    },
    dispose() {},
  };
}

function gradient(width: number, height: number): RawImage {
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++) data[(y * width + x) * 3] = (x * 7 + y * 13) % 256;
  return { data, width, height, channels: 3 };
}

describe('predictor geometry', () => {
  it('places windows so every pixel is covered, the last flush with the end', () => {
    expect(windowStarts(100, 128, 96)).toEqual([0]);
    expect(windowStarts(300, 128, 96)).toEqual([0, 96, 172]);
    expect(windowStarts(256, 128, 128)).toEqual([0, 128]);
  });

  it('letterboxes with the aspect kept and the content centred', () => {
    expect(letterbox(182, 256, 128)).toEqual({ left: 18, top: 0, width: 91, height: 128 });
    expect(letterbox(4000, 3000, 64)).toEqual({ left: 0, top: 8, width: 64, height: 48 });
  });

  it('weights a window centre most and never zero', () => {
    const w = gaussianWeights(32);
    expect(w[16 * 32 + 16]).toBeGreaterThan(w[0]!);
    expect(Math.min(...w)).toBeGreaterThan(0);
  });

  it('resizes with half-pixel centres and keeps constants constant', () => {
    const src = new Float32Array([0, 1]);
    expect([...resizeToBytes(src, 2, 1, 4, 1)]).toEqual([0, 64, 191, 255]);
    expect(new Set(resizeToBytes(new Float32Array(9).fill(0.5), 3, 3, 50, 7))).toEqual(
      new Set([128]),
    );
  });
});

describe('sliding-window prediction', () => {
  it('reproduces a per-pixel answer exactly at full resolution, blending included', async () => {
    const image = gradient(300, 170);
    const runtime = redRuntime(64);
    const prob = await predictProbabilities(runtime, image, {
      input: { mode: 'patches', scale: 1 },
      batchSize: 4,
    });
    expect(prob.length).toBe(300 * 170);
    let worst = 0;
    for (let p = 0; p < prob.length; p++)
      worst = Math.max(worst, Math.abs(prob[p]! - image.data[p * 3]!));
    expect(worst).toBeLessThanOrEqual(1);
    // Batches of at most 4 windows: 6 columns x 4 rows of windows at stride 48.
    expect(runtime.calls.reduce((a, b) => a + b, 0)).toBe(6 * 4);
    expect(Math.max(...runtime.calls)).toBe(4);
  });

  it('pads an image smaller than a window and returns its own size', async () => {
    const image = gradient(20, 10);
    const prob = await predictProbabilities(redRuntime(32), image, {
      input: { mode: 'patches', scale: 1 },
      batchSize: 2,
    });
    expect(prob.length).toBe(200);
    expect(prob[19]).toBe(image.data[19 * 3]);
  });

  it('emits rows in order, each once, holding one band of rows', async () => {
    const seen: number[] = [];
    await slideWindows(redRuntime(16), gradient(40, 70), { batchSize: 8 }, (y, row) => {
      expect(row.length).toBe(40);
      seen.push(y);
    });
    expect(seen).toEqual(Array.from({ length: 70 }, (_, i) => i));
  });

  it('maps a downscaled patch run and a letterboxed run back to the image size', async () => {
    const image = gradient(120, 90);
    for (const input of [
      { mode: 'patches', scale: 0.5 },
      { mode: 'resize' },
      { mode: 'stretch' },
    ] as const) {
      const prob = await predictProbabilities(redRuntime(32), image, { input, batchSize: 2 });
      expect(prob.length).toBe(120 * 90);
      // Smooth content survives the round trip up to resampling error.
      let sum = 0;
      for (let p = 0; p < prob.length; p++) sum += Math.abs(prob[p]! - image.data[p * 3]!);
      expect(sum / prob.length).toBeLessThan(input.mode === 'patches' ? 20 : 40);
    }
  });
});
