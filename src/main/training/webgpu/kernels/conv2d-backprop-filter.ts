// The filter gradient of a 2-D convolution as a matrix product, tiled in workgroup memory:
//
//   dW[i, j, ci, co] = Σ_{n, y, x} x[n, y·s + i − pad, x·s + j − pad, ci] · dy[n, y, x, co]
//
// is dW[m, co] = Σ_k A[m, k] · B[k, co] with m = (i, j, ci) (M = kh·kw·ci rows), k = (n, y, x)
// (K = batch·outHeight·outWidth) and B = dy as a [K, co] matrix; A is the im2col of x,
// gathered straight into the tiles and never stored. tfjs-backend-webgpu's own kernel gives
// each of the M·co outputs one thread that walks all of K alone. Here the output is small
// (at most a few hundred thousand values) and K huge (8·128·128 = 131,072 at the first
// level of a 128 px batch of 8), so K is also split across workgroups: each writes its
// partial product, and a second pass adds the partials in a fixed order (no atomics, so
// the result is the same from run to run).
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import type { WebGPUProgram } from '@tensorflow/tfjs-backend-webgpu/dist/webgpu_program';
import { filterGradientInfo } from '../../conv-gradient-info';

/** Invocations per workgroup, as an 8 × 8 grid over the output tile. */
const THREADS = 64;
/** Floats of workgroup storage a tiling may use: WebGPU's guaranteed 16 KiB. */
const STORAGE = 4096;
/**
 * Workgroups a split aims for: enough to fill a discrete GPU's compute units a few times
 * over, few enough that the partial sums stay small next to x and dy.
 */
const TARGET_WORKGROUPS = 256;
/** Each split reduces at least this much of K, so partial sums stay a small part of the work. */
const MIN_CHUNK = 256;

interface Tiling {
  /** Output tile: rows of M and columns of co per workgroup. */
  tileM: number;
  tileN: number;
  /**
   * Depth of a reduction tile: how much of K one barrier-to-barrier step covers. Deeper
   * tiles mean fewer steps and barriers (on llvmpipe, 128 instead of 32 took the head's
   * filter gradient from 9 to 7 ms).
   */
  tileK: number;
  /** Workgroups along co, along M, and along K (the splits). */
  dispatch: [number, number, number];
  /** The part of K one workgroup reduces, a whole number of tileK tiles. */
  chunk: number;
}

/**
 * Tiles no larger than the output needs (the 1×1 head has 16 rows and one column, the
 * first layer 27 rows): every row of a tile is gathered from x at each step, used or
 * not. Up to 64 × 32, where each value of A serves 32 products and each of B 64. Both
 * sides divide THREADS, so each invocation loads the same row of A and column of B at
 * every step; the 8 × 8 invocations own (tileM / 8) × (tileN / 8) outputs each. The
 * reduction tile is as deep as the storage allows for both tiles and the step's table
 * of where each k sits (four integers).
 */
export function tiling(m: number, n: number, k: number): Tiling {
  const tileN = n <= 8 ? 8 : n <= 16 ? 16 : 32;
  const tileM = m <= 16 ? 16 : m <= 32 ? 32 : 64;
  const tiles = Math.ceil(m / tileM) * Math.ceil(n / tileN);
  const wanted = Math.max(
    1,
    Math.min(Math.ceil(TARGET_WORKGROUPS / tiles), Math.floor(k / MIN_CHUNK)),
  );
  const tileK = [128, 64, 32].find((depth) => depth * (tileM + tileN + 4) <= STORAGE) ?? 32;
  const chunk = Math.ceil(Math.ceil(k / wanted) / tileK) * tileK;
  return {
    tileM,
    tileN,
    tileK,
    dispatch: [Math.ceil(n / tileN), Math.ceil(m / tileM), Math.ceil(k / chunk)],
    chunk,
  };
}

class FilterGradientProgram implements WebGPUProgram {
  variableNames = ['x', 'dy'];
  uniforms =
    'pads : vec2<i32>, strides : vec2<i32>, filterSize : vec2<i32>, chunk : i32, steps : i32,';
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  dispatchLayout = { x: [0], y: [1], z: [2] };
  outputShape: number[];
  dispatch: [number, number, number];
  shaderKey: string;

