import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api';
import { runFolders } from '../../src/main/training/run-files';
import { runManager } from '../../src/main/training/run-manager';
import type { RunDetail } from '../../src/shared/api';
import { PAIRED_SEEDS_MAX } from '../../src/shared/api/runs';
import type { ImageMetrics, Run } from '../../src/shared/domain';
import { ApiError } from '../../src/shared/errors';
import { repoRoot } from '../paths';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

describe('runs API', () => {
  let fx: Fixture;
  const out = mkdtempSync(join(tmpdir(), 'jaccard-export-'));

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 2 });
  });
  afterAll(async () => {
    await runManager(fx.ctx).close();
    fx?.dispose();
    rmSync(out, { recursive: true, force: true });
  });

  const call = <T>(method: string, input: unknown) => dispatch(fx.ctx, method, input) as Promise<T>;

  function finished(id: number): Promise<Run> {
    return new Promise((resolve) => {
      const off = fx.ctx.events.onAny((event, payload) => {
        const run = payload as Run;
        if (
          event === 'run.updated' &&
          run.id === id &&
          run.status !== 'queued' &&
          run.status !== 'running'
        ) {
          off();
          resolve(run);
        }
      });
    });
  }

  it('starts a run in the worker, reports it, rescores it at any threshold, exports and deletes it', async () => {
    const started = await call<Run>('runs.start', { config: tinyConfig(fx.datasetId) });
    expect(started.name).toBe('face · iou · unet 32px · seed 1');
    const run = await finished(started.id);
    expect(run.status).toBe('finished');

    const detail = await call<RunDetail>('runs.get', { id: run.id });
    expect(detail.epochs.map((e) => e.epoch)).toEqual([1, 2]);
    expect(detail.backend).toBe('cpu');

    const atHalf = await call<ImageMetrics[]>('runs.imageMetrics', { id: run.id });
    expect(atHalf).toHaveLength(2);
    const everything = await call<ImageMetrics[]>('runs.imageMetrics', {
      id: run.id,
      threshold: 0,
    });
    // At threshold 0 every pixel is foreground: recall 1, precision = foreground share.
    expect(everything.every((m) => m.recall === 1)).toBe(true);

    const renamed = await call<Run>('runs.rename', { id: run.id, name: 'first' });
    expect(renamed.name).toBe('first');
    await expect(call('runs.resume', { id: run.id })).rejects.toMatchObject({ code: 'conflict' });

    const { folder } = await call<{ folder: string }>('runs.exportWeights', {
      id: run.id,
      folder: out,
    });
    expect(
      JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')).weightsManifest,
    ).toBeDefined();
    expect(existsSync(join(folder, 'weights.bin'))).toBe(true);
    // Exporting again never replaces other bytes unasked, nor writes through a link
    // (issue 12); the same bytes again are no conflict.
    await call('runs.exportWeights', { id: run.id, folder: out });
    writeFileSync(join(folder, 'model.json'), 'mine');
    await expect(call('runs.exportWeights', { id: run.id, folder: out })).rejects.toMatchObject({
      code: 'conflict',
    });
    const precious = join(mkdtempSync(join(tmpdir(), 'jaccard-link-')), 'precious.bin');
    writeFileSync(precious, 'precious');
    rmSync(join(folder, 'weights.bin'));
    symlinkSync(precious, join(folder, 'weights.bin'));
    await call('runs.exportWeights', { id: run.id, folder: out, overwrite: true });
    expect(readFileSync(precious, 'utf8')).toBe('precious');
    expect(
      JSON.parse(readFileSync(join(folder, 'model.json'), 'utf8')).weightsManifest,
    ).toBeDefined();
    expect(readFileSync(join(folder, 'weights.bin')).length).toBeGreaterThan(1000);

    await call('runs.delete', { id: run.id });
    expect(existsSync(runFolders(fx.dataDir, run.id).root)).toBe(false);
    await expect(call('runs.get', { id: run.id })).rejects.toBeInstanceOf(ApiError);
  });

  it('queues paired runs for a comparison and rejects a bad config with a clear message', async () => {
    await expect(
      call('runs.start', { config: { datasetId: fx.datasetId, size: 30 } }),
    ).rejects.toThrow(/size/);
    // More seeds than one launch takes is the engine's refusal, not only the form's limit.
    const many = Array.from({ length: PAIRED_SEEDS_MAX + 1 }, (_, i) => i + 1);
    await expect(
      call('runs.startPaired', {
        config: tinyConfig(fx.datasetId),
        losses: ['iou', 'bce'],
        seeds: many,
      }),
    ).rejects.toMatchObject({ code: 'invalid' });
    const runs = await call<Run[]>('runs.startPaired', {
      // Loss and seed come from the lists; the schema drops them from config.
      config: tinyConfig(fx.datasetId, { epochs: 1 }),
      losses: ['iou', 'bce'],
      seeds: [3],
    });
    expect(runs.map((r) => [r.config.loss, r.config.seed])).toEqual([
      ['iou', 3],
      ['bce', 3],
    ]);
    expect(new Set(runs.map((r) => r.groupId)).size).toBe(1);
    const [a, b] = await Promise.all(runs.map((r) => finished(r.id)));
    expect([a!.status, b!.status]).toEqual(['finished', 'finished']);
  });

  it('rejects a size the poolings cannot halve before any run row exists (API and CLI)', async () => {
    const before = (await call<Run[]>('runs.list', {})).length;
    // 48 passes the schema (a multiple of 16) but depth 6 pools five times: 2^5 = 32.
    const bad = tinyConfig(fx.datasetId, { size: 48, depth: 6 });
    const invalid = {
      code: 'invalid',
      message: expect.stringMatching(/multiple of 32 for depth 6/),
    };
    await expect(call('runs.start', { config: bad })).rejects.toMatchObject(invalid);
    await expect(
      call('runs.startPaired', { config: bad, losses: ['iou', 'bce'], seeds: [1, 2] }),
    ).rejects.toMatchObject(invalid);

    const cli = spawnSync(
      process.execPath,
      [
        join(repoRoot, 'bin/jaccard.js'),
        'train',
        '--db',
        fx.dataDir,
        '--dataset',
        'face',
        '--size',
        '48',
        '--depth',
        '6',
        '--backend',
        'cpu',
      ],
      { encoding: 'utf8' },
    );
    expect(cli.status).toBe(2);
    expect(cli.stderr).toMatch(/multiple of 32 for depth 6/);
    expect(await call<Run[]>('runs.list', {})).toHaveLength(before);
  });
});
