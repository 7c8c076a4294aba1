// Layer recipes both architectures share. Only layers whose kernels the wasm backend runs
// (or the project registers) are used: conv2d, conv2dTranspose, maxPool, batchNorm, relu,
// concat and bilinear resize.
import * as tf from '@tensorflow/tfjs';
import { batchNormalization } from './batch-norm-layer';

export type Symbolic = tf.SymbolicTensor;

/**
 * Hands every layer its own seed (seed, seed + 1, ...) so two layers of the same shape
 * never start identical, and the same model seed always rebuilds the same weights.
 */
export class Layers {
  private next = 0;

  constructor(
    private readonly seed: number | undefined,
    readonly batchNorm: boolean,
  ) {}

  private takeSeed(): number | undefined {
    return this.seed === undefined ? undefined : this.seed + this.next++;
  }

  /** He initialisation suits the ReLU that follows every hidden convolution. */
  conv(x: Symbolic, filters: number, kernelSize: number, name: string, useBias = true): Symbolic {
    return tf.layers
      .conv2d({
        name,
        filters,
        kernelSize,
        padding: 'same',
        useBias,
        kernelInitializer: tf.initializers.heNormal({ seed: this.takeSeed() }),
      })
      .apply(x) as Symbolic;
  }

  /** 1x1 convolution to one logit per pixel; Glorot because no ReLU follows. */
  head(x: Symbolic): Symbolic {
    return tf.layers
      .conv2d({
        name: 'head',
        filters: 1,
        kernelSize: 1,
        kernelInitializer: tf.initializers.glorotUniform({ seed: this.takeSeed() }),
      })
      .apply(x) as Symbolic;
  }

  /** Batch norm (when enabled) then ReLU. */
  normRelu(x: Symbolic, name: string): Symbolic {
    const normed = this.batchNorm ? (batchNormalization(`${name}_bn`).apply(x) as Symbolic) : x;
    return tf.layers.reLU({ name: `${name}_relu` }).apply(normed) as Symbolic;
  }

  pool(x: Symbolic, name: string): Symbolic {
    return tf.layers.maxPooling2d({ name, poolSize: 2, strides: 2 }).apply(x) as Symbolic;
  }

  /**
   * Doubles the resolution: a learned stride-2 transposed convolution to `filters`
   * channels, or parameter-free bilinear resizing that keeps the channel count.
   */
  up(
    x: Symbolic,
    mode: 'transpose' | 'bilinear',
    filters: number,
    kernelSize: number,
    name: string,
  ): Symbolic {
    if (mode === 'bilinear') {
      return tf.layers
        .upSampling2d({ name, size: [2, 2], interpolation: 'bilinear' })
        .apply(x) as Symbolic;
    }
    return tf.layers
      .conv2dTranspose({
        name,
        filters,
        kernelSize,
        strides: 2,
        padding: 'same',
        kernelInitializer: tf.initializers.heNormal({ seed: this.takeSeed() }),
      })
      .apply(x) as Symbolic;
  }

  concat(xs: Symbolic[], name: string): Symbolic {
    return tf.layers.concatenate({ name, axis: -1 }).apply(xs) as Symbolic;
  }
}
