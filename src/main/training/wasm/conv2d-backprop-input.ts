// The input gradient of a 2-D convolution (also the forward pass of a transposed
// convolution). tfjs's wasm backend has this kernel, but as a scalar C++ loop about ten
// times slower than its XNNPACK convolution, so this replaces it with convolutions.
//
// Stride s splits the gradient into s×s phases: the rows with (y + pad) ≡ r (mod s)
// only ever meet filter taps r, r + s, r + 2s, ... So each phase is a stride-1
// convolution of dy with that sub-filter, flipped and with in/out channels swapped.
// The phases are interleaved back (depth-to-space) and cropped to the input. Stride 1
// is a single phase: the familiar "full" convolution with the rotated filter. Work
// equals the direct method's; no zeros are inserted.
import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, type KernelScope, withScope } from './kernel-scope';

/** Taps r, r + s, r + 2s, ... of a filter of size k. */
function tapsOfPhase(k: number, s: number, r: number): number {
  return Math.max(0, Math.ceil((k - r) / s));
}

function conv2dBackpropInput({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, filter } = inputs as { dy: tf.TensorInfo; filter: tf.TensorInfo };
  const { strides, pad, dataFormat, dimRoundingMode, inputShape } =
    attrs as unknown as tf.Conv2DBackpropInputAttrs;
  const info = tf.backend_util.computeConv2DInfo(
    inputShape,
    filter.shape as [number, number, number, number],
    strides,
    1,
    pad,
    dimRoundingMode,
    false,
    tf.backend_util.convertConv2DDataFormat(dataFormat),
  );
  if (info.dataFormat !== 'channelsLast') {
    throw new Error(`wasm Conv2DBackpropInput supports NHWC only, got ${dataFormat}.`);
  }
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const [batch, inHeight, inWidth, inChannels] = inputShape;
  const [, outHeight, outWidth] = dy.shape as [number, number, number, number];
  const { top, left } = info.padInfo;

  // Phase grid rows q cover padded rows y' = q·s + r. Rows [top, top + H) are wanted;
  // every phase computes the same q range, starting low enough that no phase needs a
  // negative (unsupported) padding.
  const tapsH = Array.from({ length: sh }, (_, r) => tapsOfPhase(kh, sh, r));
  const tapsW = Array.from({ length: sw }, (_, r) => tapsOfPhase(kw, sw, r));
  const firstQ = (taps: number[], begin: number) =>
    Math.min(Math.floor(begin / taps.length), ...taps.filter((t) => t > 0).map((t) => t - 1));
  const q0H = firstQ(tapsH, top);
  const q0W = firstQ(tapsW, left);
  const padEndH = Math.max(0, Math.ceil((top + inHeight) / sh) - outHeight);
  const padEndW = Math.max(0, Math.ceil((left + inWidth) / sw) - outWidth);
  const rows = outHeight + padEndH - q0H;
  const cols = outWidth + padEndW - q0W;

  return withScope(backend, (scope) => {
    const phase = (rh: number, rw: number): tf.TensorInfo => {
      const th = tapsH[rh] as number;
      const tw = tapsW[rw] as number;
      if (th === 0 || tw === 0) return scope.zeros([batch, rows, cols, inChannels]);
      return scope.run(
        'Conv2D',
        { x: dy, filter: flippedSubFilter(scope, filter, rh, rw, sh, sw) },
        {
          strides: [1, 1],
          dilations: [1, 1],
          pad: [
            [0, 0],
            [th - 1 - q0H, padEndH],
            [tw - 1 - q0W, padEndW],
            [0, 0],
          ],
          dataFormat: 'NHWC',
        },
      );
    };

    const phases: tf.TensorInfo[] = [];
    for (let rh = 0; rh < sh; rh++) for (let rw = 0; rw < sw; rw++) phases.push(phase(rh, rw));
    const grid = scope.interleave(phases, sh, sw);
    return scope.crop(
      grid,
      [0, top - q0H * sh, left - q0W * sw, 0],
      [batch, inHeight, inWidth, inChannels],
    );
  });
}

/**
 * Taps (rh + sh·a, rw + sw·b) of a [kh, kw, in, out] filter, rotated 180° and with
 * in/out swapped, so that convolving dy with it correlates dy with the taps.
 */
function flippedSubFilter(
  scope: KernelScope,
  filter: tf.TensorInfo,
  rh: number,
  rw: number,
  sh: number,
  sw: number,
): tf.TensorInfo {
  const [kh, kw, inC, outC] = filter.shape as [number, number, number, number];
  const taps =
    sh === 1 && sw === 1
      ? filter
      : scope.run(
          'StridedSlice',
          { x: filter },
          {
            begin: [rh, rw, 0, 0],
            end: [kh, kw, inC, outC],
            strides: [sh, sw, 1, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
  // Rotating by 180° reverses the row-major tap order (the package's Reverse is slow).
  const [th, tw] = taps.shape as [number, number];
  const reversed = scope.reverseOuter(scope.reshape(taps, [th * tw, inC * outC]));
  return scope.transpose(scope.reshape(reversed, [th, tw, inC, outC]), [0, 1, 3, 2]);
}

export const conv2dBackpropInputConfig: tf.KernelConfig = {
  kernelName: tf.Conv2DBackpropInput,
  backendName: 'wasm',
  kernelFunc: conv2dBackpropInput as unknown as tf.KernelFunc,
};
