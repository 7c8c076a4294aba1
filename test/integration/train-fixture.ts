// A data folder with a few real fasseg-face images imported, for training tests.
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { createContext, type AppContext } from '../../src/main/context';
import { importFolder } from '../../src/main/images/importer';
import type { TrainConfig } from '../../src/shared/domain';
import { FACE } from '../paths';

export interface Fixture {
  dataDir: string;
  ctx: AppContext;
  datasetId: number;
  dispose(): void;
}

/** Copies the first `train` and `test` images (with masks) of fasseg-face and imports them. */
export async function faceFixture(counts: { train: number; test: number }): Promise<Fixture> {
  const root = mkdtempSync(join(tmpdir(), 'jaccard-train-'));
  const source = join(root, 'face');
  for (const split of ['train', 'test'] as const) {
    const stems = readdirSync(join(FACE, split, 'images'))
      .sort()
      .slice(0, counts[split]);
    for (const kind of ['images', 'masks']) {
      mkdirSync(join(source, split, kind), { recursive: true });
      for (const stem of stems)
        copyFileSync(join(FACE, split, kind, stem), join(source, split, kind, stem));
    }
  }
  const dataDir = join(root, 'data');
  const ctx = createContext(dataDir);
  const report = await importFolder(ctx, { folder: source, name: 'face' });
  return {
    dataDir,
    ctx,
    datasetId: report.dataset.id,
    dispose: () => {
      ctx.db.close();
      rmSync(root, { recursive: true, force: true });
    },
  };
}

/** Small enough to train in seconds on the plain-JS backend. */
export function tinyConfig(datasetId: number, overrides: Partial<TrainConfig> = {}): TrainConfig {
  return {
    datasetId,
    loss: 'iou',
    model: 'unet',
    size: 32,
    epochs: 2,
    batchSize: 2,
    learningRate: 1e-3,
    seed: 1,
    validationFraction: 0.25,
    augment: true,
    patience: 0,
    input: { mode: 'resize' },
    baseFilters: 4,
    depth: 3,
    batchNorm: true,
    backend: 'cpu',
    ...overrides,
  };
}

/** The first channel of a stored PNG (a mask or probability map) with its size. */
export async function greyPixels(
  file: string,
): Promise<{ data: Buffer; width: number; height: number }> {
  const { data, info } = await sharp(file)
    .extractChannel(0)
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height };
}
