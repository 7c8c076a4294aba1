// `jaccard import <folder> [--name <dataset> | --dataset <id>]`: the Datasets view's
// import, headless. Prints the ImportReport (--json) or a summary with every problem.
import type { ImportReport } from '#shared/domain';
import { percent } from '#shared/format';
import { importFolder } from '../../images/importer';
import { printJson, UsageError, withContext, type Command } from '../command';
import { printable } from '../helpers';

export const importCommand: Command = {
  usage: 'import <folder> [--name <dataset> | --dataset <id>]',
  summary:
    'Copy a folder of images, with or without masks, into a dataset. Layouts: train/ and ' +
    'test/ each with images/ and masks/; images/ with masks/; or a folder of images.',
  options: {
    name: {
      type: 'string',
      description: "the dataset to import into, created if new (default: the folder's name)",
    },
    dataset: { type: 'string', description: 'the id of an existing dataset to import into' },
  },
  async run({ dataDir, json, positionals, values }) {
    if (positionals.length !== 1) throw new UsageError('give exactly one folder to import.');
    const name = values.name as string | undefined;
    const datasetId = values.dataset === undefined ? undefined : parseId(values.dataset as string);
    if (name !== undefined && datasetId !== undefined) {
      throw new UsageError('give --name or --dataset, not both.');
    }
    const report = await withContext(dataDir, (ctx) => {
      const stop = showProgress(json, ctx.events.onAny.bind(ctx.events));
      return importFolder(ctx, { folder: positionals[0]!, name, datasetId }).finally(stop);
    });
    if (json) printJson(report);
    else process.stdout.write(summary(report));
  },
};

function parseId(text: string): number {
  const id = Number(text);
  if (!Number.isInteger(id) || id <= 0)
    throw new UsageError(`--dataset: "${text}" is not a dataset id.`);
  return id;
}

/** A live counter on a terminal; nothing when piped or printing JSON. */
function showProgress(
  json: boolean,
  onAny: (listener: (event: string, payload: unknown) => void) => () => void,
): () => void {
  if (json || !process.stderr.isTTY) return () => undefined;
  const off = onAny((event, payload) => {
    if (event !== 'import.progress') return;
    const { done, total } = payload as { done: number; total: number };
    process.stderr.write(`\rDecoding ${done}/${total}`);
  });
  return () => {
    off();
    process.stderr.write('\r\x1b[K');
  };
}

function summary(report: ImportReport): string {
  const { dataset, splits } = report;
  const parts = Object.entries(splits)
    .filter(([, n]) => n > 0)
    .map(([split, n]) => `${split} ${n}`);
  const lines = [
    `Imported ${report.images} images (${report.masks} with masks) into "${printable(dataset.name)}" ` +
      `(dataset ${dataset.id})${parts.length ? `: ${parts.join(', ')}` : ''}.`,
    `The dataset has ${dataset.imageCount} images, ${dataset.maskedCount} with masks` +
      (dataset.foreground === null
        ? '.'
        : `, ${percent(dataset.foreground)} foreground on average.`),
  ];
  if (report.problems.length) {
    lines.push('', `${report.problems.length} problem(s):`);
    for (const { file, reason } of report.problems) {
      lines.push(`  ${printable(file)}: ${printable(reason)}`);
    }
  }
  return `${lines.join('\n')}\n`;
}
