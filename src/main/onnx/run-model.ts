// A run's network as an ONNX file, exported from its saved tfjs weights once and kept
// beside them (files/runs/<id>/onnx/<key>.onnx). The key hashes the weights and the
// exporter's version, so a run that saved a better epoch, or a fixed exporter, gets a
// fresh file, and prediction after the first one starts without loading tfjs at all.
import { createHash } from 'node:crypto';
import { readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { Run } from '#shared/domain';
import { writeFileAtomic } from '../files';
import { loadRunModel, savedModelFolder } from '../predict/runtimes';
import { initBackend } from '../training/backend';
import { runFolders } from '../training/run-files';
import { exportOnnx } from './export';

/** Bump when the exporter writes a different graph for the same weights. */
const EXPORTER_VERSION = 1;

/** Exports the run's saved model to ONNX bytes (loads tfjs and the weights). */
export async function runOnnxBytes(dataDir: string, run: Run): Promise<Uint8Array> {
  await initBackend();
  const model = await loadRunModel(dataDir, run);
  try {
    return await exportOnnx(model, {
      description: `Jaccard run ${run.id} "${run.name}": ${run.config.model} trained with ${run.config.loss} loss on "${run.datasetName}".`,
      metadata: { run: String(run.id), model: run.config.model, loss: run.config.loss },
    });
  } finally {
    model.dispose();
  }
}

/** The path of the run's ONNX file, exporting it first when it is missing or stale. */
export async function cachedRunOnnx(dataDir: string, run: Run): Promise<string> {
  const weights = await readFile(join(savedModelFolder(dataDir, run), 'weights.bin'));
  const key = createHash('sha256')
    .update(`onnx-exporter-${EXPORTER_VERSION}\0`)
    .update(weights)
    .digest('hex')
    .slice(0, 16);
  const folder = join(runFolders(dataDir, run.id).root, 'onnx');
  const file = join(folder, `${key}.onnx`);
  const present = await readdir(folder).catch(() => [] as string[]);
  if (present.includes(`${key}.onnx`)) return file;
  await writeFileAtomic(file, await runOnnxBytes(dataDir, run));
  // Files for older weights are never read again; a failed removal only costs disk.
  await Promise.all(
    present
      .filter((name) => name.endsWith('.onnx'))
      .map((name) => rm(join(folder, name), { force: true }).catch(() => undefined)),
  );
  return file;
}
