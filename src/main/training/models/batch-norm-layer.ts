// The models' batch normalisation, trained with fewer passes over the tensor than
// tfjs-layers takes. It trains as moments() then batchNorm(), and tfjs differentiates
// both op by op, tiling 1/sd to the whole tensor on the way: measured at 128 px, batch 8,
// 16 base filters, batch norm was half of a U-Net training step and two thirds of a
// Tiramisu one on native TensorFlow, and 60-75% on wasm (docs/bench.md). Here the
// training pass and its gradient are written out once: TensorFlow's fused kernels on the
// native backend, a closed form in tfjs ops elsewhere. Inference is tfjs-layers' own,
// and the layer's class, weights and saved form are unchanged.
import * as tf from '@tensorflow/tfjs';
import { fastOps } from '../fast-ops';
import { onNativeBackend, runNativeOp } from '../tensorflow/native-op';

interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

/** The fields of tfjs-layers' BatchNormalization used here (protected in its typings). */
interface BatchNormFields {
  axis: number;
  epsilon: number;
  momentum: number;
  center: boolean;
  scale: boolean;
  gamma: LayerVariable;
  beta: LayerVariable;
  movingMean: LayerVariable;
  movingVariance: LayerVariable;
}

export function batchNormalization(name: string): tf.layers.Layer {
  const layer = tf.layers.batchNormalization({ name });
  const fields = layer as unknown as BatchNormFields;
  const composite = layer.call.bind(layer);
  layer.call = (inputs, kwargs) => {
    const x = Array.isArray(inputs) ? inputs[0] : inputs;
    if (kwargs.training !== true || !x || !covered(x, fields) || !fastOps()) {
      return composite(inputs, kwargs);
    }
    return trainWith(x as tf.Tensor4D, fields, onNativeBackend() ? NATIVE : PORTABLE);
  };
  return layer;
}

/** What the passes below handle: NHWC over the channels, with scale and offset, and more
 * than one value per channel. */
function covered(x: tf.Tensor, layer: BatchNormFields): boolean {
  const [n = 0, h = 0, w = 0] = x.shape;
  return (
    x.rank === 4 &&
    (layer.axis === -1 || layer.axis === 3) &&
    layer.center &&
    layer.scale &&
    n * h * w > 1
  );
}

/** Training-mode batch norm over NHWC's channels, one way or another. */
interface BatchNormPasses {
  /** y with the batch's mean and plain variance, and what `backward` needs. */
  forward(
    x: tf.Tensor4D,
    gamma: tf.Tensor,
    beta: tf.Tensor,
    epsilon: number,
  ): { y: tf.Tensor; mean: tf.Tensor; variance: tf.Tensor; saved: tf.Tensor[] };
  /** Gradients of x, gamma and beta. */
  backward(dy: tf.Tensor, saved: tf.Tensor[], epsilon: number): tf.Tensor[];
}

/** TensorFlow's own fused kernels: one op each way. */
const NATIVE: BatchNormPasses = {
  forward(x, gamma, beta, epsilon) {
    const [y, mean, unbiased, reserve1, reserve2] = runNativeOp(
      'FusedBatchNorm',
      [x, gamma, beta, EMPTY(), EMPTY()],
      5,
      nativeAttrs(epsilon),
    ) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
    // TensorFlow hands out the variance corrected for the sample; tfjs-layers keeps the
    // moving average of the plain one.
    const count = x.size / (x.shape[3] ?? 1);
    const variance = tf.mul(unbiased, (count - 1) / count);
    return { y, mean, variance, saved: [x, gamma, reserve1, reserve2] };
  },
  backward(dy, saved, epsilon) {
    return runNativeOp('FusedBatchNormGrad', [dy, ...saved], 5, nativeAttrs(epsilon)).slice(0, 3);
  },
};

const nativeAttrs = (epsilon: number) => ({ epsilon, data_format: 'NHWC', is_training: true });

/**
 * Any backend: the statistics as sums over the leading axes, and the gradient in closed
 * form, dx = gamma / sd * (dy - mean(dy) - x̂ * mean(dy * x̂)), rather than tfjs's
 * differentiation of moments() and batchNorm() (which also tiles 1/sd to the whole tensor).
 */
const PORTABLE: BatchNormPasses = {
  forward(x, gamma, beta, epsilon) {
    const count = x.size / (x.shape[3] ?? 1);
    const mean = tf.div(tf.sum(x, [0, 1, 2]), count);
    const centred = tf.sub(x, mean);
    const variance = tf.div(tf.sum(tf.square(centred), [0, 1, 2]), count);
    const inverseSd = tf.rsqrt(tf.add(variance, epsilon));
    const normed = tf.mul(centred, inverseSd);
    const y = tf.add(tf.mul(normed, gamma), beta);
    return { y, mean, variance, saved: [normed, tf.mul(gamma, inverseSd)] };
  },
  backward(dy, [normed, scale]) {
    const count = dy.size / (dy.shape[3] ?? 1);
    const dBeta = tf.sum(dy, [0, 1, 2]);
    const dGamma = tf.sum(tf.mul(dy, normed as tf.Tensor), [0, 1, 2]);
    const shift = tf.add(tf.mul(normed as tf.Tensor, tf.div(dGamma, count)), tf.div(dBeta, count));
    return [tf.mul(tf.sub(dy, shift), scale as tf.Tensor), dGamma, dBeta];
  },
};

function trainWith(x: tf.Tensor4D, layer: BatchNormFields, passes: BatchNormPasses): tf.Tensor {
  return tf.tidy(() => {
    let stats: [tf.Tensor, tf.Tensor] | undefined;
    const normalise = tf.customGrad((...args) => {
      const [x, gamma, beta] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor];
      const save = args[3] as tf.GradSaveFunc;
      const { y, mean, variance, saved } = passes.forward(x, gamma, beta, layer.epsilon);
      // Kept: customGrad runs this in a scope of its own that disposes the rest.
      stats = [tf.keep(mean), tf.keep(variance)];
      save(saved);
      return {
        value: y,
        gradFunc: (dy, kept) => passes.backward(dy as tf.Tensor, kept, layer.epsilon),
      };
    });
    const y = normalise(x, layer.gamma.read(), layer.beta.read());
    const [mean, variance] = stats as [tf.Tensor, tf.Tensor];
    // As tfjs-layers updates them: moving -= (moving - batch) * (1 - momentum).
    for (const [moving, batch] of [
      [layer.movingMean, mean],
      [layer.movingVariance, variance],
    ] as const) {
      const old = moving.read();
      moving.write(tf.sub(old, tf.mul(tf.sub(old, batch), 1 - layer.momentum)));
      batch.dispose();
    }
    return y;
  });
}

/** The mean and variance inputs, which a training-mode FusedBatchNorm leaves unused. */
const EMPTY = () => tf.tensor1d([]);
