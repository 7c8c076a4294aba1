// `jaccard predict`, run as a user runs it: masks for a folder of new images at their own
// size and orientation, scored against the truth exactly as `jaccard evaluate` scores.
import { spawnSync } from 'node:child_process';
import { mkdirSync, readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun } from '../../src/main/store/runs';
import { trainRun } from '../../src/main/training/trainer';
import type { PredictFolderReport, Run } from '../../src/shared/domain';
import { FACE, repoRoot } from '../paths';
import { faceFixture, greyPixels, tinyConfig, type Fixture } from './train-fixture';

function jaccard(...args: string[]) {
  const run = spawnSync(process.execPath, [join(repoRoot, 'bin/jaccard.js'), ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

describe('jaccard predict', () => {
  let fx: Fixture;
  let run: Run;
  let out: string;
  const testImages = join(FACE, 'test/images');

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 50 });
    const created = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'tiny' });
    run = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: created.id });
    expect(run.status).toBe('finished');
    out = join(fx.dataDir, '..', 'masks');
  }, 300_000);
  afterAll(() => fx?.dispose());
  const predict = (...args: string[]) =>
    jaccard('predict', '--db', fx.dataDir, '--run', String(run.id), ...args);

  it("writes the 50 test images' masks, whose IoU is what `jaccard evaluate` reports", async () => {
    const predicted = predict(
      testImages,
      '--out',
      out,
      '--runtime',
      'tfjs',
      '--probabilities',
      '--json',
    );
    // Native TensorFlow, where built, logs its start on stderr; nothing was skipped.
    expect(predicted.stderr).not.toMatch(/^skipped/m);
    expect(predicted.code).toBe(0);
    const report = JSON.parse(predicted.stdout) as PredictFolderReport;
    expect(report).toMatchObject({ runId: run.id, images: 50, problems: [], threshold: 0.5 });
    expect(report.runtime).toMatch(/^tfjs-/);
    const stems = readdirSync(testImages).sort();
    expect(
      readdirSync(out)
        .filter((f) => f.endsWith('.png'))
        .sort(),
    ).toEqual(stems);
    expect(readdirSync(join(out, 'probabilities')).sort()).toEqual(stems);

    let tp = 0;
    let union = 0;
    for (const stem of stems) {
      const mask = await greyPixels(join(out, stem));
      const truth = await greyPixels(join(FACE, 'test/masks', stem));
      // Each at its own size (most are 182x256, a few narrower).
      expect([mask.width, mask.height]).toEqual([truth.width, truth.height]);
      expect(new Set(mask.data)).toSatisfy((s: Set<number>) =>
        [...s].every((v) => v === 0 || v === 255),
      );
      for (let i = 0; i < mask.data.length; i++) {
        const p = mask.data[i]! > 0;
        const t = truth.data[i]! > 0;
        if (p && t) tp++;
        if (p || t) union++;
      }
    }
    const evaluated = jaccard('evaluate', '--db', fx.dataDir, '--run', String(run.id), '--json');
    expect(evaluated.code).toBe(0);
    const { pooled } = JSON.parse(evaluated.stdout) as { pooled: { iou: number } };
    // The run was scored on the backend it trained on; predict uses the fastest one here.
    expect(tp / union).toBeCloseTo(pooled.iou, 4);
  });

  it('refuses a non-empty folder unless told to overwrite', () => {
    const again = predict(testImages, '--out', out);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/is not empty/);
  });

  it('reports files it cannot read, and keeps EXIF orientation on a 4000x3000 JPEG', async () => {
    const folder = join(fx.dataDir, '..', 'mixed');
    mkdirSync(folder);
    await sharp({ create: { width: 4000, height: 3000, channels: 3, background: '#a08070' } })
      .jpeg()
      .withMetadata({ orientation: 6 })
      .toFile(join(folder, 'photo.jpg'));
    writeFileSync(join(folder, 'notes.png'), 'not an image');
    mkdirSync(join(folder, 'dir.png'));
    spawnSync('mkfifo', [join(folder, 'pipe.png')]);
    const target = join(fx.dataDir, '..', 'mixed-out');
    const result = predict(folder, '--out', target, '--json');
    expect(result.code).toBe(0);
    const report = JSON.parse(result.stdout) as PredictFolderReport;
    expect(report.images).toBe(1);
    expect(report.problems.map((p) => p.file).sort()).toEqual(['dir.png', 'notes.png', 'pipe.png']);
    const mask = await sharp(join(target, 'photo.png')).metadata();
    // Orientation 6 is a quarter turn: upright, the photo is portrait.
    expect([mask.width, mask.height]).toEqual([3000, 4000]);
  });
});
