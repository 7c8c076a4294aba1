// The queue the Train view shows is the engine's own order, also after a stop and a
// resume (the resumed run goes last), and the user can reorder it (issue 14, item 3).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api';
import { createContext } from '../../src/main/context';
import { createDataset } from '../../src/main/store/datasets';
import { runManager } from '../../src/main/training/run-manager';
import type { Run } from '../../src/shared/domain';

describe('training queue order', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jaccard-queue-'));
  // A trainer that never reports: the first run holds the trainer while the rest wait.
  const worker = join(dir, 'idle-worker.cjs');
  writeFileSync(worker, 'setInterval(() => {}, 1000);\n');
  const ctx = createContext(dir);
  const manager = runManager(ctx, { workerEntry: worker, graceMs: 100 });
  const dataset = createDataset(ctx.db, 'faces');
  const events: number[][] = [];
  ctx.events.onAny((event, payload) => {
    if (event === 'queue.updated') events.push((payload as { ids: number[] }).ids);
  });
  const call = (method: string, input: unknown) => dispatch(ctx, method, input);
  const start = async (seed: number) =>
    (await call('runs.start', { config: { datasetId: dataset.id, seed, size: 32 } })) as Run;

  afterAll(async () => {
    await manager.close();
    ctx.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('answers the true order, puts a resumed run last, and reorders', async () => {
    const [a, b, c, d] = [await start(1), await start(2), await start(3), await start(4)];
    expect(manager.activeRunId).toBe(a!.id);
    expect(await call('runs.queue', {})).toEqual([b!.id, c!.id, d!.id]);

    await call('runs.stop', { id: b!.id });
    await call('runs.resume', { id: b!.id });
    // Listed by id, b would look second; it trains last.
    expect(await call('runs.queue', {})).toEqual([c!.id, d!.id, b!.id]);
    expect(events.at(-1)).toEqual([c!.id, d!.id, b!.id]);

    expect(await call('runs.reorder', { ids: [b!.id, c!.id] })).toEqual([b!.id, c!.id, d!.id]);
    expect(events.at(-1)).toEqual([b!.id, c!.id, d!.id]);
    // Runs that are not queued are passed over.
    expect(await call('runs.reorder', { ids: [a!.id, d!.id] })).toEqual([d!.id, b!.id, c!.id]);
    expect(manager.order).toEqual([d!.id, b!.id, c!.id]);
  });
});
