// What a training must fit on a WebGPU adapter. tfjs-backend-webgpu keeps every tensor in
// one GPU buffer and binds it whole to each kernel, so the largest tensor of a step must
// fit the adapter's maxStorageBufferBindingSize (and maxBufferSize). Past it Dawn refuses
// the binding as a validation error and tfjs reads zeros without noticing (measured on
// llvmpipe, whose limit is 128 MiB), so the run is refused before it starts. WebGPU does
// not say how much memory the GPU has; running out of it mid-run is a device error, which
// fails the run (device.ts).
import type * as tf from '@tensorflow/tfjs';
import { outputBytes } from '../wasm-heap';
import type { DawnAdapter } from './dawn';

export type WebgpuLimits = Pick<DawnAdapter, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;

/** The largest tensor a training step binds: a layer's output (or its gradient) for the batch. */
export function largestBinding(
  model: tf.LayersModel,
  batchSize: number,
): { layer: string; bytes: number } {
  let largest = { layer: '', bytes: 0 };
  for (const layer of model.layers) {
    const bytes = outputBytes(layer) * batchSize;
    if (bytes > largest.bytes) largest = { layer: layer.name, bytes };
  }
  return largest;
}

/** The largest buffer the adapter binds to a kernel. */
export function bindingLimit(limits: WebgpuLimits): number {
  return Math.min(limits.maxBufferSize, limits.maxStorageBufferBindingSize);
}
