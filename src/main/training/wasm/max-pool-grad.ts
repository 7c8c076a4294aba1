// The gradient of max pooling. tfjs-backend-wasm 4.22 has this kernel but it is wrong:
// it seeds its running maximum with std::numeric_limits<float>::min() (the smallest
// positive float, not the lowest), so a window whose values are all <= 0 sends its
// gradient to element 0 of the tensor instead of to its maximum, and ties go to the
// last maximum where TensorFlow picks the first. Harmless after a ReLU (the ReLU's own
// gradient is zero there), wrong after a linear layer, as in Tiramisu's transitions.
//
// Rebuilt from native kernels: each window tap (ki, kj) is a strided slice of x; the
// first tap equal to the pooled maximum wins (masks on [n, ho, wo, c]); each tap's share
// of dy goes back to its positions by interleaving the taps when windows tile the
// input (the 2x2/2 pools of our models), or tap by tap with a shift when they overlap
// or leave gaps.
import * as tf from '@tensorflow/tfjs';
import { type KernelScope, withScope } from './kernel-scope';

function maxPoolGrad({
  inputs,
  attrs,
  backend,
}: {
  inputs: tf.NamedTensorInfoMap;
  attrs?: tf.NamedAttrMap;
  backend: tf.KernelBackend;
}): tf.TensorInfo {
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
    // Padding never wins: pad with -inf up to the last window's far edge.
    const reachH = (ho - 1) * sh + kh;
    const reachW = (wo - 1) * sw + kw;
    const padded = padTo(scope, x, top, left, reachH, reachW, -Infinity);

    const shares: tf.TensorInfo[] = [];
    let claimed: tf.TensorInfo | undefined;
    for (let ki = 0; ki < kh; ki++) {
      for (let kj = 0; kj < kw; kj++) {
        const tap = scope.run(
          'StridedSlice',
          { x: padded },
          {
            begin: [0, ki, kj, 0],
            end: [batch, ki + (ho - 1) * sh + 1, kj + (wo - 1) * sw + 1, channels],
            strides: [1, sh, sw, 1],
            beginMask: 0,
            endMask: 0,
            ellipsisMask: 0,
            newAxisMask: 0,
            shrinkAxisMask: 0,
          },
        );
        const isMax = scope.run('Equal', { a: tap, b: y });
        const wins = claimed
          ? scope.run('LogicalAnd', { a: isMax, b: scope.run('LogicalNot', { x: claimed }) })
          : isMax;
        claimed = claimed ? scope.run('LogicalOr', { a: claimed, b: isMax }) : isMax;
        const mask = scope.run('Cast', { x: wins }, { dtype: 'float32' });
        shares.push(scope.run('Multiply', { a: mask, b: dy }));
      }
    }

    let grid: tf.TensorInfo;
    if (sh === kh && sw === kw) {
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