  constructor(
    private readonly tiles: Tiling,
    filterShape: number[],
    private readonly channelsLast: boolean,
  ) {
    const [kh, kw, ci, co] = filterShape as [number, number, number, number];
    const splits = tiles.dispatch[2];
    this.outputShape = splits === 1 ? filterShape : [splits, kh * kw * ci, co];
    this.dispatch = tiles.dispatch;
    this.shaderKey = `jaccardConv2DFilterGradient_${tiles.tileM}_${tiles.tileN}_${tiles.tileK}_${channelsLast}`;
  }

  getUserCode(): string {
    const { tileM, tileN, tileK } = this.tiles;
    const rowsPerThread = tileM / 8;
    const colsPerThread = tileN / 8;
    // [b, h, w, c] or [b, c, h, w]: where a value of x and of dy sits.
    const [xRows, xCols, xChannels] = this.channelsLast ? ['y', 'z', 'w'] : ['z', 'w', 'y'];
    const [dyRows, dyCols, dyChannels] = this.channelsLast ? ['y', 'z', 'w'] : ['z', 'w', 'y'];
    const xAt = this.channelsLast
      ? '((b * inHeight + row) * inWidth + col) * inChannels + c'
      : '((b * inChannels + c) * inHeight + row) * inWidth + col';
    // NHWC's dy is B itself; NCHW's holds each image's channels apart.
    const dyAt = this.channelsLast
      ? '(b * outArea + kPixel[kk]) * outChannels + n'
      : '(b * outChannels + n) * outArea + kPixel[kk]';
    // The micro-tile written out statement by statement: its accumulators stay scalars
    // (registers) instead of an array that llvmpipe and some drivers keep in memory.
    const us = Array.from({ length: rowsPerThread }, (_, u) => u);
    const vs = Array.from({ length: colsPerThread }, (_, v) => v);
    const accumulators = us.flatMap((u) => vs.map((v) => `var acc${u}_${v} = 0.0;`)).join('\n');
    const unrolled = [
      ...us.map((u) => `let a${u} = tileA[kk * ${tileM} + ty + ${u * 8}];`),
      ...vs.map((v) => `let b${v} = tileB[kk * ${tileN} + tx + ${v * 8}];`),
      ...us.flatMap((u) => vs.map((v) => `acc${u}_${v} = fma(a${u}, b${v}, acc${u}_${v});`)),
    ].join('\n');
    const stores = us
      .flatMap((u) =>
        vs.map(
          (v) => `if (m0 + ty + ${u * 8} < rows && n0 + tx + ${v * 8} < outChannels) {
            setOutputAtIndex(base + (m0 + ty + ${u * 8}) * outChannels + n0 + tx + ${v * 8}, acc${u}_${v});
          }`,
        ),
      )
      .join('\n');
    return `
      var<workgroup> tileA : array<f32, ${tileK * tileM}>;
      var<workgroup> tileB : array<f32, ${tileK * tileN}>;
      var<workgroup> kImage : array<i32, ${tileK}>;
      var<workgroup> kPixel : array<i32, ${tileK}>;
      var<workgroup> kRow : array<i32, ${tileK}>;
      var<workgroup> kCol : array<i32, ${tileK}>;

      fn main() {
        let inHeight = uniforms.xShape.${xRows};
        let inWidth = uniforms.xShape.${xCols};
        let inChannels = uniforms.xShape.${xChannels};
        let outHeight = uniforms.dyShape.${dyRows};
        let outWidth = uniforms.dyShape.${dyCols};
        let outChannels = uniforms.dyShape.${dyChannels};
        let outArea = outHeight * outWidth;
        let rows = uniforms.filterSize.x * uniforms.filterSize.y * inChannels;
        let depth = uniforms.dyShape.x * outArea;

        let t = i32(localIndex);
        let m0 = i32(workgroupId.y) * ${tileM};
        let n0 = i32(workgroupId.x) * ${tileN};
        let kBegin = i32(workgroupId.z) * uniforms.chunk;
        let kEnd = min(kBegin + uniforms.chunk, depth);

        // The row of A and column of B this invocation loads, the same at every step.
        let loadRow = t % ${tileM};
        let m = m0 + loadRow;
        let c = m % inChannels;
        let i = m / inChannels / uniforms.filterSize.y;
        let j = m / inChannels % uniforms.filterSize.y;
        let rowInside = m < rows;
        let loadCol = t % ${tileN};
        let n = n0 + loadCol;
        let colInside = n < outChannels;

        let tx = t % 8;
        let ty = t / 8;
        ${accumulators}

        // A uniform trip count: barriers may not sit in a loop whose bound differs
        // between invocations, so the last split runs its spare steps on zeros.
        for (var step = 0; step < uniforms.steps; step++) {
          // Where each k of this step sits in x and dy, worked out once for all
          // invocations: integer division is dear on GPUs and scalar on llvmpipe.
          let k0 = kBegin + step * ${tileK};
          for (var e = t; e < ${tileK}; e += ${THREADS}) {
            let k = k0 + e;
            let pixel = k % outArea;
            kImage[e] = select(-1, k / outArea, k < kEnd);
            kPixel[e] = pixel;
            kRow[e] = pixel / outWidth * uniforms.strides.x - uniforms.pads.x;
            kCol[e] = pixel % outWidth * uniforms.strides.y - uniforms.pads.y;
          }
          workgroupBarrier();
          for (var r = 0; r < ${(tileK * tileM) / THREADS}; r++) {
            let kk = t / ${tileM} + r * ${THREADS / tileM};
            let b = kImage[kk];
            let row = kRow[kk] + i;
            let col = kCol[kk] + j;
            var value = 0.0;
            if (rowInside && b >= 0 && row >= 0 && row < inHeight && col >= 0 && col < inWidth) {
              value = x[${xAt}];
            }
            tileA[kk * ${tileM} + loadRow] = value;
          }
          for (var r = 0; r < ${(tileK * tileN) / THREADS}; r++) {
            let kk = t / ${tileN} + r * ${THREADS / tileN};
            let b = kImage[kk];
            var value = 0.0;
            if (colInside && b >= 0) {
              value = dy[${dyAt}];
            }
            tileB[kk * ${tileN} + loadCol] = value;
          }
          workgroupBarrier();
          for (var kk = 0; kk < ${tileK}; kk++) {
            ${unrolled}
          }
          workgroupBarrier();
        }

        let base = i32(workgroupId.z) * rows * outChannels;
        ${stores}
      }
    `;
  }
}

