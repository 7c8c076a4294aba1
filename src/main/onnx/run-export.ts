// What exporting a run writes, by format: the model's files and run.json. Kept apart from
// where they go, so the API handler (and its no-overwrite rule) writes every format alike.
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Run } from '#shared/domain';
import { exportToFolder, ioError } from '../files';
import { savedModelFolder } from '../predict/runtimes';
import { modelCard, type ExportFormat } from './model-card';
import { runOnnxBytes } from './run-model';

/** File name to content, run.json last. Throws ApiError('invalid') for a run with no saved model. */
export async function exportFiles(
  dataDir: string,
  run: Run,
  format: ExportFormat,
): Promise<Record<string, Uint8Array>> {
  const files: Record<string, Uint8Array> = {};
  if (format === 'onnx') {
    files['model.onnx'] = await runOnnxBytes(dataDir, run);
  } else {
    const folder = savedModelFolder(dataDir, run);
    for (const name of ['model.json', 'weights.bin']) {
      const path = join(folder, name);
      files[name] = await readFile(path).catch((error: unknown) => {
        throw ioError('read', path, error);
      });
    }
  }
  files['run.json'] = Buffer.from(`${JSON.stringify(modelCard(run, format), null, 2)}\n`);
  return files;
}

/**
 * Writes the run's files into `folder` (created if missing) through the shared export:
 * files already there with other bytes refuse the export unless `overwrite`.
 */
export async function exportRun(
  dataDir: string,
  run: Run,
  options: { folder: string; format: ExportFormat; overwrite: boolean },
): Promise<{ folder: string; files: string[] }> {
  const files = await exportFiles(dataDir, run, options.format);
  const written = Object.entries(files).map(([name, bytes]) => ({ name, bytes }));
  const { folder } = await exportToFolder(options.folder, written, {
    overwrite: options.overwrite,
  });
  return { folder, files: Object.keys(files) };
}
