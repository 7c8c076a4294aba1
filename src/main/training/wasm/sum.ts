// Sum over the leading axes (every bias gradient: dy summed over batch, rows and
// columns) as XNNPACK's average pooling over one window covering them all, times their
// count: one threaded pass. The package's Sum first transposes the reduced axes
// innermost, single-threaded: about ten times slower there. Other reductions and other
// dtypes go to the package's kernel.
import * as tf from '@tensorflow/tfjs';
import { displacedKernel } from './displaced';
import { type KernelArgs, withScope } from './kernel-scope';

function sum(args: KernelArgs): tf.TensorInfo {
  const x = args.inputs.x as tf.TensorInfo;
  const { axis, keepDims } = args.attrs as unknown as tf.SumAttrs;
  const axes = tf.util.parseAxisParam(axis, x.shape).sort((a, b) => a - b);
  const leading = axes.every((a, i) => a === i) && axes.length < x.shape.length;
  if (x.dtype !== 'float32' || axes.length === 0 || !leading) {
    return displacedKernel(tf.Sum).kernelFunc(
      args as Parameters<tf.KernelFunc>[0],
    ) as tf.TensorInfo;
  }
  const reduced = tf.util.sizeFromShape(x.shape.slice(0, axes.length));
  const kept = x.shape.slice(axes.length);
  const outShape = keepDims ? [...axes.map(() => 1), ...kept] : kept;
  return withScope(args.backend, (scope) => {
    const channels = tf.util.sizeFromShape(kept);
    if (reduced === 1) return scope.reshape(x, outShape);
    // Any factorisation of the count into a window works; a squarish one suits XNNPACK.
    let rows = Math.floor(Math.sqrt(reduced));
    while (reduced % rows !== 0) rows--;
    const window = [rows, reduced / rows];
    const mean = scope.run(
      'AvgPool',
      { x: scope.reshape(x, [1, ...window, channels]) },
      { filterSize: window, strides: window, pad: 'valid' },
    );
    const count = scope.run('Fill', {}, { shape: [], value: reduced, dtype: 'float32' });
    return scope.reshape(scope.run('Multiply', { a: mean, b: count }), outShape);
  });
}

export const sumConfig: tf.KernelConfig = {
  kernelName: tf.Sum,
  backendName: 'wasm',
  // The package's kernel, which ours falls back to, binds its wasm function here.
  setupFunc: (backend) => displacedKernel(tf.Sum).setupFunc?.(backend),
  kernelFunc: sum as unknown as tf.KernelFunc,
};
