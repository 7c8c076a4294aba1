// `jaccard export --run <id> --format onnx|tfjs --out <folder> [--overwrite]`: a run's best
// model with a run.json that says how to feed it, through the app's own runs.exportWeights.
import { dispatch } from '../../api';
import { EXPORT_FORMATS, type ExportFormat } from '../../onnx/model-card';
import { printJson, UsageError, withContext, type Command } from '../command';

export const exportCommand: Command = {
  usage: 'export --run <id> --out <folder> [--format onnx|tfjs] [--overwrite]',
  summary:
    "Write a run's best model for use outside Jaccard: ONNX (opset 13, any batch and size) " +
    'or TensorFlow.js layers, with run.json (input size and mode, normalisation, threshold).',
  options: {
    run: { type: 'string', description: 'the run to export (its id)' },
    out: { type: 'string', description: 'the folder to write into (created if missing)' },
    format: { type: 'string', description: 'onnx (default) or tfjs' },
    overwrite: { type: 'boolean', description: 'replace files already in the folder' },
  },
  async run({ dataDir, json, values }) {
    const run = values.run;
    if (typeof run !== 'string' || !/^\d+$/.test(run)) {
      throw new UsageError('say which run by its id: --run 3');
    }
    if (typeof values.out !== 'string' || values.out.trim() === '') {
      throw new UsageError('say where to write: --out <folder>');
    }
    const format = (values.format ?? 'onnx') as ExportFormat;
    if (!EXPORT_FORMATS.includes(format)) {
      throw new UsageError(`--format is one of ${EXPORT_FORMATS.join(', ')}, not "${format}"`);
    }
    const result = (await withContext(dataDir, (ctx) =>
      dispatch(ctx, 'runs.exportWeights', {
        id: Number(run),
        folder: values.out,
        format,
        overwrite: values.overwrite === true,
      }),
    )) as { folder: string; files: string[] };
    if (json) printJson(result);
    else process.stdout.write(`Wrote ${result.files.join(', ')} to ${result.folder}\n`);
  },
};
