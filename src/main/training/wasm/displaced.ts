// The package's own wasm kernels that ours replaced, for the cases ours hand back to them.
import type * as tf from '@tensorflow/tfjs';

const displaced = new Map<string, tf.KernelConfig>();

export function rememberDisplaced(config: tf.KernelConfig): void {
  displaced.set(config.kernelName, config);
}

export function displacedKernel(name: string): tf.KernelConfig {
  const config = displaced.get(name);
  if (!config) throw new Error(`The wasm backend's own '${name}' kernel was never registered.`);
  return config;
}
