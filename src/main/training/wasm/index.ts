// Kernels the wasm backend needs to train our models, fast and right. tfjs-backend-wasm
// 4.22 has no Conv2DBackpropFilter at all; its Conv2DBackpropInput (also the forward
// pass of every transposed convolution) is a scalar loop; its MaxPoolGrad loses the
// gradient of windows whose maximum is <= 0. Identity, SplitV and Sum are replaced for
// speed only: together they took a fifth of a two-thread U-Net step. Everything else a
// U-Net or Tiramisu step with Adam and any of our losses runs is the package's own.
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';
import { conv2dBackpropInputConfig } from './conv2d-backprop-input';
import { rememberDisplaced } from './displaced';
import { identityConfig } from './identity';
import { maxPoolGradConfig } from './max-pool-grad';
import { splitVConfig } from './split-v';
import { sumConfig } from './sum';

export const WASM_TRAINING_KERNELS: readonly tf.KernelConfig[] = [
  conv2dBackpropFilterConfig,
  conv2dBackpropInputConfig,
  maxPoolGradConfig,
  identityConfig,
  splitVConfig,
  sumConfig,
];

/** Registers (or replaces the package's own) wasm kernels; calling it again is a no-op. */
export function registerWasmTrainingKernels(): void {
  for (const config of WASM_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'wasm');
    if (current === config) continue;
    if (current) {
      rememberDisplaced(current);
      tf.unregisterKernel(config.kernelName, 'wasm');
    }
    tf.registerKernel(config);
  }
}
