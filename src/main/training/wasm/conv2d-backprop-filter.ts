// The filter gradient of a 2-D convolution, which tfjs's wasm backend lacks, as one
// forward convolution that XNNPACK runs:
//
//   dW[i, j, ci, co] = Σ_{n, ho, wo} x[n, ho·s + i − pad, wo·s + j − pad, ci] · dy[n, ho, wo, co]
//
// is a convolution whose batch is the input channel (x as [ci, h, w, n]), whose
// "filter" is the output gradient (dy as [ho, wo, n, co]), dilated by the forward
// stride, and whose output [ci, kh, kw, co] is the filter gradient transposed.
import * as tf from '@tensorflow/tfjs';
import { filterGradientInfo } from '../conv-gradient-info';
import { type KernelArgs, withScope } from './kernel-scope';

function conv2dBackpropFilter({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { x, dy } = inputs as { x: tf.TensorInfo; dy: tf.TensorInfo };
  const info = filterGradientInfo(x, attrs);
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(
      `wasm Conv2DBackpropFilter supports NHWC only, got ${String(attrs?.dataFormat)}.`,
    );
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const [, inHeight, inWidth] = x.shape as [number, number, number, number];
  const { top, left } = info.padInfo;
  // Extent of dy once dilated by the stride; pad bottom/right so exactly kh × kw
  // outputs come out, or crop when the input reaches further than the filter needs.
  const reachH = (info.outHeight - 1) * sh + 1;
  const reachW = (info.outWidth - 1) * sw + 1;
  const bottom = Math.max(0, kh - 1 + reachH - inHeight - top);
  const right = Math.max(0, kw - 1 + reachW - inWidth - left);

  return withScope(backend, (scope) => {
    const xByChannel = scope.transpose(x, [3, 1, 2, 0]);
    const dyAsFilter = scope.transpose(dy, [1, 2, 0, 3]);
    const grad = scope.run(
      'Conv2D',
      { x: xByChannel, filter: dyAsFilter },
      {
        strides: [1, 1],
        dilations: [sh, sw],
        pad: [
          [0, 0],
          [top, bottom],
          [left, right],
          [0, 0],
        ],
        dataFormat: 'NHWC',
      },
    );
    const cropped = scope.crop(grad, [0, 0, 0, 0], [info.inChannels, kh, kw, info.outChannels]);
    return scope.transpose(cropped, [1, 2, 0, 3]);
  });
}

export const conv2dBackpropFilterConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropFilter,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropFilter as unknown as tf.KernelFunc,
};
