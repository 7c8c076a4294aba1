// `jaccard export --run <id or name> --format onnx|tfjs --out <folder> [--overwrite]`: a run's best
// model with a run.json that says how to feed it, through the app's own runs.exportWeights.
import { dispatch } from '../../api';
import { EXPORT_FORMATS, type ExportFormat } from '../../onnx/model-card';
import { resolveRunId } from '../../store/runs';
import { printJson, UsageError, withContext, type Command } from '../command';

export const exportCommand: Command = {
  usage: 'export --run <id or name> --out <folder> [--format onnx|tfjs] [--overwrite]',
  summary:
    "Write a run's best model for use outside Jaccard: ONNX (opset 13, any batch and size) " +
    'or TensorFlow.js layers, with run.json (input size and mode, normalisation, threshold).',
  options: {
    run: { type: 'string', description: 'the run to export (id or name)' },
    out: { type: 'string', description: 'the folder to write into (created if missing)' },
    format: { type: 'string', description: 'onnx (default) or tfjs' },
    overwrite: { type: 'boolean', description: 'replace files already in the folder' },
  },
  async run({ dataDir, json, values }) {
    const run = values.run;
    if (typeof run !== 'string' || run.trim() === '') {
      throw new UsageError('say which run to export: --run <id or name>.');
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
        id: resolveRunId(ctx.db, run),
        folder: values.out,
        format,
        overwrite: values.overwrite === true,
      }),
    )) as { folder: string; files: string[] };
    if (json) printJson(result);
    else process.stdout.write(`Wrote ${result.files.join(', ')} to ${result.folder}\n`);
  },
};
