// `jaccard predict --run <id> <folder> | --dataset <name or id> --out <dir>`: a finished
// run's masks for new images, one 0/255 PNG per image at its own size and orientation.
import { duration } from '#shared/format';
import { getRun, resolveRunId } from '../../store/runs';
import { datasetSources, folderSources, predictToFolder } from '../../predict/folder';
import { RUNTIME_IDS, type RuntimeChoice } from '../../predict/runtimes';
import { resolveDatasetId } from '../../store/datasets';
import { printJson, UsageError, withContext, type Command } from '../command';
import { exitEvenIfHeld, printable } from '../helpers';

export const predictCommand: Command = {
  usage:
    'predict --run <id> (<folder> | --dataset <name or id>) --out <dir> [--threshold 0.5] [--probabilities] [--overwrite]',
  summary:
    "Predict masks for a folder of images (or a dataset's images) with a finished run: one 0/255 PNG per image, same stem.",
  options: {
    run: { type: 'string', description: 'the finished run whose model predicts (id or name)' },
    dataset: {
      type: 'string',
      description: "predict a dataset's stored images instead of a folder",
    },
    out: { type: 'string', description: 'the folder to write masks to (empty, or --overwrite)' },
    threshold: {
      type: 'string',
      description: 'probability at which a pixel counts as foreground (default 0.5)',
    },
    probabilities: {
      type: 'boolean',
      description: 'also write 8-bit probability maps to <out>/probabilities/',
    },
    overwrite: { type: 'boolean', description: 'replace files of the same names in --out' },
    runtime: {
      type: 'string',
      description: `${RUNTIME_IDS.join(' | ')} (default auto: the fastest that loads)`,
    },
  },
  async run({ dataDir, json, positionals, values }) {
    const target = typeof values.run === 'string' ? values.run.trim() : '';
    if (!target) throw new UsageError('say which run predicts: --run <id or name>.');
    const folder = positionals[0];
    if ((folder === undefined) === (values.dataset === undefined) || positionals.length > 1) {
      throw new UsageError('give one folder of images, or --dataset <name or id>, not both.');
    }
    if (typeof values.out !== 'string') throw new UsageError('say where masks go: --out <dir>.');
    const threshold = values.threshold === undefined ? 0.5 : Number(values.threshold);
    if (!(threshold >= 0 && threshold <= 1)) {
      throw new UsageError('--threshold: a number from 0 to 1.');
    }
    const runtime = (values.runtime ?? 'auto') as RuntimeChoice;
    if (!RUNTIME_IDS.includes(runtime)) {
      throw new UsageError(`--runtime: use ${RUNTIME_IDS.join(', ')}.`);
    }
    const tty = !json && process.stderr.isTTY;
    const report = await withContext(dataDir, async (ctx) => {
      const run = getRun(ctx.db, resolveRunId(ctx.db, target));
      const { sources, problems } =
        folder === undefined
          ? datasetSources(ctx.db, dataDir, resolveDatasetId(ctx.db, String(values.dataset)))
          : await folderSources(folder);
      return predictToFolder({
        run,
        dataDir,
        sources,
        problems,
        out: values.out as string,
        threshold,
        probabilities: values.probabilities === true,
        overwrite: values.overwrite === true,
        runtime,
        onProgress: (done, total, name) => {
          if (!tty) return;
          const width = 24;
          const filled = Math.round((done / total) * width);
          process.stderr.write(
            `\r\x1b[K[${'#'.repeat(filled)}${'.'.repeat(width - filled)}] ${done}/${total} ${printable(name)}`,
          );
        },
      });
    }).finally(exitEvenIfHeld);
    if (tty) process.stderr.write('\r\x1b[K');
    if (json) {
      printJson(report);
      return;
    }
    for (const p of report.problems) {
      process.stderr.write(`skipped ${printable(p.file)}: ${p.reason}\n`);
    }
    process.stdout.write(
      `Predicted ${report.images} image(s) in ${duration(report.seconds)} ` +
        `(${report.imagesPerSecond.toFixed(2)} images/s, ${report.runtime}) into ${report.out}` +
        `${report.problems.length ? `; ${report.problems.length} skipped` : ''}.\n`,
    );
    if (report.images === 0 && report.problems.length > 0) process.exitCode = 1;
  },
};
