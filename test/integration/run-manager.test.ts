import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createRun, getRun, runPid, updateRun } from '../../src/main/store/runs';
import { RunManager } from '../../src/main/training/run-manager';
import type { ApiEvents, EventName } from '../../src/shared/api';
import type { Run } from '../../src/shared/domain';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

describe('run manager', () => {
  let fx: Fixture;
  let manager: RunManager | null = null;

  beforeAll(async () => {
    fx = await faceFixture({ train: 4, test: 1 });
  });
  afterAll(async () => {
    await manager?.close();
    fx?.dispose();
  });

  /** Resolves with the first event of that name that satisfies the test. */
  function next<E extends EventName>(
    name: E,
    test: (payload: ApiEvents[E]) => boolean,
    timeoutMs = 45_000,
  ): Promise<ApiEvents[E]> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        off();
        reject(new Error(`No ${name} event within ${timeoutMs} ms`));
      }, timeoutMs);
      const off = fx.ctx.events.onAny((event, payload) => {
        if ((event as EventName) === name && test(payload as ApiEvents[E])) {
          clearTimeout(timer);
          off();
          resolve(payload as ApiEvents[E]);
        }
      });
    });
  }
  const settled = (id: number, status: Run['status']) =>
    next('run.updated', (run) => run.id === id && run.status === status);
  const training = (id: number) =>
    next('run.progress', (p) => p.runId === id && p.phase === 'training');

  it('marks running rows of dead processes interrupted at start-up, never finished', () => {
    const run = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'orphan' });
    // A pid far above pid_max: no such process.
    updateRun(fx.ctx.db, run.id, { status: 'running', pid: 99_999_999 });
    const live = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'live' });
    updateRun(fx.ctx.db, live.id, { status: 'running', pid: process.pid });
    const starting = new RunManager(fx.ctx);
    expect(getRun(fx.ctx.db, run.id).status).toBe('interrupted');
    expect(getRun(fx.ctx.db, live.id).status).toBe('running');
    updateRun(fx.ctx.db, live.id, { status: 'cancelled', pid: null });
    return starting.close();
  });

  it('trains one run at a time; a killed worker leaves its run interrupted and the queue moves on', async () => {
    manager = new RunManager(fx.ctx);
    const long = createRun(fx.ctx.db, {
      config: tinyConfig(fx.datasetId, { epochs: 50 }),
      name: 'long',
    });
    const short = createRun(fx.ctx.db, {
      config: tinyConfig(fx.datasetId, { epochs: 1 }),
      name: 'short',
    });
    const longTraining = training(long.id);
    manager.enqueue(long.id);
    manager.enqueue(short.id);
    await longTraining;
    expect(manager.activeRunId).toBe(long.id);
    expect(getRun(fx.ctx.db, short.id).status).toBe('queued');
    const pid = runPid(fx.ctx.db, long.id);
    expect(pid).not.toBeNull();
    expect(pid).not.toBe(process.pid);

    const interrupted = settled(long.id, 'interrupted');
    const shortDone = settled(short.id, 'finished');
    process.kill(pid!, 'SIGKILL');
    expect((await interrupted).error).toMatch(/killed \(SIGKILL\)/);
    const done = await shortDone;
    expect(done.test).not.toBeNull();
    expect(getRun(fx.ctx.db, long.id).status).toBe('interrupted');
  });

  it('stops a training run (cancelled) and cancels a queued one at once', async () => {
    manager ??= new RunManager(fx.ctx);
    const first = createRun(fx.ctx.db, {
      config: tinyConfig(fx.datasetId, { epochs: 50 }),
      name: 'stop me',
    });
    const second = createRun(fx.ctx.db, { config: tinyConfig(fx.datasetId), name: 'never runs' });
    const started = training(first.id);
    manager.enqueue(first.id);
    manager.enqueue(second.id);
    await started;
    expect(manager.stop(second.id).status).toBe('cancelled');
    const cancelled = settled(first.id, 'cancelled');
    manager.stop(first.id);
    await cancelled;
    expect(getRun(fx.ctx.db, first.id).status).toBe('cancelled');
    expect(getRun(fx.ctx.db, second.id).status).toBe('cancelled');
  });
});
