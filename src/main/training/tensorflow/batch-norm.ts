// Batch normalisation that trains through TensorFlow's fused kernels on the native
// backend. tfjs-layers trains it as moments() and batchNorm(), whose gradients tfjs
// composes from a dozen element-wise ops over the whole tensor; FusedBatchNorm and
// FusedBatchNormGrad do each pass in one op. Measured on native TensorFlow (128 px,
// batch 8, 16 base filters): batch norm was half of a U-Net training step and two thirds
// of a Tiramisu one. Inference, and every other backend, runs tfjs-layers' own code;
// the layer's class, weights and saved form are unchanged.
import * as tf from '@tensorflow/tfjs';
import { runNativeOp, useNativeOps } from './native-op';

interface LayerVariable {
  read(): tf.Tensor;
  write(value: tf.Tensor): void;
}

/** The fields of tfjs-layers' BatchNormalization read here (protected in its typings). */
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
    return kwargs.training === true && useNativeOps() && x && fusable(x, fields)
      ? trainFused(x as tf.Tensor4D, fields)
      : composite(inputs, kwargs);
  };
  return layer;
}

/** NHWC over the channels, with scale and offset, and more than one value per channel. */
function fusable(x: tf.Tensor, layer: BatchNormFields): boolean {
  const [n = 0, h = 0, w = 0] = x.shape;
  return (
    x.rank === 4 &&
    (layer.axis === -1 || layer.axis === 3) &&
    layer.center &&
    layer.scale &&
    n * h * w > 1
  );
}

function trainFused(x: tf.Tensor4D, layer: BatchNormFields): tf.Tensor {
  return tf.tidy(() => {
    let stats: [tf.Tensor, tf.Tensor] | undefined;
    const normalise = tf.customGrad((...args) => {
      const [x, gamma, beta] = args as [tf.Tensor4D, tf.Tensor, tf.Tensor];
      const save = args[3] as tf.GradSaveFunc;
      const attrs = { epsilon: layer.epsilon, data_format: 'NHWC', is_training: true };
      const [y, mean, unbiased, reserve1, reserve2] = runNativeOp(
        'FusedBatchNorm',
        [x, gamma, beta, EMPTY(), EMPTY()],
        5,
        attrs,
      ) as [tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor, tf.Tensor];
      // TensorFlow hands out the variance corrected for the sample; tfjs-layers keeps the
      // moving average of the plain one.
      const count = x.size / (x.shape[3] ?? 1);
      // Kept: customGrad runs this in a scope of its own that disposes the rest.
      stats = [tf.keep(mean), tf.keep(tf.mul(unbiased, (count - 1) / count))];
      save([x, gamma, reserve1, reserve2]);
      return {
        value: y,
        gradFunc: (dy, saved) => {
          const [dx, dGamma, dBeta] = runNativeOp(
            'FusedBatchNormGrad',
            [dy as tf.Tensor, ...saved],
            5,
            attrs,
          );
          return [dx as tf.Tensor, dGamma as tf.Tensor, dBeta as tf.Tensor];
        },
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