/** Adds the splits' partial products, [splits, M, co], in split order, into dW. */
class SplitSumProgram implements WebGPUProgram {
  variableNames = ['partial'];
  uniforms = 'splits : i32,';
  workgroupSize: [number, number, number] = [THREADS, 1, 1];
  size = true;
  dispatchLayout = { x: [0, 1, 2, 3] };
  dispatch: [number, number, number];
  shaderKey = 'jaccardConv2DFilterGradientSum';

  constructor(readonly outputShape: number[]) {
    const size = outputShape.reduce((a, b) => a * b, 1);
    this.dispatch = [Math.ceil(size / THREADS), 1, 1];
  }

  getUserCode(): string {
    return `
      fn main(index : i32) {
        if (index < uniforms.size) {
          var sum = 0.0;
          for (var s = 0; s < uniforms.splits; s++) {
            sum += partial[s * uniforms.size + index];
          }
          setOutputAtIndex(index, sum);
        }
      }
    `;
  }
}

function conv2dBackpropFilter({
  inputs,
  attrs,
  backend,
}: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: tf.KernelBackend;
}): tf.TensorInfo {
  const gpu = backend as WebGPUBackend;
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const info = filterGradientInfo(x, attrs);
  const { filterHeight, filterWidth, inChannels, outChannels } = info;
  const tiles = tiling(
    filterHeight * filterWidth * inChannels,
    outChannels,
    info.batchSize * info.outHeight * info.outWidth,
  );
  const program = new FilterGradientProgram(
    tiles,
    info.filterShape,
    info.dataFormat === 'channelsLast',
  );
  const products = gpu.runWebGPUProgram(program, [x, dy], 'float32', [
    { type: 'int32', data: [info.padInfo.top, info.padInfo.left] },
    { type: 'int32', data: [info.strideHeight, info.strideWidth] },
    { type: 'int32', data: [filterHeight, filterWidth] },
    { type: 'int32', data: [tiles.chunk] },
    { type: 'int32', data: [tiles.chunk / tiles.tileK] },
  ]);
  const splits = tiles.dispatch[2];
  if (splits === 1) return products;
  const sum = gpu.runWebGPUProgram(new SplitSumProgram(info.filterShape), [products], 'float32', [
    { type: 'int32', data: [splits] },
  ]);
  gpu.disposeData(products.dataId);
  return sum;
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'webgpu',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
