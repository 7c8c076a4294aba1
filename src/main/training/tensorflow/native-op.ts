// Runs one of TensorFlow's own ops on the native backend (@tensorflow/tfjs-node or -gpu),
// where tfjs-node would otherwise compose it from many element-wise ops, each a pass
// over the whole tensor.
import * as tf from '@tensorflow/tfjs';

/** The part of tfjs-node's NodeJSKernelBackend used here (the packages are optional). */
interface NativeBackend {
  binding: Record<
    'TF_ATTR_TYPE' | 'TF_ATTR_FLOAT' | 'TF_ATTR_STRING' | 'TF_ATTR_BOOL' | 'TF_FLOAT',
    number
  >;
  executeMultipleOutputs(
    name: string,
    attrs: { name: string; type: number; value: unknown }[],
    inputs: tf.Tensor[],
    outputs: number,
  ): tf.Tensor[];
}

/** Whether tensors live on a native TensorFlow backend (CPU or CUDA). */
export const onNativeBackend = (): boolean => tf.getBackend() === 'tensorflow';

/**
 * Runs TensorFlow op `name` with T = float32 and answers its results, as many as it has
 * (`outputs`); those the caller leaves go with its tidy scope.
 * Attributes: numbers are float, strings string, booleans bool (all the ops here need).
 */
export function runNativeOp(
  name: string,
  inputs: tf.Tensor[],
  outputs: number,
  attrs: Record<string, number | string | boolean> = {},
): tf.Tensor[] {
  const backend = tf.backend() as unknown as NativeBackend;
  const { binding } = backend;
  const kind = { number: binding.TF_ATTR_FLOAT, string: binding.TF_ATTR_STRING };
  const typed = Object.entries(attrs).map(([attr, value]) => ({
    name: attr,
    type:
      typeof value === 'boolean' ? binding.TF_ATTR_BOOL : kind[typeof value as keyof typeof kind],
    value,
  }));
  const type = { name: 'T', type: binding.TF_ATTR_TYPE, value: binding.TF_FLOAT };
  return backend.executeMultipleOutputs(name, [type, ...typed], inputs, outputs);
}
