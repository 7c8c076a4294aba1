// What the Train/Runs/Compare browser test needs beside the harness: a small copy of
// fasseg-face (or another target of the same faces) to import, and typed calls straight
// into the engine (the store's truth to hold the UI's numbers against).
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dispatch } from '../../src/main/api';
import type { Input, Method, Output } from '../../src/shared/api';
import { DATASETS } from '../paths';
import type { AppHarness } from './harness';

/**
 * A temp folder with the first `train` and `test` image/mask pairs of fasseg-face, or of
 * another FASSEG target (fasseg-eyes, ...): the same first images, other masks.
 */
export function faceSubset(
  counts: { train: number; test: number },
  dataset = 'fasseg-face',
): string {
  const source = join(DATASETS, dataset);
  const root = mkdtempSync(join(tmpdir(), 'jaccard-face-'));
  for (const split of ['train', 'test'] as const) {
    const stems = readdirSync(join(source, split, 'images'))
      .sort()
      .slice(0, counts[split]);
    for (const kind of ['images', 'masks']) {
      mkdirSync(join(root, split, kind), { recursive: true });
      for (const stem of stems)
        copyFileSync(join(source, split, kind, stem), join(root, split, kind, stem));
    }
  }
  return root;
}

/** Calls the engine the page talks to, validated like the page's own calls. */
export function engineCall<M extends Method>(
  app: AppHarness,
  method: M,
  input: Input<M>,
): Promise<Output<M>> {
  return dispatch(app.engine.ctx, method, input) as Promise<Output<M>>;
}
