// ReLU's gradient is dy * step(x). tfjs-node builds step from six full-size ops (IsNan,
// Greater, OnesLike, Fill, two Selects); for the alpha of 0 that ReLU uses it is
// sign(relu(x)), two ops with the same values (1 above zero, 0 at or below, NaN for NaN).
// Measured: an eighth of a U-Net training step on native TensorFlow, a quarter of a
// Tiramisu one.
import * as tf from '@tensorflow/tfjs';
import { fastOps } from '../fast-ops';
import { runNativeOp } from './native-op';

function nativeStepConfig(composite: tf.KernelConfig): tf.KernelConfig {
  return {
    kernelName: tf.Step,
    backendName: 'tensorflow',
    kernelFunc: (args) => {
      const { x } = args.inputs as unknown as { x: tf.Tensor };
      const { alpha } = args.attrs as unknown as tf.StepAttrs;
      if (alpha !== 0 || x.dtype !== 'float32') return composite.kernelFunc(args);
      const [relu] = runNativeOp('Relu', [x], 1) as [tf.Tensor];
      const [step] = runNativeOp('Sign', [relu], 1) as [tf.Tensor];
      relu.dispose();
      return step;
    },
  };
}

/** Puts the two-op step in place of tfjs-node's; calling it again is a no-op. */
export function registerNativeStep(): void {
  const current = tf.getKernel(tf.Step, 'tensorflow');
  if (!current || replaced.has(current) || !fastOps()) return;
  const config = nativeStepConfig(current);
  replaced.add(config);
  tf.unregisterKernel(tf.Step, 'tensorflow');
  tf.registerKernel(config);
}
const replaced = new WeakSet<tf.KernelConfig>();
