// SplitV (also the gradient of every concat, e.g. a U-Net's skip concatenations) as one
// bulk copy per contiguous run. The package's version slices each part separately, and
// its Slice first copies the whole input out of the wasm heap: three times slower.
import * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { KernelArgs } from './kernel-scope';

function splitV({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo[] {
  const wasm = backend as BackendWasm;
  const x = inputs.x as tf.TensorInfo;
  const { numOrSizeSplits, axis } = attrs as unknown as tf.SplitVAttrs;
  const $axis = tf.util.parseAxisParam(axis, x.shape)[0] as number;
  const sizes = tf.backend_util.prepareSplitSize(x as tf.Tensor, numOrSizeSplits, $axis);
  const outer = tf.util.sizeFromShape(x.shape.slice(0, $axis));
  const inner = tf.util.sizeFromShape(x.shape.slice($axis + 1));
  const rowLength = (x.shape[$axis] as number) * inner;

  const parts = sizes.map((size) => {
    const shape = x.shape.slice();
    shape[$axis] = size;
    return wasm.makeOutput(shape, x.dtype);
  });
  // Views are taken after every allocation, which may grow (and move) the heap.
  const source = wasm.typedArrayFromHeap(x);
  let offset = 0;
  parts.forEach((part, p) => {
    const run = (sizes[p] as number) * inner;
    const target = wasm.typedArrayFromHeap(part);
    for (let row = 0; row < outer; row++) {
      const start = row * rowLength + offset;
      target.set(source.subarray(start, start + run), row * run);
    }
    offset += run;
  });
  return parts;
}

export const splitVConfig: tf.KernelConfig = {
  kernelName: tf.SplitV,
  backendName: 'wasm',
  kernelFunc: splitV as unknown as tf.KernelFunc,
};
