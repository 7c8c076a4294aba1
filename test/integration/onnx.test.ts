// ONNX end to end: trained runs (U-Net on whole images, Tiramisu on patches, batch norm
// on) predict the same through ONNX Runtime as through tfjs, by the app's own predictor;
// `jaccard export` writes a model ONNX Runtime loads, and never overwrites unasked.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../src/main/cli/index';
import type { RawImage } from '../../src/main/images/raw';
import { predictOptionsOf, predictProbabilities } from '../../src/main/predict/predict';
import { openRuntime } from '../../src/main/predict/runtimes';
import { createRun } from '../../src/main/store/runs';
import { trainRun } from '../../src/main/training/trainer';
import type { Run, TrainConfig } from '../../src/shared/domain';
import { FACE } from '../paths';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

const TEST_IMAGES = readdirSync(join(FACE, 'test/images')).sort().slice(0, 3);

async function loadRgb(stem: string): Promise<RawImage> {
  const { data, info } = await sharp(join(FACE, 'test/images', stem))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: 3 };
}

function maskIou(a: Uint8Array, b: Uint8Array): number {
  let both = 0;
  let either = 0;
  for (let i = 0; i < a.length; i++) {
    const p = a[i]! >= 128;
    const q = b[i]! >= 128;
    if (p && q) both++;
    if (p || q) either++;
  }
  return either === 0 ? 1 : both / either;
}

describe('ONNX export and runtime', () => {
  let fx: Fixture;
  const runs: Run[] = [];

  const train = async (overrides: Partial<TrainConfig>) => {
    const config = tinyConfig(fx.datasetId, { epochs: 2, ...overrides });
    const created = createRun(fx.ctx.db, { config, name: overrides.model ?? 'unet' });
    const run = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: created.id });
    expect(run.status).toBe('finished');
    return run;
  };
  const cli = (...args: string[]) => main([...args, '--db', join(fx.dataDir, 'jaccard.db')]);

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
    runs.push(await train({ model: 'unet' }));
    runs.push(await train({ model: 'tiramisu', size: 64, input: { mode: 'patches', scale: 0.5 } }));
  });
  afterAll(() => fx?.dispose());

  it.each([0, 1])('run %i predicts alike through ONNX Runtime and tfjs', async (index) => {
    const run = runs[index]!;
    const onnx = await openRuntime(fx.dataDir, run, 'onnx');
    const tfjs = await openRuntime(fx.dataDir, run, 'tfjs');
    try {
      expect(onnx.id).toMatch(/^onnxruntime-/);
      expect(tfjs.id).toMatch(/^tfjs-/);
      // The forward pass itself, on the model's squares of real photos.
      const { size } = run.config;
      const batch = new Float32Array(TEST_IMAGES.length * size * size * 3);
      for (const [i, stem] of TEST_IMAGES.entries()) {
        const square = await sharp(join(FACE, 'test/images', stem))
          .removeAlpha()
          .resize(size, size, { fit: 'fill' })
          .raw()
          .toBuffer();
        for (let j = 0; j < square.length; j++) batch[i * square.length + j] = square[j]! / 255;
      }
      const [p, q] = await Promise.all([
        onnx.forward(batch, TEST_IMAGES.length),
        tfjs.forward(batch, TEST_IMAGES.length),
      ]);
      let maxDiff = 0;
      for (let i = 0; i < p.length; i++) maxDiff = Math.max(maxDiff, Math.abs(p[i]! - q[i]!));
      expect(maxDiff).toBeLessThan(1e-4);

      // Whole images through the app's predictor (letterbox, or blended sliding windows).
      for (const stem of TEST_IMAGES) {
        const image = await loadRgb(stem);
        const options = predictOptionsOf(run.config);
        const a = await predictProbabilities(onnx, image, options);
        const b = await predictProbabilities(tfjs, image, options);
        expect(maskIou(a, b)).toBeGreaterThanOrEqual(0.999);
        // Stored as round(p * 255): 1e-4 apart can only round one level apart.
        expect(a.every((v, i) => Math.abs(v - b[i]!) <= 1)).toBe(true);
      }
    } finally {
      onnx.dispose();
      tfjs.dispose();
    }
  });

  it('caches the exported model under the run and reuses it', async () => {
    const folder = join(fx.dataDir, 'files/runs', String(runs[0]!.id), 'onnx');
    const before = readdirSync(folder);
    expect(before).toHaveLength(1);
    (await openRuntime(fx.dataDir, runs[0]!, 'auto')).dispose();
    expect(readdirSync(folder)).toEqual(before);
  });

  it('jaccard export writes ONNX and tfjs with run.json, and refuses to overwrite', async () => {
    const run = runs[1]!;
    const out = join(fx.dataDir, '..', 'exported');
    expect(await cli('export', '--run', String(run.id), '--format', 'onnx', '--out', out)).toBe(0);
    const session = await ort.InferenceSession.create(join(out, 'model.onnx'));
    expect(session.inputNames).toEqual(['image']);
    expect(session.outputNames).toEqual(['probability']);
    await session.release();
    const card = JSON.parse(readFileSync(join(out, 'run.json'), 'utf8'));
    expect(card.model).toMatchObject({ format: 'onnx', opset: 13 });
    expect(card.preprocessing).toMatchObject({
      size: 64,
      mode: { mode: 'patches', scale: 0.5 },
      described: 'patches of 64 px at 1:2 scale',
    });
    expect(card.postprocessing.threshold).toBe(0.5);

    const written = readFileSync(join(out, 'model.onnx'));
    // The same export again (the run named, not numbered) changes nothing; another run's
    // would replace files: refused.
    expect(await cli('export', '--run', run.name, '--out', out)).toBe(0);
    const other = String(runs[0]!.id);
    expect(await cli('export', '--run', other, '--format', 'onnx', '--out', out)).toBe(1);
    expect(readFileSync(join(out, 'model.onnx')).equals(written)).toBe(true);
    expect(await cli('export', '--run', other, '--out', out, '--overwrite')).toBe(0);
    expect(readFileSync(join(out, 'model.onnx')).equals(written)).toBe(false);

    expect(await cli('export', '--run', String(run.id), '--format', 'tfjs', '--out', out)).toBe(1);
    const tfjsOut = join(out, 'tfjs');
    expect(await cli('export', '--run', String(run.id), '--format', 'tfjs', '--out', tfjsOut)).toBe(
      0,
    );
    expect(existsSync(join(tfjsOut, 'weights.bin'))).toBe(true);
    expect(JSON.parse(readFileSync(join(tfjsOut, 'run.json'), 'utf8')).model.format).toBe(
      'tfjs-layers',
    );
    expect(await cli('export', '--run', String(run.id), '--format', 'keras', '--out', out)).toBe(2);
  });
});
