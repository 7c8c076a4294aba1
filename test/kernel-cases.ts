// Inputs for checking a kernel against tfjs's reference cpu kernel: the error measure,
// random values, and calls of the convolution and pooling gradients on our models' layer
// shapes, odd shapes and random strides and paddings.
import * as tf from '@tensorflow/tfjs';
import { expect } from 'vitest';
import type { Rng } from '../src/main/training/random';
import { type KernelCall, runOn } from './kernel-calls';

export const TOLERANCE = 1e-4;

/** max |a − b| / max |b|: the error relative to the reference's scale. */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  expect(actual.length).toBe(expected.length);
  let diff = 0;
  let scale = 0;
  for (let i = 0; i < expected.length; i++) {
    diff = Math.max(diff, Math.abs((actual[i] as number) - (expected[i] as number)));
    scale = Math.max(scale, Math.abs(expected[i] as number));
  }
  // Every case has some non-zero output; an all-zero pair would pass vacuously.
  expect(scale, `${expected.length} values`).toBeGreaterThan(0);
  return diff / scale;
}

export const int = (rng: Rng, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));
export const values = (rng: Rng, n: number) =>
  Float32Array.from({ length: n }, () => rng() * 2 - 1);

export interface ConvCase {
  x: [number, number, number, number];
  filter: [number, number, number, number];
  strides: [number, number];
  pad: 'same' | 'valid' | number | [[0, 0], [number, number], [number, number], [0, 0]];
  dimRoundingMode?: 'floor' | 'round' | 'ceil';
}

export function randomCase(rng: Rng): ConvCase {
  const kh = int(rng, 1, 5);
  const kw = int(rng, 1, 5);
  const strides: [number, number] = [int(rng, 1, 3), int(rng, 1, 3)];
  const x: ConvCase['x'] = [int(rng, 1, 3), int(rng, kh, 14), int(rng, kw, 14), int(rng, 1, 6)];
  const filter: ConvCase['filter'] = [kh, kw, x[3], int(rng, 1, 6)];
  const kind = int(rng, 0, 3);
  if (kind === 0) return { x, filter, strides, pad: 'same' };
  if (kind === 1) return { x, filter, strides, pad: 'valid' };
  if (kind === 2) {
    // Explicit numeric padding; pooling asks for less than half the window.
    const p = int(rng, 0, Math.floor((Math.min(kh, kw) - 1) / 2));
    return { x, filter, strides, pad: p, dimRoundingMode: 'floor' };
  }
  const [top, bottom] = [int(rng, 0, kh - 1), int(rng, 0, kh - 1)];
  const [left, right] = [int(rng, 0, kw - 1), int(rng, 0, kw - 1)];
  return {
    x,
    filter,
    strides,
    pad: [
      [0, 0],
      [top, bottom],
      [left, right],
      [0, 0],
    ],
  };
}

/** The U-Net's and Tiramisu's own layers, plus the odd ones the random cases may miss. */
export const FIXED_CASES: ConvCase[] = [
  { x: [2, 16, 16, 8], filter: [3, 3, 8, 4], strides: [1, 1], pad: 'same' },
  { x: [2, 16, 16, 4], filter: [2, 2, 4, 8], strides: [2, 2], pad: 'same' },
  { x: [2, 16, 16, 4], filter: [3, 3, 4, 8], strides: [2, 2], pad: 'same' },
  { x: [2, 15, 13, 3], filter: [2, 2, 3, 3], strides: [2, 2], pad: 'valid' },
  { x: [1, 9, 9, 3], filter: [1, 1, 3, 2], strides: [3, 3], pad: 'valid' },
  { x: [1, 11, 10, 2], filter: [5, 2, 2, 3], strides: [3, 2], pad: 'valid' },
];

export const size = (shape: number[]) => shape.reduce((a, b) => a * b, 1);
export const data = (shape: number[], rng: Rng) => ({ shape, values: values(rng, size(shape)) });

/** Inputs and attributes of one call of a convolution or pooling gradient for `c`. */
async function convCall(kernel: string, c: ConvCase, rng: Rng): Promise<KernelCall> {
  const common = {
    strides: c.strides,
    pad: c.pad,
    dataFormat: 'NHWC',
    dimRoundingMode: c.dimRoundingMode,
    // Explicit paddings are nested arrays, which NamedAttrMap's Attribute type leaves out.
  } as unknown as tf.NamedAttrMap;
  if (kernel === tf.MaxPoolGrad) {
    const pool = { ...common, filterSize: [c.filter[0], c.filter[1]] as [number, number] };
    // Coarse values: windows with ties and with only negative values are common.
    const x = { shape: c.x, values: values(rng, size(c.x)).map((v) => Math.round(v * 3) / 3) };
    const output = await runOn('cpu', { kernel: tf.MaxPool, inputs: { x }, attrs: pool });
    const pooled = { shape: output.shapes[0] as number[], values: output.data };
    return {
      kernel,
      inputs: { dy: data(pooled.shape, rng), input: x, output: pooled },
      attrs: pool,
    };
  }
  const dy = data(
    tf.backend_util.computeConv2DInfo(c.x, c.filter, c.strides, 1, c.pad, c.dimRoundingMode)
      .outShape,
    rng,
  );
  if (kernel === tf.Conv2DBackpropFilter) {
    return {
      kernel,
      inputs: { x: data(c.x, rng), dy },
      attrs: { ...common, filterShape: c.filter },
    };
  }
  return {
    kernel,
    inputs: { dy, filter: data(c.filter, rng) },
    attrs: { ...common, inputShape: c.x },
  };
}

/** Calls of `kernel` on the fixed cases, then on 40 random ones. */
export function convCalls(kernel: string, rng: Rng): Promise<KernelCall>[] {
  const cases = [...FIXED_CASES, ...Array.from({ length: 40 }, () => randomCase(rng))];
  // Layers with no output at all (window larger than the padded input) have nothing to test.
  const outputs = (c: ConvCase) =>
    size(
      tf.backend_util.computePool2DInfo(
        c.x,
        [c.filter[0], c.filter[1]],
        c.strides,
        1,
        c.pad,
        c.dimRoundingMode,
      ).outShape,
    );
  return cases.filter((c) => outputs(c) > 0).map((c) => convCall(kernel, c, rng));
}
