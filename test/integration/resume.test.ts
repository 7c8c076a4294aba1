import { spawn, type ChildProcess } from 'node:child_process';
import { createInterface } from 'node:readline';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, getRun, listEpochs, markDeadRunsInterrupted } from '../../src/main/store/runs';
import { trainRun } from '../../src/main/training/trainer';
import type { Run } from '../../src/shared/domain';
import { repoRoot } from '../paths';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

/** The tiny config of train-fixture.ts, as `jaccard train` flags. */
const FLAGS = ['--size', '32', '--epochs', '3', '--batch', '2', '--filters', '4', '--depth', '3'];
const FLAG_CONFIG = { epochs: 3, validationFraction: 0.2, patience: 10 };

interface Line {
  event: 'progress' | 'epoch' | 'end';
  epoch?: number;
  batch?: number;
  phase?: string;
  runId?: number;
  trainLoss?: number;
  run?: Run;
}

function jaccard(
  fx: Fixture,
  args: string[],
): { child: ChildProcess; lines: AsyncIterable<string> } {
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bin/jaccard.js'), ...args, '--json', '--db', join(fx.dataDir, 'jaccard.db')],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  return { child, lines: createInterface({ input: child.stdout! }) };
}

describe('killing `jaccard train` mid-epoch and resuming it', () => {
  let fx: Fixture;

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 1 });
  });
  afterAll(() => fx?.dispose());

  it('leaves the run interrupted, never finished, and --resume completes it keeping earlier epochs', async () => {
    const first = jaccard(fx, ['train', '--dataset', 'face', '--backend', 'cpu', ...FLAGS]);
    let runId = 0;
    let epochOne: number | null = null;
    for await (const text of first.lines) {
      const line = JSON.parse(text) as Line;
      if (line.event === 'epoch' && line.epoch === 1) {
        runId = line.runId!;
        epochOne = line.trainLoss!;
      }
      // Epoch 1's checkpoint is on disk once its line is out; kill inside epoch 2.
      if (runId && line.event === 'progress' && line.phase === 'training' && line.epoch === 2) {
        first.child.kill('SIGKILL');
        break;
      }
    }
    await new Promise((resolve) => first.child.once('exit', resolve));
    expect(runId).toBeGreaterThan(0);

    // The killed process could not settle its row: it says running, with a dead pid.
    expect(getRun(fx.ctx.db, runId).status).toBe('running');
    const settled = markDeadRunsInterrupted(fx.ctx.db);
    expect(settled.map((r) => r.id)).toEqual([runId]);
    const interrupted = getRun(fx.ctx.db, runId);
    expect(interrupted.status).toBe('interrupted');
    expect(interrupted.finishedAt).toBeNull();
    expect(interrupted.test).toBeNull();
    expect(interrupted.epochsDone).toBe(1);

    const second = jaccard(fx, ['train', '--resume', String(runId)]);
    const epochsSeen: number[] = [];
    let end: Run | undefined;
    for await (const text of second.lines) {
      const line = JSON.parse(text) as Line;
      if (line.event === 'epoch') epochsSeen.push(line.epoch!);
      if (line.event === 'end') end = line.run;
    }
    const code = await new Promise((resolve) => second.child.once('exit', resolve));
    expect(code).toBe(0);
    expect(end?.status).toBe('finished');
    expect(epochsSeen).toEqual([2, 3]);
    const curve = listEpochs(fx.ctx.db, runId);
    expect(curve.map((e) => e.epoch)).toEqual([1, 2, 3]);
    expect(curve[0]!.trainLoss).toBe(epochOne);
    expect(getRun(fx.ctx.db, runId).test).not.toBeNull();

    // Weights, Adam's moments and the seeded streams all came back: an uninterrupted run
    // of the same config ends where the resumed one did.
    const config = tinyConfig(fx.datasetId, FLAG_CONFIG);
    expect(getRun(fx.ctx.db, runId).config).toMatchObject({ ...config, backend: 'cpu' });
    const straight = createRun(fx.ctx.db, { config, name: 'straight' });
    await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: straight.id });
    const straightCurve = listEpochs(fx.ctx.db, straight.id);
    expect(straightCurve[2]!.trainLoss).toBeCloseTo(curve[2]!.trainLoss, 5);
  });
});
