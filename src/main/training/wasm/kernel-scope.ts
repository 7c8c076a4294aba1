// Our wasm kernels are compositions of kernels the wasm backend already has (XNNPACK
// convolutions, transposes, slices). They call those kernel functions directly, the way
// tfjs's own backends compose kernels: no engine, no gradient tape, no Tensor objects,
// just TensorInfos on the wasm heap that must be freed by hand.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';

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
   * (depth-to-space with separate row and column factors). Stacking on the outermost
   * axis keeps the copies contiguous; one transpose does the interleaving.
   */
  interleave(phases: tf.TensorInfo[], sh: number, sw: number): tf.TensorInfo {
    if (phases.length === 1) return phases[0] as tf.TensorInfo;
    const [n, h, w, c] = (phases[0] as tf.TensorInfo).shape as [number, number, number, number];
    const stacked = this.run('Concat', phases, { axis: 0 });
    const split = this.reshape(stacked, [sh, sw, n * h, w, c]);
    const interleaved = this.transpose(split, [2, 0, 3, 1, 4]);
    return this.reshape(interleaved, [n, h * sh, w * sw, c]);
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
