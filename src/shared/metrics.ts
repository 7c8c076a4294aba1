// Segmentation metrics on thresholded predictions, in plain JS over typed arrays so the
// evaluator, the comparison and the renderer's live threshold share one rule, without tfjs.
//
// Masks: any nonzero truth value is foreground (0/1 and 0/255 both work). Predictions:
// Float32Array probabilities, or Uint8Array holding round(p * 255); a pixel is predicted
// foreground when p >= threshold.
//
// Empty cases (so no metric is ever NaN): IoU and Dice are 1 when truth and prediction
// are both empty (nothing to find, nothing found). Precision is 1 when nothing is
// predicted and nothing is there, else 0 when nothing is predicted; recall mirrors it
// (1 when there is no foreground and none is predicted, else 0). Accuracy of zero pixels
// is 1.
import type { SegmentationMetrics } from './domain';

export interface Confusion {
  tp: number;
  fp: number;
  fn: number;
  tn: number;
}

export type Probabilities = Float32Array | Uint8Array;

export const DEFAULT_THRESHOLDS: readonly number[] = Array.from(
  { length: 19 },
  (_, i) => (i + 1) / 20,
);

export function confusion(truth: Uint8Array, prob: Probabilities, threshold = 0.5): Confusion {
  checkLengths(truth, prob);
  const positive = predicate(prob, threshold);
  let tp = 0;
  let fp = 0;
  let fn = 0;
  for (let i = 0; i < truth.length; i++) {
    const predicted = positive(prob[i] as number);
    if (truth[i] !== 0) {
      if (predicted) tp++;
      else fn++;
    } else if (predicted) fp++;
  }
  return { tp, fp, fn, tn: truth.length - tp - fp - fn };
}

export function addConfusion(a: Confusion, b: Confusion): Confusion {
  return { tp: a.tp + b.tp, fp: a.fp + b.fp, fn: a.fn + b.fn, tn: a.tn + b.tn };
}

/** Pools images by adding their counts: the split-level ("pooled") metrics. */
export function sumConfusions(list: readonly Confusion[]): Confusion {
  return list.reduce(addConfusion, { tp: 0, fp: 0, fn: 0, tn: 0 });
}

export function metricsFromConfusion(c: Confusion): SegmentationMetrics {
  const { tp, fp, fn, tn } = c;
  const total = tp + fp + fn + tn;
  return {
    iou: ratio(tp, tp + fp + fn),
    dice: ratio(2 * tp, 2 * tp + fp + fn),
    accuracy: ratio(tp + tn, total),
    precision: tp + fp === 0 ? (fn === 0 ? 1 : 0) : tp / (tp + fp),
    recall: tp + fn === 0 ? (fp === 0 ? 1 : 0) : tp / (tp + fn),
  };
}

/**
 * Pixels of one image by stored value round(p * 255), apart for truth foreground and
 * background: any threshold's confusion is then a sum over 256 values, so a map decoded
 * once can be scored at every threshold without its pixels.
 */
export interface ValueHistogram {
  foreground: Float64Array;
  background: Float64Array;
}

export function valueHistogram(truth: Uint8Array, prob: Uint8Array): ValueHistogram {
  checkLengths(truth, prob);
  const foreground = new Float64Array(256);
  const background = new Float64Array(256);
  for (let i = 0; i < truth.length; i++) {
    if (truth[i] !== 0) foreground[prob[i]!]!++;
    else background[prob[i]!]!++;
  }
  return { foreground, background };
}

/** Pools images like `sumConfusions` does, for every threshold at once. */
export function sumHistograms(list: readonly ValueHistogram[]): ValueHistogram {
  const sum = { foreground: new Float64Array(256), background: new Float64Array(256) };
  for (const h of list) {
    for (let u = 0; u < 256; u++) {
      sum.foreground[u]! += h.foreground[u]!;
      sum.background[u]! += h.background[u]!;
    }
  }
  return sum;
}

/** The same counts as `confusion` on the pixels the histogram was made from. */
export function histogramConfusion(histogram: ValueHistogram, threshold = 0.5): Confusion {
  const table = foregroundTable(threshold);
  const c: Confusion = { tp: 0, fp: 0, fn: 0, tn: 0 };
  for (let u = 0; u < 256; u++) {
    const fg = histogram.foreground[u]!;
    const bg = histogram.background[u]!;
    if (table[u] === 1) {
      c.tp += fg;
      c.fp += bg;
    } else {
      c.fn += fg;
      c.tn += bg;
    }
  }
  return c;
}

export interface SweepPoint {
  threshold: number;
  iou: number;
  dice: number;
}

function ratio(numerator: number, denominator: number): number {
  return denominator === 0 ? 1 : numerator / denominator;
}

/** Uint8 predictions go through a 256-entry table so the comparison matches p >= t exactly. */
function predicate(prob: Probabilities, threshold: number): (value: number) => boolean {
  if (prob instanceof Float32Array) return (value) => value >= threshold;
  const table = foregroundTable(threshold);
  return (value) => table[value] === 1;
}

function checkLengths(truth: Uint8Array, prob: Probabilities): void {
  if (truth.length !== prob.length) {
    throw new Error(`Metrics: mask has ${truth.length} pixels but prediction has ${prob.length}.`);
  }
}

/** For each stored byte round(p * 255): 1 when p >= threshold. */
export function foregroundTable(threshold: number): Uint8Array {
  const table = new Uint8Array(256);
  for (let u = 0; u < 256; u++) table[u] = u / 255 >= threshold ? 1 : 0;
  return table;
}
