// Where a run keeps its files, relative to the data folder:
//   files/runs/<id>/checkpoint/   last epoch: model.json, weights.bin, Adam moments, counters
//   files/runs/<id>/model/        best epoch by validation IoU: model.json, weights.bin
//   files/runs/<id>/predictions/<imageId>.png   test probabilities, 8-bit grey, p * 255
import { rm } from 'node:fs/promises';
import { join } from 'node:path';
import { absolutePath, ioError } from '../files';

export function runDir(runId: number): string {
  return `files/runs/${runId}`;
}

export function predictionFile(runId: number, imageId: number): string {
  return `${runDir(runId)}/predictions/${imageId}.png`;
}

export interface RunFolders {
  root: string;
  checkpoint: string;
  model: string;
}

/** Absolute folders of one run. */
export function runFolders(dataDir: string, runId: number): RunFolders {
  const root = absolutePath(dataDir, runDir(runId));
  return { root, checkpoint: join(root, 'checkpoint'), model: join(root, 'model') };
}

/** Removes a run's folder and everything in it (a deleted run's files). */
export async function removeRunFiles(dataDir: string, runId: number): Promise<void> {
  const { root } = runFolders(dataDir, runId);
  await rm(root, { recursive: true, force: true }).catch((error: unknown) => {
    throw ioError('remove', root, error);
  });
}
