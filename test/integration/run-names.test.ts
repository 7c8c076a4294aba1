// Automatic run names say what the run is and never repeat, and the CLI finds a run by
// its name as well as its id (issue 14, item 2).
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { trainConfigSchema } from '../../src/shared/api/runs';
import { createContext } from '../../src/main/context';
import { createDataset } from '../../src/main/store/datasets';
import { createRun, resolveRunId } from '../../src/main/store/runs';

describe('run names', () => {
  const dir = mkdtempSync(join(tmpdir(), 'jaccard-run-names-'));
  const ctx = createContext(dir);
  const faces = createDataset(ctx.db, 'faces');
  const config = (extra: object = {}) =>
    trainConfigSchema.parse({ datasetId: faces.id, size: 64, ...extra });

  afterAll(() => {
    ctx.db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('names the dataset, loss, model, size, seed, patches, and counts repeats', () => {
    const names = [
      createRun(ctx.db, { config: config() }),
      createRun(ctx.db, { config: config() }),
      createRun(ctx.db, { config: config() }),
      createRun(ctx.db, { config: config({ loss: 'bce', seed: 2 }) }),
      createRun(ctx.db, { config: config({ input: { mode: 'patches', scale: 0.5 } }) }),
      createRun(ctx.db, {
        config: config({ model: 'tiramisu', input: { mode: 'patches', scale: 1 } }),
      }),
    ].map((r) => r.name);
    expect(names).toEqual([
      'faces · iou · unet 64px · seed 1',
      'faces · iou · unet 64px · seed 1 (2)',
      'faces · iou · unet 64px · seed 1 (3)',
      'faces · bce · unet 64px · seed 2',
      'faces · iou · unet 64px patches 1:2 · seed 1',
      'faces · iou · tiramisu 64px patches · seed 1',
    ]);
    expect(new Set(names).size).toBe(names.length);
    // A name given by the user is kept as it is, repeats and all.
    expect(createRun(ctx.db, { config: config(), name: ' mine ' }).name).toBe('mine');
    expect(createRun(ctx.db, { config: config(), name: 'mine' }).name).toBe('mine');
  });

  it('finds a run by id or by name, and asks for an id when a name is ambiguous', () => {
    const [first] = ctx.db.prepare('SELECT id FROM runs ORDER BY id').all() as { id: number }[];
    expect(resolveRunId(ctx.db, String(first!.id))).toBe(first!.id);
    expect(resolveRunId(ctx.db, 'faces · iou · unet 64px · seed 1')).toBe(first!.id);
    expect(resolveRunId(ctx.db, 'FACES · BCE · UNET 64PX · SEED 2')).toBe(first!.id + 3);
    expect(() => resolveRunId(ctx.db, 'mine')).toThrow(/2 runs are named "mine" \(ids \d+, \d+\)/);
    expect(() => resolveRunId(ctx.db, 'nobody')).toThrow('There is no run named "nobody".');
  });
});
