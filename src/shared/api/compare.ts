// Comparing runs: which configuration segments better, by how much, and how sure we can
// be. Runs that share every setting but the seed form an "arm"; tests compare arms,
// paired by test image and by seed.
import { z } from 'zod';
import type { EpochMetrics, Run, SegmentationMetrics, TrainConfig } from '../domain';
import { call } from './contract';

const id = z.number().int().positive();
const runIds = z
  .array(id)
  .min(2, 'Pick at least two runs to compare.')
  .max(100)
  .refine((ids) => new Set(ids).size === ids.length, 'A run is listed twice.');
/** A probability at or above it counts as foreground. */
const threshold = z.number().min(0).max(1).default(0.5);

export type MetricName = keyof SegmentationMetrics;
export const METRIC_NAMES: readonly MetricName[] = [
  'iou',
  'dice',
  'accuracy',
  'precision',
  'recall',
];
export const METRIC_LABELS: Record<MetricName, string> = {
  iou: 'IoU',
  dice: 'Dice',
  accuracy: 'Accuracy',
  precision: 'Precision',
  recall: 'Recall',
};

export interface MeanSd {
  mean: number;
  /** Sample standard deviation; null with fewer than two values. */
  sd: number | null;
  n: number;
}

export interface ComparedRun {
  run: Run;
  /** Short and unique within the comparison, e.g. "iou · seed 2". */
  label: string;
  /** Index into ComparisonResult.arms. */
  arm: number;
  /** Pooled over the test images at the comparison's threshold. */
  metrics: SegmentationMetrics;
  epochs: EpochMetrics[];
}

export interface ComparisonArm {
  label: string;
  /** The settings that set this arm apart from the others (empty with a single arm). */
  config: Partial<TrainConfig>;
  runIds: number[];
  seeds: number[];
  /** Mean ± sd over the arm's runs (seeds) of each run's pooled metric. */
  metrics: Record<MetricName, MeanSd>;
}

export interface ComparisonImage {
  imageId: number;
  stem: string;
  /** Foreground fraction of the image's current mask; null when it has none. */
  foreground: number | null;
  /** IoU of each run, aligned with ComparisonResult.runs. */
  iou: number[];
  /** Mean IoU over each arm's runs, aligned with ComparisonResult.arms. */
  armIou: number[];
}

export interface TestResult {
  /** Name of the statistic as reported, e.g. "t(9)" or "V". */
  statisticLabel: string;
  statistic: number;
  pValue: number;
  /** "Cohen's d_z" for the t-test, "rank-biserial r" for Wilcoxon. */
  effectSizeLabel: string;
  effectSize: number;
  /** Pairs the test used (Wilcoxon drops pairs with no difference). */
  n: number;
  /** How the p-value was obtained, e.g. "exact" or "normal approximation". */
  method: string;
  /**
   * Holm-adjusted p-value over the family of `tests` tests it was reported with (an
   * experiment report adjusts all of its tests together); absent where no family is set.
   */
  holm?: { pValue: number; tests: number };
}

export type TestOutcome = ({ testable: true } & TestResult) | { testable: false; reason: string };

/** Two arms measured on the same pairs (test images, or seeds run under both). */
export interface PairedSample {
  n: number;
  /** Means of A and B and of A − B; null when there are no pairs. */
  meanA: number | null;
  meanB: number | null;
  meanDifference: number | null;
  /** 95% t-interval of the mean difference; null with fewer than two pairs. */
  ci95: [number, number] | null;
  tTest: TestOutcome;
  wilcoxon: TestOutcome;
}

export interface Disagreement {
  imageId: number;
  stem: string;
  /** Arm-mean IoU of A and B on this image, and A − B. */
  a: number;
  b: number;
  difference: number;
}

export interface ArmComparison {
  /** Indices into ComparisonResult.arms; differences are A − B. */
  a: number;
  b: number;
  /** Per-image IoU, each arm averaged over its seeds. */
  acrossImages: PairedSample;
  /** Pooled test IoU of the runs with matching seeds. */
  acrossSeeds: PairedSample;
  /** Every common test image, largest |A − B| first. */
  disagreements: Disagreement[];
}

export interface ComparisonResult {
  threshold: number;
  runs: ComparedRun[];
  arms: ComparisonArm[];
  /** Test images every run was evaluated on, by stem. */
  images: ComparisonImage[];
  /** One entry per pair of arms, in arm order. */
  tests: ArmComparison[];
  /** Caveats a reader must see, e.g. images left out because a run lacks them. */
  notes: string[];
  computedAt: string;
}

export interface SavedComparison {
  id: number;
  name: string;
  runIds: number[];
  threshold: number;
  createdAt: string;
}

export interface SavedComparisonDetail extends SavedComparison {
  /** As computed when saved; compare.compute gives a fresh one. */
  result: ComparisonResult;
}

export interface ComparisonReport {
  filename: string;
  content: string;
}

export const compareCalls = {
  'compare.compute': call<ComparisonResult>()(z.object({ runIds, threshold })),
  'compare.save': call<SavedComparison>()(
    z.object({ name: z.string().trim().min(1).max(120), runIds, threshold }),
  ),
  'compare.list': call<SavedComparison[]>()(z.object({})),
  'compare.get': call<SavedComparisonDetail>()(z.object({ id })),
  'compare.delete': call<void>()(z.object({ id })),
  /** A self-contained HTML report (figures inline) or the metrics table as CSV. */
  'compare.report': call<ComparisonReport>()(
    z.object({ runIds, threshold, format: z.enum(['html', 'csv']) }),
  ),
};
