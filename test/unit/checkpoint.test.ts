// Saving a model when the disk fills up: the previous save stays whole and loadable, the
// half-written copy is removed (it holds space the user needs back), and the error says
// where and why. ENOSPC is injected at the write, since a real full disk cannot be made
// here without root mounts.
import * as tf from '@tensorflow/tfjs';
import * as fs from 'node:fs';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it, vi } from 'vitest';
import { fileHandler } from '../../src/main/training/checkpoint';

const disk = vi.hoisted(() => ({ full: false }));
vi.mock('node:fs', async (importOriginal) => {
  const real = await importOriginal<typeof fs>();
  return {
    ...real,
    writeFileSync: (...args: Parameters<typeof real.writeFileSync>) => {
      if (disk.full) {
        throw Object.assign(new Error('ENOSPC: no space left on device, write'), {
          code: 'ENOSPC',
        });
      }
      return real.writeFileSync(...args);
    },
  };
});

const root = mkdtempSync(join(tmpdir(), 'jaccard-checkpoint-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

function artifacts(value: number): tf.io.ModelArtifacts {
  return {
    modelTopology: { class_name: 'Model' },
    weightSpecs: [{ name: 'w', shape: [2], dtype: 'float32' }],
    weightData: new Float32Array([value, value]).buffer,
  };
}

it('keeps the previous save and removes the partial copy when the disk is full', async () => {
  const dir = join(root, 'model');
  await fileHandler(dir).save!(artifacts(1));

  disk.full = true;
  await expect(fileHandler(dir).save!(artifacts(2))).rejects.toThrow(
    `Cannot save the model to ${dir}: the disk is full.`,
  );
  disk.full = false;

  expect(readdirSync(root)).toEqual(['model']);
  const loaded = await fileHandler(dir).load!();
  expect(Array.from(new Float32Array(loaded.weightData as ArrayBuffer))).toEqual([1, 1]);
});
