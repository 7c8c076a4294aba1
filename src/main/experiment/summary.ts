// What an experiment found, per dataset x model (x number of labelled images, with that
// axis): pooled test IoU per loss over seeds,
// and the paper's question, IoU loss against BCE, as paired tests across seeds and test
// images (the Compare view's statistics, compare/compute.ts). Every test of every group
// is one family, Holm-adjusted together (compare/holm.ts).
import type { ComparisonResult, TestOutcome } from '#shared/api/compare';
import {
  labelledLevels,
  type ExperimentCell,
  type ExperimentDetail,
  type GroupSummary,
} from '#shared/api/experiments';
import { hasTrainingMask, type Run } from '#shared/domain';
import type { LossId } from '#shared/ids';
import type { DataContext } from '../context';
import { computeComparison } from '../compare/compute';
import { adjustFamily } from '../compare/holm';
import { mean, meanSd } from '../compare/descriptive';
import { listStoredImages } from '../store/images';
import { getExperimentRecord, type ExperimentRecord } from '../store/experiments';
import { describeExperiment, experimentCells } from './cells';

export interface Group {
  summary: GroupSummary;
  /** All finished runs of the group compared (null with fewer than two). */
  comparison: ComparisonResult | null;
}

/** IoU loss first and BCE second: arms follow run order, so the first test is theirs. */
function lossOrder(losses: readonly LossId[]): LossId[] {
  const first: LossId[] = ['iou', 'bce'];
  return [...first.filter((l) => losses.includes(l)), ...losses.filter((l) => !first.includes(l))];
}

/** Every test the groups' comparisons ran (or found untestable), in report order. */
export function familyOf(groups: readonly Group[]): TestOutcome[] {
  return groups.flatMap(({ comparison }) =>
    (comparison?.tests ?? []).flatMap(({ acrossImages, acrossSeeds }) => [
      acrossImages.tTest,
      acrossImages.wilcoxon,
      acrossSeeds.tTest,
      acrossSeeds.wilcoxon,
    ]),
  );
}

/** The groups, their tests Holm-adjusted as one family (the summary shares the objects). */
export async function summarizeGroups(
  ctx: DataContext,
  record: ExperimentRecord,
  cells: readonly ExperimentCell[],
): Promise<Group[]> {
  const groups: Group[] = [];
  const losses = lossOrder(record.grid.losses);
  for (const dataset of record.grid.datasets) {
    const foreground = testForeground(ctx, dataset.id);
    for (const labelled of labelledLevels(record.grid, dataset)) {
      for (const model of record.grid.models) {
        const finished = (loss: LossId): Run[] =>
          cells
            .filter(
              (c) =>
                c.datasetId === dataset.id &&
                c.labelled === labelled &&
                c.model === model &&
                c.loss === loss,
            )
            .flatMap((c) => (c.run?.status === 'finished' && c.run.test ? [c.run] : []))
            .sort((a, b) => a.config.seed - b.config.seed);
        const runs = losses.flatMap(finished);
        const comparison =
          runs.length >= 2
            ? await computeComparison(
                ctx,
                runs.map((r) => r.id),
              )
            : null;
        groups.push({
          summary: {
            datasetId: dataset.id,
            datasetName: dataset.name,
            model,
            labelled: record.grid.labelledCounts
              ? (labelled ?? dataset.labelledImages ?? null)
              : null,
            foreground,
            losses: record.grid.losses.map((loss) => {
              const scores = finished(loss).map((r) => r.test!.iou);
              return { loss, iou: scores.length ? meanSd(scores) : null };
            }),
            iouVsBce: comparison && iouVsBce(comparison),
            runIds: runs.map((r) => r.id),
          },
          comparison,
        });
      }
    }
  }
  adjustFamily(familyOf(groups));
  return groups;
}

function iouVsBce(result: ComparisonResult): GroupSummary['iouVsBce'] {
  const iou = result.arms.findIndex((a) => a.config.loss === 'iou');
  const bce = result.arms.findIndex((a) => a.config.loss === 'bce');
  const test = result.tests.find((t) => t.a === iou && t.b === bce);
  return test ? { acrossSeeds: test.acrossSeeds, acrossImages: test.acrossImages } : null;
}

/**
 * Mean foreground fraction of the test masks (of all masks when no image is stored as
 * test) that runs score against: not untouched pre-labels, not excluded images. The x of
 * the sparsity figure.
 */
function testForeground(ctx: DataContext, datasetId: number): number | null {
  const masked = listStoredImages(ctx.db, datasetId).filter(hasTrainingMask);
  const test = masked.filter((i) => i.split === 'test');
  return mean((test.length ? test : masked).map((i) => i.mask!.foreground));
}

export async function experimentDetail(ctx: DataContext, id: number): Promise<ExperimentDetail> {
  const record = getExperimentRecord(ctx.db, id);
  const cells = experimentCells(ctx.db, record);
  const groups = await summarizeGroups(ctx, record, cells);
  return {
    ...describeExperiment(ctx.db, record, cells),
    cells,
    summary: groups.map((g) => g.summary),
  };
}
