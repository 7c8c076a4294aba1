// One image in, its foreground probabilities out, at the image's own width and height.
// Whole-image runs see one square (stretched or letterboxed); patch runs see windows
// slid over the image with overlap, blended with Gaussian weights (as MONAI's and
// nnU-Net's sliding-window inference do), batched, and accumulated a band of rows at a
// time, so memory grows with the image's width, not its area:
//
//   input RGB (3 B/px) + output (1 B/px) + 2 x 4 B x size x width (band) + one batch.
//
// Outputs are bytes round(p * 255): the form predictions are stored, scored and shown in.
import { inputOf, type InputMode } from '#shared/input';
import { foregroundTable } from '#shared/metrics';
import type { RawImage } from '../images/raw';
import { breathe } from '../training/breathe';
import { gaussianWeights, resizeToBytes, windowStarts } from './geometry';
import type { Runtime } from './runtime';
import { resizeRaw, scaledSize, toRgb, toSquare, toUnit } from './view';

export interface PredictOptions {
  input: InputMode;
  /** Windows (or images) per forward pass. */
  batchSize: number;
  /** Fraction of a window that its neighbour overlaps, for patch runs. */
  overlap?: number;
}

export const DEFAULT_OVERLAP = 0.25;

/** The options a run's config implies. */
export function predictOptionsOf(config: { input?: InputMode; batchSize: number }): PredictOptions {
  return { input: inputOf(config), batchSize: config.batchSize };
}

export async function predictProbabilities(
  runtime: Runtime,
  image: RawImage,
  options: PredictOptions,
): Promise<Uint8Array> {
  const rgb = toRgb(image);
  const { input } = options;
  if (input.mode !== 'patches') return predictWhole(runtime, rgb, input.mode);
  const scaled = scaledSize(rgb.width, rgb.height, input);
  const source = await resizeRaw(rgb, scaled.width, scaled.height);
  if (source === rgb) {
    // Full resolution: finished rows go straight to the output bytes.
    const out = new Uint8Array(rgb.width * rgb.height);
    await slideWindows(runtime, source, options, (y, row) => {
      const o = y * rgb.width;
      for (let x = 0; x < row.length; x++) {
        const v = row[x]!;
        out[o + x] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
      }
    });
    return out;
  }
  const map = new Float32Array(scaled.width * scaled.height);
  await slideWindows(runtime, source, options, (y, row) => map.set(row, y * scaled.width));
  return resizeToBytes(map, scaled.width, scaled.height, rgb.width, rgb.height);
}

async function predictWhole(
  runtime: Runtime,
  rgb: RawImage,
  mode: 'stretch' | 'resize',
): Promise<Uint8Array> {
  const { size } = runtime;
  const { square, placement } = await toSquare(rgb, mode, size);
  const prob = await runtime.forward(toUnit(square.data), 1);
  const crop = new Float32Array(placement.width * placement.height);
  for (let y = 0; y < placement.height; y++) {
    const from = (placement.top + y) * size + placement.left;
    crop.set(prob.subarray(from, from + placement.width), y * placement.width);
  }
  await breathe();
  return resizeToBytes(crop, placement.width, placement.height, rgb.width, rgb.height);
}

/**
 * Slides size x size windows over `image` (RGB), padding with black where the image is
 * smaller than a window, and hands each finished row of blended probabilities to `emit`
 * in order, top to bottom.
 */
export async function slideWindows(
  runtime: Runtime,
  image: RawImage,
  options: Pick<PredictOptions, 'batchSize' | 'overlap'>,
  emit: (y: number, row: Float32Array) => void,
): Promise<void> {
  const { size } = runtime;
  const { width, height, data } = image;
  const paddedWidth = Math.max(width, size);
  const stride = Math.max(1, Math.round(size * (1 - (options.overlap ?? DEFAULT_OVERLAP))));
  const xs = windowStarts(paddedWidth, size, stride);
  const ys = windowStarts(Math.max(height, size), size, stride);
  const weights = gaussianWeights(size);
  // Rows [top, top + size) of the image, blended so far: every window of one band of
  // rows starts at `top`, and rows above the next band are final once it starts.
  const sum = new Float32Array(size * paddedWidth);
  const weight = new Float32Array(size * paddedWidth);
  let top = 0;
  const flush = (until: number) => {
    const rows = Math.min(until, height) - top;
    for (let r = 0; r < rows; r++) {
      const row = new Float32Array(width);
      const o = r * paddedWidth;
      for (let x = 0; x < width; x++) row[x] = sum[o + x]! / weight[o + x]!;
      emit(top + r, row);
    }
    const shift = Math.max(0, until - top) * paddedWidth;
    sum.copyWithin(0, shift);
    weight.copyWithin(0, shift);
    sum.fill(0, sum.length - shift);
    weight.fill(0, weight.length - shift);
    top = until;
  };
  const area = size * size;
  const batch = new Float32Array(Math.max(1, options.batchSize) * area * 3);
  for (const y0 of ys) {
    flush(y0);
    for (let first = 0; first < xs.length; first += options.batchSize) {
      const group = xs.slice(first, first + options.batchSize);
      batch.fill(0);
      group.forEach((x0, i) => {
        const rows = Math.min(size, height - y0);
        const cols = Math.min(size, width - x0);
        for (let r = 0; r < rows; r++) {
          const src = ((y0 + r) * width + x0) * 3;
          const dst = i * area * 3 + r * size * 3;
          for (let k = 0; k < cols * 3; k++) batch[dst + k] = data[src + k]! / 255;
        }
      });
      const prob = await runtime.forward(batch.subarray(0, group.length * area * 3), group.length);
      group.forEach((x0, i) => {
        for (let r = 0; r < size; r++) {
          const o = r * paddedWidth + x0;
          const p = i * area + r * size;
          for (let c = 0; c < size; c++) {
            const w = weights[r * size + c]!;
            sum[o + c]! += prob[p + c]! * w;
            weight[o + c]! += w;
          }
        }
      });
      await breathe();
    }
  }
  flush(height);
}

/** A probability map cut at `threshold` (by foregroundTable's rule) into a 0/255 mask. */
export function thresholdMask(prob: Uint8Array, threshold: number): Uint8Array {
  const table = foregroundTable(threshold);
  const mask = new Uint8Array(prob.length);
  for (let p = 0; p < prob.length; p++) mask[p] = table[prob[p]!] ? 255 : 0;
  return mask;
}
