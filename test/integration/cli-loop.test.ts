// The label-train-correct loop in a terminal: import photos without masks, label a few,
// train, pre-label the rest, correct and accept, until every image has a mask.
import { spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readdirSync } from 'node:fs';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Dataset, PredictFolderReport, Run } from '../../src/shared/domain';
import { FACE, repoRoot } from '../paths';

function jaccard(...args: string[]) {
  const run = spawnSync(process.execPath, [join(repoRoot, 'bin/jaccard.js'), ...args], {
    encoding: 'utf8',
    timeout: 300_000,
  });
  if (run.status !== 0) throw new Error(`jaccard ${args.join(' ')}: ${run.stderr}`);
  // `train --json` prints one object per line; the last is the run's end.
  const text = args[0] === 'train' ? run.stdout.trim().split('\n').at(-1)! : run.stdout;
  return JSON.parse(text) as unknown;
}

describe('the loop with the CLI', () => {
  const root = mkdtempSync(join(tmpdir(), 'jaccard-loop-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  it('goes from 10 unlabelled photos to 10 masks by labelling 4', () => {
    const db = join(root, 'data');
    mkdirSync(db);
    const photos = join(root, 'photos');
    const labelled = join(root, 'labelled');
    mkdirSync(photos);
    mkdirSync(labelled);
    const stems = readdirSync(join(FACE, 'train/images')).sort().slice(0, 10);
    for (const stem of stems) copyFileSync(join(FACE, 'train/images', stem), join(photos, stem));
    // The user draws the first four masks (here: the dataset's own).
    for (const stem of stems.slice(0, 4)) {
      copyFileSync(join(FACE, 'train/masks', stem), join(labelled, stem));
    }
    jaccard('import', photos, '--name', 'photos', '--db', db, '--json');
    jaccard('masks', labelled, '--dataset', 'photos', '--db', db, '--json');
    jaccard(
      'train',
      '--dataset',
      'photos',
      '--size',
      '32',
      '--filters',
      '4',
      '--depth',
      '3',
      '--epochs',
      '2',
      '--batch',
      '2',
      '--db',
      db,
      '--json',
    );
    const runs = jaccard('runs', '--db', db, '--json') as Run[];
    expect(runs[0]!.status).toBe('finished');
    const runId = String(runs[0]!.id);

    // Predict what still needs a mask into a folder, as files to correct in any editor…
    const out = join(root, 'predicted');
    const report = jaccard(
      'predict',
      '--run',
      runId,
      '--dataset',
      'photos',
      '--out',
      out,
      '--db',
      db,
      '--json',
    ) as PredictFolderReport;
    expect(report.images).toBe(10);
    // …or as pre-labels in the store, then correct two and accept the rest.
    jaccard('prelabel', '--run', runId, '--dataset', 'photos', '--db', db, '--json');
    const corrected = join(root, 'corrected');
    mkdirSync(corrected);
    for (const stem of stems.slice(4, 6)) copyFileSync(join(out, stem), join(corrected, stem));
    const saved = jaccard('masks', corrected, '--dataset', 'photos', '--db', db, '--json') as {
      saved: number;
    };
    expect(saved.saved).toBe(2);
    const accepted = jaccard('masks', '--accept', '--dataset', 'photos', '--db', db, '--json') as {
      saved: number;
    };
    expect(accepted.saved).toBe(4);
    const [dataset] = jaccard('datasets', '--db', db, '--json') as Dataset[];
    expect(dataset).toMatchObject({ imageCount: 10, maskedCount: 10 });
  });
});
