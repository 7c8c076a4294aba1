// Segmentation losses, each a pure function of (yTrue, logits) -> scalar. yTrue holds
// 0/1 (float) masks shaped like the logits [batch, height, width, 1]; probabilities are
// sigmoid(logits). Formulas, references and the empty-mask conventions: docs/losses.md.
//
// Empty masks: the ratio losses (soft IoU, Jaccard distance, Dice, Tversky) add EPSILON
// to numerator and denominator, so an empty truth with an empty prediction scores loss 0,
// an empty truth with any predicted mass scores ~1, and nothing ever divides by zero.
// EPSILON is far below one pixel, so on non-empty masks they equal the published formulas
// to float precision. BCE, focal and Lovász hinge are defined for empty masks as they stand.
import * as tf from '@tensorflow/tfjs';
import { LOSS_DEFAULTS, type lossOptionsSchema } from '#shared/api/runs';
import type { z } from 'zod';
import type { LossId } from '#shared/ids';

export type LossFn = (yTrue: tf.Tensor4D, logits: tf.Tensor4D) => tf.Scalar;

export interface LossOptions {
  /** Ratio and Lovász losses: compute per image and average, instead of over the batch. */
  perImage?: boolean;
}

/** What a run's config may set (lossOptions): each loss takes its own. */
export type LossSettings = z.output<typeof lossOptionsSchema>;

export const EPSILON = 1e-6;

export function getLoss(id: LossId, settings: LossSettings = {}): LossFn {
  const options: LossOptions = { perImage: settings.perImage };
  switch (id) {
    case 'iou':
      return (y, logits) => softIou(y, logits, options);
    case 'jaccard':
      return (y, logits) => jaccardDistance(y, logits, options);
    case 'bce':
      return (y, logits) => bce(y, logits);
    case 'dice':
      return (y, logits) => dice(y, logits, options);
    case 'lovasz':
      return (y, logits) => lovaszHinge(y, logits, options);
    case 'focal':
      return (y, logits) =>
        focal(y, logits, { gamma: settings.focalGamma, alpha: settings.focalAlpha });
    case 'tversky':
      return (y, logits) =>
        tversky(y, logits, {
          ...options,
          alpha: settings.tverskyAlpha,
          beta: settings.tverskyBeta,
        });
    case 'iou+bce':
      return (y, logits) => iouBce(y, logits, options);
  }
}

/** Rahman & Wang 2016: 1 − Σ y·p / Σ (y + p − y·p). */
export function softIou(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions = {},
): tf.Scalar {
  return ratioLoss(yTrue, logits, options, (y, p, sum) => {
    const yp = tf.mul(y, p);
    return [sum(yp), sum(tf.sub(tf.add(y, p), yp))];
  });
}

/**
 * Yuan, Chao & Lo 2017: 1 − Σ y·p / (Σ y² + Σ p² − Σ y·p). The squares make it differ
 * from Rahman & Wang's soft IoU wherever p is strictly between 0 and 1 (y² = y on 0/1
 * masks, but p² < p), so the two are distinct losses with the same value at p ∈ {0, 1}.
 */
export function jaccardDistance(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions = {},
): tf.Scalar {
  return ratioLoss(yTrue, logits, options, (y, p, sum) => {
    const intersection = sum(tf.mul(y, p));
    const squares = tf.add(sum(tf.square(y)), sum(tf.square(p)));
    return [intersection, tf.sub(squares, intersection)];
  });
}

/** Mean over pixels of −[y·log p + (1 − y)·log(1 − p)], as softplus(x) − x·y. */
export function bce(yTrue: tf.Tensor4D, logits: tf.Tensor4D): tf.Scalar {
  checkShapes(yTrue, logits);
  return tf.tidy(() => tf.mean(crossEntropy(yTrue, logits)) as tf.Scalar);
}

/** Soft Dice (Milletari et al. 2016, without squares): 1 − 2 Σ y·p / (Σ y + Σ p). */
export function dice(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions = {},
): tf.Scalar {
  return ratioLoss(yTrue, logits, options, (y, p, sum) => [
    tf.mul(sum(tf.mul(y, p)), 2),
    tf.add(sum(y), sum(p)),
  ]);
}

export interface TverskyOptions extends LossOptions {
  /** Weight of false positives. */
  alpha?: number;
  /** Weight of false negatives. */
  beta?: number;
}

/**
 * Tversky (Salehi et al. 2017): 1 − TP / (TP + α·FP + β·FN) on soft counts. The default
 * α = 0.3, β = 0.7 is the paper's best setting: missed foreground costs more than extra
 * foreground, which favours recall on small structures.
 */
export function tversky(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: TverskyOptions = {},
): tf.Scalar {
  const { alpha = LOSS_DEFAULTS.tverskyAlpha, beta = LOSS_DEFAULTS.tverskyBeta } = options;
  return ratioLoss(yTrue, logits, options, (y, p, sum) => {
    const tp = sum(tf.mul(y, p));
    const fp = sum(tf.mul(tf.sub(1, y), p));
    const fn = sum(tf.mul(y, tf.sub(1, p)));
    return [tp, tf.add(tp, tf.add(tf.mul(fp, alpha), tf.mul(fn, beta)))];
  });
}

export interface FocalOptions {
  gamma?: number;
  /** Weight of the foreground class; background gets 1 − alpha. */
  alpha?: number;
}

/**
 * Focal loss (Lin et al. 2017): mean of −α_t (1 − p_t)^γ log p_t. The defaults γ = 2,
 * α = 0.25 are the paper's; note α weights foreground *down*, as published.
 */
