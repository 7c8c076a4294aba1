// Several processes write one store at once (the engine, its trainers, a CLI experiment).
// A deferred transaction that reads and then writes fails at once with SQLITE_BUSY when
// another process commits in between, whatever busy_timeout says; this once failed a
// CI run's experiment cell twice. Two processes settle and record runs as fast as they
// can here, and neither may see an error.
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { openDatabase } from '../../src/main/store/database';
import { createDataset } from '../../src/main/store/datasets';
import { createRun, getRun, listEpochs } from '../../src/main/store/runs';
import { repoRoot } from '../paths';
import { tinyConfig } from './train-fixture';

const root = mkdtempSync(join(tmpdir(), 'jaccard-concurrency-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

const WRITER = `
const [file, runId, seconds] = process.argv.slice(-3);
const { openDatabase } = await import(${JSON.stringify(join(repoRoot, 'src/main/store/database.ts'))});
const { recordEpoch, transitionRun } = await import(${JSON.stringify(join(repoRoot, 'src/main/store/runs.ts'))});
const db = openDatabase(file);
const id = Number(runId);
const end = Date.now() + Number(seconds) * 1000;
let epoch = 0;
while (Date.now() < end) {
  epoch++;
  transitionRun(db, id, ['queued', 'running'], { status: 'running', pid: process.pid });
  recordEpoch(db, id, { epoch, trainLoss: 1, valLoss: 1, valIou: 0.5, imagesPerSecond: 1, seconds: 1 }, 0.5);
}
transitionRun(db, id, ['running'], { status: 'finished', pid: null });
db.close();
console.log(epoch);
`;

function writer(file: string, runId: number, seconds: number) {
  const child = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      '--input-type=module',
      '--eval',
      WRITER,
      file,
      String(runId),
      String(seconds),
    ],
    { cwd: repoRoot },
  );
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d: Buffer) => (stdout += d));
  child.stderr.on('data', (d: Buffer) => (stderr += d));
  return new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) =>
    child.on('exit', (code) => resolve({ code, stdout, stderr })),
  );
}

it('lets two processes settle and record runs at once without SQLITE_BUSY', async () => {
  const file = join(root, 'jaccard.db');
  const db = openDatabase(file);
  const dataset = createDataset(db, 'shared');
  const runs = [1, 2].map((seed) =>
    createRun(db, { config: tinyConfig(dataset.id, { seed }), name: `r${seed}` }),
  );

  const results = await Promise.all(runs.map((run) => writer(file, run.id, 2)));
  for (const result of results) {
    expect(result.stderr).not.toMatch(/SQLITE_BUSY|database is locked/);
    expect(result.code).toBe(0);
  }
  for (const [i, run] of runs.entries()) {
    const epochs = Number(results[i]!.stdout);
    expect(epochs).toBeGreaterThan(10);
    expect(getRun(db, run.id)).toMatchObject({ status: 'finished', epochsDone: epochs });
    expect(listEpochs(db, run.id)).toHaveLength(epochs);
  }
  db.close();
});
