// The gradient of max pooling. tfjs-backend-wasm 4.22 has this kernel but it is wrong:
// it seeds its running maximum with std::numeric_limits<float>::min() (the smallest
// positive float, not the lowest), so a window whose values are all <= 0 sends its
// gradient to element 0 of the tensor instead of to its maximum, and ties go to the
// last maximum where TensorFlow picks the first. Harmless after a ReLU (the ReLU's own
// gradient is zero there), wrong after a linear layer, as in Tiramisu's transitions.
//
// Rebuilt from native kernels on [n, ho, wo, c] tensors, one per window tap (ki, kj):
// the first tap equal to the pooled maximum takes dy. When windows tile the input (the
// 2x2/2 pools of our models) the taps are the input's interleaved phases, and the
// shares go back by interleaving them again: a few transposes. Overlapping or gapped
// windows take strided slices and shifted sums instead, which are slower.
import * as tf from '@tensorflow/tfjs';
import { type KernelArgs, type KernelScope, withScope } from './kernel-scope';

function maxPoolGrad({ inputs, attrs, backend }: KernelArgs): tf.TensorInfo {
  const { dy, input: x, output: y } = inputs as Record<'dy' | 'input' | 'output', tf.TensorInfo>;
  const { filterSize, strides, pad, dimRoundingMode } = attrs as unknown as tf.MaxPoolGradAttrs;
  const [batch, height, width, channels] = x.shape as [number, number, number, number];
  const info = tf.backend_util.computePool2DInfo(
    [batch, height, width, channels],
    filterSize,
    strides,
    1,
    pad,
    dimRoundingMode,
  );
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo } = info;
  const { top, left } = info.padInfo;

  return withScope(backend, (scope) => {
    const tiles = sh === kh && sw === kw;
    const taps = tiles
      ? tilingTaps(scope, x, top, left, ho * kh, wo * kw, kh, kw)
      : stridedTaps(scope, x, info);

    // The first tap (row-major) equal to the window's maximum takes dy. With
    // below_t = step(max − tap_t) (1 where the tap is not the maximum) and
    // rest_t = dy · below_0 ⋯ below_(t−1) (dy not yet taken), tap t takes
    // rest_t − rest_(t+1), and the last tap whatever is left. All cheap XNNPACK ops.
    const shares: tf.TensorInfo[] = [];
    let rest = dy;
    taps.forEach((tap, t) => {
      if (t === taps.length - 1) {
        shares.push(rest);
        return;
      }
      const below = scope.run('Step', { x: scope.run('Sub', { a: y, b: tap }) }, { alpha: 0 });
      const next = scope.run('Multiply', { a: rest, b: below });
      shares.push(scope.run('Sub', { a: rest, b: next }));
      rest = next;
    });

    let grid: tf.TensorInfo;
    if (tiles) {
      grid = scope.interleave(shares, sh, sw);
    } else {
      const zeros = scope.zeros([batch, ho, wo, channels]);
      const blanks = Array.from({ length: sh * sw - 1 }, () => zeros);
      const shifted = shares.map((share, t) => {
        const spread = scope.interleave([share, ...blanks], sh, sw);
        const ki = Math.floor(t / kw);
        const kj = t % kw;
        return padTo(scope, spread, ki, kj, kh - 1 + ho * sh, kw - 1 + wo * sw, 0);
      });
      grid = shifted.length === 1 ? (shifted[0] as tf.TensorInfo) : scope.run('AddN', shifted);
    }
    const fitted = padTo(scope, grid, 0, 0, top + height, left + width, 0);
    return scope.crop(fitted, [0, top, left, 0], [batch, height, width, channels]);
  });
}

/** Window taps when windows tile the (padded) input: its sh·sw interleaved phases. */
function tilingTaps(
  scope: KernelScope,
  x: tf.TensorInfo,
  top: number,
  left: number,
  height: number,
  width: number,
  kh: number,
  kw: number,
): tf.TensorInfo[] {
  // Padding never wins: -inf. Rows past the last window belong to none: cropped.
  const padded = padTo(scope, x, top, left, height, width, -Infinity);
  const [batch, , , channels] = x.shape as [number, number, number, number];
  const exact = scope.crop(padded, [0, 0, 0, 0], [batch, height, width, channels]);
  return scope.deinterleave(exact, kh, kw);
}

/** Window taps in general: one strided slice per tap (the backend's slow path; rare). */
function stridedTaps(
  scope: KernelScope,
  x: tf.TensorInfo,
  info: tf.backend_util.Conv2DInfo,
): tf.TensorInfo[] {
  const { filterHeight: kh, filterWidth: kw, strideHeight: sh, strideWidth: sw } = info;
  const { outHeight: ho, outWidth: wo, batchSize, inChannels } = info;
  const padded = padTo(
    scope,
    x,
    info.padInfo.top,
    info.padInfo.left,
    (ho - 1) * sh + kh,
    (wo - 1) * sw + kw,
    -Infinity,
  );
  const taps: tf.TensorInfo[] = [];
  for (let ki = 0; ki < kh; ki++) {
    for (let kj = 0; kj < kw; kj++) {
      taps.push(
        scope.run(
          'StridedSlice',
          { x: padded },
          {
            begin: [0, ki, kj, 0],
            end: [batchSize, ki + (ho - 1) * sh + 1, kj + (wo - 1) * sw + 1, inChannels],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        ),
      );
    }
  }
  return taps;
}

/** Pads `x` with `value` by (top, left), and at the end to at least minH × minW. */
function padTo(
  scope: KernelScope,
  x: tf.TensorInfo,
  top: number,
  left: number,
  minH: number,
  minW: number,
  value: number,
): tf.TensorInfo {
  const [, h, w] = x.shape as [number, number, number, number];
  const bottom = Math.max(0, minH - top - h);
  const right = Math.max(0, minW - left - w);
  if (top === 0 && left === 0 && bottom === 0 && right === 0) return x;
  return scope.run(
    'PadV2',
    { x },
    {
      paddings: [
        [0, 0],
        [top, bottom],
        [left, right],
        [0, 0],
      ],
      constantValue: value,
    },
  );
}

export const maxPoolGradConfig: tf.KernelConfig = {
  kernelName: tf.MaxPoolGrad,
  backendName: 'wasm',
  kernelFunc: maxPoolGrad as unknown as tf.KernelFunc,
};
