// `jaccard prelabel --run <id> --dataset <d>`: the Datasets view's "Pre-label images that
// need a mask", headless: a finished run's masks, stored as pre-labels to accept or correct.
import { duration } from '#shared/format';
import { prelabelDataset } from '../../predict/prelabel';
import { resolveRunId } from '../../store/runs';
import { resolveDatasetId } from '../../store/datasets';
import { printJson, UsageError, withContext, type Command } from '../command';
import { exitEvenIfHeld } from '../helpers';

export const prelabelCommand: Command = {
  usage: 'prelabel --run <id> --dataset <name or id>',
  summary:
    "Pre-label a dataset's images that need a mask with any finished run; they train once accepted or corrected.",
  options: {
    run: { type: 'string', description: 'the finished run whose model predicts (id or name)' },
    dataset: { type: 'string', description: 'the dataset to pre-label (name or id)' },
  },
  async run({ dataDir, json, values }) {
    const target = typeof values.run === 'string' ? values.run.trim() : '';
    if (!target) throw new UsageError('say which run predicts: --run <id or name>.');
    if (typeof values.dataset !== 'string') {
      throw new UsageError('say which dataset: --dataset <name or id>.');
    }
    const report = await withContext(dataDir, (ctx) =>
      prelabelDataset(ctx, {
        datasetId: resolveDatasetId(ctx.db, values.dataset as string),
        runId: resolveRunId(ctx.db, target),
      }),
    ).finally(exitEvenIfHeld);
    if (json) {
      printJson(report);
      return;
    }
    for (const s of report.skipped) process.stderr.write(`skipped ${s.stem}: ${s.reason}\n`);
    process.stdout.write(
      `Pre-labelled ${report.images} image(s) in ${duration(report.seconds)}` +
        `${report.runtime ? ` (${report.runtime})` : ''}. Accept or correct them in the app, or with ` +
        '`jaccard masks`.\n',
    );
  },
};
