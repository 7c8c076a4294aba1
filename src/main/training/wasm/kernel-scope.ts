// Our wasm kernels are compositions of kernels the wasm backend already has (XNNPACK
// convolutions, transposes, slices). They call those kernel functions directly, the way
// tfjs's own backends compose kernels: no engine, no gradient tape, no Tensor objects,
// just TensorInfos on the wasm heap that must be freed by hand.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

/** What tfjs hands every kernel function; ours take the backend as the wasm one. */
export interface KernelArgs {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: tf.KernelBackend;
}

export class KernelScope {
  private readonly made: tf.TensorInfo[] = [];

  constructor(readonly backend: BackendWasm) {}

  /** Runs the wasm backend's own kernel `name`; the result is freed by `keep`. */
  run(
    name: string,
    inputs: tf.NamedTensorInfoMap | tf.TensorInfo[],
    attrs: tf.NamedAttrMap = {},
  ): tf.TensorInfo {
    const kernel = tf.getKernel(name, 'wasm');
    if (!kernel) throw new Error(`The wasm backend has no '${name}' kernel to build on.`);
    const out = kernel.kernelFunc({
      inputs: inputs as tf.NamedTensorInfoMap,
      attrs,
      backend: this.backend,
    }) as tf.TensorInfo;
    this.made.push(out);
    return out;
  }

  reshape(x: tf.TensorInfo, shape: number[]): tf.TensorInfo {
    return this.run('Reshape', { x }, { shape });
  }

  transpose(x: tf.TensorInfo, perm: number[]): tf.TensorInfo {
    return this.run('Transpose', { x }, { perm });
  }

  /** Crops `x` to `size` from `begin`, or hands `x` back when that is all of it. */
  crop(x: tf.TensorInfo, begin: number[], size: number[]): tf.TensorInfo {
    const whole = begin.every((b, i) => b === 0 && size[i] === x.shape[i]);
    return whole ? x : this.run('Slice', { x }, { begin, size });
  }

  /**
   * Interleaves sh·sw equally shaped [n, h, w, c] phases (row-major by phase) into one
   * [n, h·sh, w·sw, c] grid: out[n, y·sh + ph, x·sw + pw] = phases[ph·sw + pw][n, y, x]
   * (depth-to-space with separate row and column factors). The phases are stacked on
   * the outermost axis (contiguous copies) and moved into place with two transposes of
   * rank <= 4: the wasm backend's rank-5 transpose and DepthToSpace are element-wise
   * loops some 20 times slower.
   */
  interleave(phases: tf.TensorInfo[], sh: number, sw: number): tf.TensorInfo {
    if (phases.length === 1) return phases[0] as tf.TensorInfo;
    const [n, h, w, c] = (phases[0] as tf.TensorInfo).shape as [number, number, number, number];
    const stacked = this.run('Concat', phases, { axis: 0 });
    // [ph·pw, n·y, x·c] -> [n·y, ph·pw, x·c], i.e. [n·y·ph, pw, x, c] -> [n·y·ph, x, pw, c].
    const rowsFirst = this.transpose(this.reshape(stacked, [sh * sw, n * h, w * c]), [1, 0, 2]);
    const grid = this.transpose(this.reshape(rowsFirst, [n * h * sh, sw, w, c]), [0, 2, 1, 3]);
    return this.reshape(grid, [n, h * sh, w * sw, c]);
  }

  /** The inverse of `interleave`: the sh·sw phases of a [n, h·sh, w·sw, c] grid. */
  deinterleave(grid: tf.TensorInfo, sh: number, sw: number): tf.TensorInfo[] {
    const [n, hs, ws, c] = grid.shape as [number, number, number, number];
    const h = hs / sh;
    const w = ws / sw;
    // [n·y·ph, x, pw, c] -> [n·y·ph, pw, x, c], i.e. [n·y, ph·pw, x·c] -> [ph·pw, n·y, x·c].
    const columns = this.transpose(this.reshape(grid, [n * h * sh, w, sw, c]), [0, 2, 1, 3]);
    const phases = this.transpose(this.reshape(columns, [n * h, sh * sw, w * c]), [1, 0, 2]);
    return this.splitOuter(this.reshape(phases, [sh * sw, n, h, w * c]), sh * sw).map((p) =>
      this.reshape(p, [n, h, w, c]),
    );
  }

  /**
   * Splits `x` into `parts` equal blocks along its first axis. The blocks are contiguous,
   * so each is one bulk copy; the backend's Slice would first copy all of `x` per block.
   */
  splitOuter(x: tf.TensorInfo, parts: number): tf.TensorInfo[] {
    const [outer, ...inner] = x.shape as number[];
    const shape = [(outer as number) / parts, ...inner];
    const size = shape.reduce((a, b) => a * b, 1);
    return Array.from({ length: parts }, (_, p) => {
      const part = this.backend.makeOutput(shape, x.dtype);
      this.made.push(part);
      const source = this.backend.typedArrayFromHeap(x).subarray(p * size, (p + 1) * size);
      this.backend.typedArrayFromHeap(part).set(source);
      return part;
    });
  }

  /** Reverses `x` along its first axis, one bulk copy per slice. */
  reverseOuter(x: tf.TensorInfo): tf.TensorInfo {
    const [outer, ...inner] = x.shape as number[];
    const size = inner.reduce((a, b) => a * b, 1);
    const reversed = this.backend.makeOutput(x.shape, x.dtype);
    this.made.push(reversed);
    const source = this.backend.typedArrayFromHeap(x);
    const target = this.backend.typedArrayFromHeap(reversed);
    for (let p = 0; p < (outer as number); p++) {
      const from = ((outer as number) - 1 - p) * size;
      target.set(source.subarray(from, from + size), p * size);
    }
    return reversed;
  }

  zeros(shape: number[]): tf.TensorInfo {
    return this.run('Fill', {}, { shape, value: 0, dtype: 'float32' });
  }

  /** Frees every intermediate except `result`, which goes back to the engine. */
  keep(result: tf.TensorInfo): tf.TensorInfo {
    for (const t of this.made) if (t !== result) this.backend.disposeData(t.dataId);
    return result;
  }

  /** Frees every intermediate after a failure. */
  dispose(): void {
    for (const t of this.made) this.backend.disposeData(t.dataId);
  }
}

/** Runs `body` in a fresh scope, freeing intermediates whether it returns or throws. */
export function withScope(
  backend: tf.KernelBackend,
  body: (scope: KernelScope) => tf.TensorInfo,
): tf.TensorInfo {
  const scope = new KernelScope(backend as BackendWasm);
  let result: tf.TensorInfo;
  try {
    result = body(scope);
  } catch (error) {
    scope.dispose();
    throw error;
  }
  return scope.keep(result);
}
