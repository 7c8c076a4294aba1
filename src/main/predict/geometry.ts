// Pixel geometry shared by training and prediction: where an image lands in the model's
// square, where sliding windows fall, how overlapping windows are weighted, and how a
// probability map returns to the image's own size. Pure functions, no tfjs.

/** Where a width x height image lands in a size x size square when scaled to fit. */
export interface Placement {
  left: number;
  top: number;
  width: number;
  height: number;
}

/** Aspect kept, centred, the longer side filling the square. */
export function letterbox(width: number, height: number, size: number): Placement {
  const scale = size / Math.max(width, height);
  const w = Math.min(size, Math.max(1, Math.round(width * scale)));
  const h = Math.min(size, Math.max(1, Math.round(height * scale)));
  return { left: Math.floor((size - w) / 2), top: Math.floor((size - h) / 2), width: w, height: h };
}

/** Window starts along one axis, `stride` apart, the last flush with the end: every pixel is covered. */
export function windowStarts(length: number, size: number, stride: number): number[] {
  if (length <= size) return [0];
  const starts: number[] = [];
  for (let s = 0; s + size < length; s += stride) starts.push(s);
  starts.push(length - size);
  return starts;
}

/**
 * Blending weights for one window: a Gaussian with sigma = size / 8, as nnU-Net and
 * MONAI use, because a window's border pixels see less context than its centre. The
 * floor keeps the image's own border (covered only by window borders) well defined.
 */
export function gaussianWeights(size: number): Float32Array {
  const sigma = size / 8;
  const c = (size - 1) / 2;
  const axis = Float64Array.from({ length: size }, (_, i) =>
    Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)),
  );
  const out = new Float32Array(size * size);
  for (let y = 0; y < size; y++)
    for (let x = 0; x < size; x++) out[y * size + x] = Math.max(1e-3, axis[y]! * axis[x]!);
  return out;
}

/**
 * A one-channel map of `sw` x `sh` bilinearly resized to `dw` x `dh` with half-pixel
 * centres (TensorFlow's resizeBilinear convention), as bytes round(p * 255). Done here
 * rather than in tfjs so a 16000 x 16000 output never enters the wasm heap.
 */
export function resizeToBytes(
  src: Float32Array,
  sw: number,
  sh: number,
  dw: number,
  dh: number,
): Uint8Array {
  const out = new Uint8Array(dw * dh);
  const x0s = new Int32Array(dw);
  const x1s = new Int32Array(dw);
  const fx = new Float32Array(dw);
  for (let x = 0; x < dw; x++) {
    const f = (x + 0.5) * (sw / dw) - 0.5;
    const lo = Math.max(0, Math.floor(f));
    x0s[x] = lo;
    x1s[x] = Math.min(sw - 1, Math.ceil(f));
    fx[x] = f - lo;
  }
  for (let y = 0; y < dh; y++) {
    const f = (y + 0.5) * (sh / dh) - 0.5;
    const y0 = Math.max(0, Math.floor(f));
    const y1 = Math.min(sh - 1, Math.ceil(f));
    const fy = f - y0;
    const r0 = y0 * sw;
    const r1 = y1 * sw;
    const o = y * dw;
    for (let x = 0; x < dw; x++) {
      const a = x0s[x]!;
      const b = x1s[x]!;
      const top = src[r0 + a]! + (src[r0 + b]! - src[r0 + a]!) * fx[x]!;
      const bottom = src[r1 + a]! + (src[r1 + b]! - src[r1 + a]!) * fx[x]!;
      const v = top + (bottom - top) * fy;
      out[o + x] = v <= 0 ? 0 : v >= 1 ? 255 : Math.round(v * 255);
    }
  }
  return out;
}
