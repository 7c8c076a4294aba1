// Kernels the webgpu backend needs to train our models fast. tfjs-backend-webgpu 4.22 runs
// every kernel of a U-Net or Tiramisu step, but its Conv2DBackpropFilter gives each filter
// value one invocation that walks the whole batch alone; ours is a tiled matrix product.
import * as tf from '@tensorflow/tfjs';
import { conv2dBackpropFilterConfig } from './conv2d-backprop-filter';

export const WEBGPU_TRAINING_KERNELS: readonly tf.KernelConfig[] = [conv2dBackpropFilterConfig];

/**
 * Replaces the package's own webgpu kernels with ours; calling it again is a no-op. Call
 * it after `startDawn()`: importing the backend package registers its kernels, and the
 * last registration wins.
 */
export function registerWebgpuTrainingKernels(): void {
  for (const config of WEBGPU_TRAINING_KERNELS) {
    const current = tf.getKernel(config.kernelName, 'webgpu');
    if (current === config) continue;
    if (current) tf.unregisterKernel(config.kernelName, 'webgpu');
    tf.registerKernel(config);
  }
}
