// Identity (tf.clone) shares the data instead of copying it, as the cpu backend does.
// tfjs-core clones every tensor a gradient will need (Engine.saveTensorsForBackwardMode),
// and the wasm backend's copy of each cost a U-Net step about 2% of its time. Tensors are
// immutable and wasm data is reference counted, so sharing is safe.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './kernel-scope';

function identity({ inputs, backend }: KernelArgs): tf.TensorInfo {
  const x = inputs.x as tf.TensorInfo;
  (backend as BackendWasm).incRef(x.dataId);
  return { dataId: x.dataId, shape: x.shape, dtype: x.dtype };
}

export const identityConfig: tf.KernelConfig = {
  kernelName: tf.Identity,
  backendName: 'wasm',
  kernelFunc: identity as unknown as tf.KernelFunc,
};