export function focal(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: FocalOptions = {},
): tf.Scalar {
  checkShapes(yTrue, logits);
  const { gamma = LOSS_DEFAULTS.focalGamma, alpha = LOSS_DEFAULTS.focalAlpha } = options;
  return tf.tidy(() => {
    const p = tf.sigmoid(logits);
    const background = tf.sub(1, yTrue);
    const miss = tf.add(tf.mul(yTrue, tf.sub(1, p)), tf.mul(background, p)); // 1 − p_t
    const alphaT = tf.add(tf.mul(yTrue, alpha), tf.mul(background, 1 - alpha));
    const weight = tf.mul(alphaT, tf.pow(miss, gamma));
    return tf.mean(tf.mul(weight, crossEntropy(yTrue, logits))) as tf.Scalar;
  });
}

/** Soft IoU + BCE, both with weight 1. */
export function iouBce(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions = {},
): tf.Scalar {
  return tf.tidy(() => tf.add(softIou(yTrue, logits, options), bce(yTrue, logits)) as tf.Scalar);
}

/**
 * Binary Lovász hinge (Berman, Rannen Triki & Blaschko 2018): the Lovász extension of the
 * Jaccard loss applied to hinge errors 1 − x·(2y − 1), over the whole batch as one image
 * (default) or per image and averaged. The extension is piecewise linear, so within the
 * current sort order its gradient is the constant weight vector `w` (the discrete
 * Jaccard gradient, scattered back to pixel order); a custom gradient uses it directly
 * instead of differentiating through the sort, which tfjs cannot.
 */
export function lovaszHinge(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions = {},
): tf.Scalar {
  checkShapes(yTrue, logits);
  const rows = options.perImage ? yTrue.shape[0] : 1;
  return tf.tidy(() => {
    const labels = tf.reshape(yTrue, [rows, -1]) as tf.Tensor2D;
    const loss = tf.customGrad((...args: (tf.Tensor | tf.GradSaveFunc)[]) => {
      const [x, save] = args as [tf.Tensor, tf.GradSaveFunc];
      const signs = tf.sub(tf.mul(labels, 2), 1);
      const errors = tf.sub(1, tf.mul(x, signs));
      const weights = lovaszWeights(labels, errors as tf.Tensor2D);
      const active = tf.mul(tf.step(errors), weights);
      save([active, signs]);
      return {
        value: tf.div(tf.sum(tf.mul(tf.relu(errors), weights)), rows),
        gradFunc: (dy: tf.Tensor, saved: tf.Tensor[]) => {
          const [activeSaved, signsSaved] = saved as [tf.Tensor, tf.Tensor];
          return tf.mul(tf.mul(activeSaved, tf.neg(signsSaved)), tf.div(dy, rows));
        },
      };
    });
    return loss(tf.reshape(logits, [rows, -1])) as tf.Scalar;
  });
}

/**
 * Per pixel, the Jaccard-loss increment that pixel's error receives when errors are
 * sorted in decreasing order (Berman et al., Alg. 1), in the original pixel order.
 */
function lovaszWeights(labels: tf.Tensor2D, errors: tf.Tensor2D): tf.Tensor2D {
  const [rows, n] = errors.shape;
  const order = tf.topk(errors, n, true).indices;
  const flatOrder = tf.add(order, tf.reshape(tf.range(0, rows * n, n, 'int32'), [rows, 1]));
  const sorted = tf.gather(labels.flatten(), flatOrder);
  const gts = tf.sum(sorted, 1, true);
  const intersection = tf.sub(gts, tf.cumsum(sorted, 1));
  const union = tf.add(gts, tf.cumsum(tf.sub(1, sorted), 1)); // >= 1 at every position
  const jaccard = tf.sub(1, tf.div(intersection, union));
  const previous = tf.pad(tf.slice(jaccard, [0, 0], [rows, n - 1]), [
    [0, 0],
    [1, 0],
  ]);
  const increments = tf.sub(jaccard, previous);
  return tf.reshape(
    tf.scatterND(tf.reshape(flatOrder, [-1, 1]), tf.reshape(increments, [-1]), [rows * n]),
    [rows, n],
  );
}

/** Per-pixel −log p_t from logits; softplus is stable and its gradient is exactly sigmoid. */
function crossEntropy(yTrue: tf.Tensor, logits: tf.Tensor): tf.Tensor {
  return tf.sub(tf.softplus(logits), tf.mul(logits, yTrue));
}

/** Sums over pixels: one value per image, or one for the batch. */
function total(x: tf.Tensor, options: LossOptions): tf.Tensor1D {
  return options.perImage ? tf.sum(x, [1, 2, 3]) : tf.reshape(tf.sum(x), [1]);
}

/**
 * The ratio losses (soft IoU, Jaccard distance, Dice, Tversky): 1 − mean of
 * (numerator + ε) / (denominator + ε), each a sum of soft counts of y and p = sigmoid(x)
 * over one image or the whole batch (`sum`).
 */
function ratioLoss(
  yTrue: tf.Tensor4D,
  logits: tf.Tensor4D,
  options: LossOptions,
  ratio: (y: tf.Tensor, p: tf.Tensor, sum: (x: tf.Tensor) => tf.Tensor1D) => [tf.Tensor, tf.Tensor],
): tf.Scalar {
  checkShapes(yTrue, logits);
  return tf.tidy(() => {
    const [numerator, denominator] = ratio(yTrue, tf.sigmoid(logits), (x) => total(x, options));
    return tf.sub(1, tf.mean(tf.div(tf.add(numerator, EPSILON), tf.add(denominator, EPSILON))));
  });
}

function checkShapes(yTrue: tf.Tensor, logits: tf.Tensor): void {
  tf.util.assertShapesMatch(yTrue.shape, logits.shape, 'Loss: masks and logits differ in shape.');
}
