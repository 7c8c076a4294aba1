// Where the repository and the real datasets beside it are, so each test need not work it out.
import { join, resolve } from 'node:path';

export const repoRoot = resolve(import.meta.dirname, '..');
export const DATASETS = resolve(repoRoot, '../shared/datasets');
export const FACE = join(DATASETS, 'fasseg-face');
