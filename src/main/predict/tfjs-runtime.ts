// TensorFlow.js behind the runtime seam: the model the trainer holds, or a run's saved one.
import * as tf from '@tensorflow/tfjs';
import { wasmCrash } from '../training/wasm-heap';
import type { Runtime } from './runtime';

export function tfjsRuntime(
  model: tf.LayersModel,
  size: number,
  options = { owned: true },
): Runtime {
  return {
    id: `tfjs-${tf.getBackend()}`,
    size,
    async forward(x, n) {
      const probs = tf.tidy(() => {
        const input = tf.tensor4d(x, [n, size, size, 3]);
        return tf.sigmoid(model.predict(input) as tf.Tensor4D);
      });
      // Read after the scope and asynchronously: a large array returned from tidy is
      // copied again, and a sync read blocks backends that compute off-thread.
      try {
        return (await probs.data()) as Float32Array;
      } finally {
        probs.dispose();
      }
    },
    dispose() {
      // Freeing on a crashed wasm module can corrupt or hang it; a borrowed model is the lender's.
      if (options.owned && !wasmCrash()) model.dispose();
    },
  };
}
