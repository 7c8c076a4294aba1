// `jaccard evaluate --run <id|name> [--split test] [--threshold 0.5]`: a run's metrics per
// image and pooled, plus IoU over thresholds. The test split is scored from the stored
// predictions; validation and train are predicted afresh with the run's best weights.
import { ApiError } from '#shared/errors';
import { getRun, resolveRunId } from '../../store/runs';
import { evaluateRun } from '../../training/evaluate';
import type { SplitName } from '../../training/data';
import { printJson, UsageError, withContext, type Command } from '../command';
import { exitEvenIfHeld, table } from '../helpers';

const SPLITS: readonly SplitName[] = ['test', 'validation', 'train'];

export const evaluateCommand: Command = {
  usage: 'evaluate --run <id|name> [--split test|validation|train] [--threshold 0.5]',
  summary:
    "Score a run's predictions: IoU, Dice, accuracy, precision, recall per image and pooled.",
  options: {
    run: { type: 'string', description: 'the run to evaluate: its id or its name' },
    split: { type: 'string', description: 'test (default), validation or train' },
    threshold: {
      type: 'string',
      description: 'probability at which a pixel counts as foreground (default 0.5)',
    },
  },
  async run({ dataDir, json, values }) {
    const target = typeof values.run === 'string' ? values.run.trim() : '';
    if (!target || target === '0') {
      throw new UsageError('say which run to evaluate: --run <id|name>.');
    }
    const split = (values.split ?? 'test') as SplitName;
    if (!SPLITS.includes(split)) throw new UsageError(`--split: use ${SPLITS.join(', ')}.`);
    const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
    if (!(threshold >= 0 && threshold <= 1))
      throw new UsageError('--threshold: a number from 0 to 1.');

    const { run, evaluation } = await withContext(dataDir, async (ctx) => {
      const run = getRun(ctx.db, resolveRunId(ctx.db, target));
      return { run, evaluation: await evaluateRun(ctx.db, dataDir, run, split, threshold) };
    }).finally(exitEvenIfHeld);
    if (json) {
      printJson({ runId: run.id, split, ...evaluation });
      return;
    }
    if (!evaluation.pooled)
      throw new ApiError('invalid', `Run ${run.id} has no ${split} images to score.`);
    const f = (v: number) => v.toFixed(4);
    const rows = [
      ['IMAGE', 'IOU', 'DICE', 'ACCURACY', 'PRECISION', 'RECALL'],
      ...evaluation.images.map((m) => [
        m.stem,
        f(m.iou),
        f(m.dice),
        f(m.accuracy),
        f(m.precision),
        f(m.recall),
      ]),
    ];
    const p = evaluation.pooled;
    rows.push(['pooled', f(p.iou), f(p.dice), f(p.accuracy), f(p.precision), f(p.recall)]);
    const best = evaluation.sweep.reduce((a, b) => (b.iou > a.iou ? b : a));
    process.stdout.write(
      `Run ${run.id} "${run.name}", ${split} split (${evaluation.images.length} images), threshold ${threshold}\n` +
        table(rows) +
        `Best pooled IoU over thresholds: ${f(best.iou)} at ${best.threshold.toFixed(2)}\n`,
    );
  },
};
