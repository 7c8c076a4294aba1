import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../src/main/cli/index';
import type { Dataset, ImportReport } from '../../src/shared/domain';
import { FACE, repoRoot } from '../paths';

/** The real command, as a user runs it (tsx start-up included). */
function spawnJaccard(...args: string[]) {
  const run = spawnSync(process.execPath, [join(repoRoot, 'bin/jaccard.js'), ...args], {
    encoding: 'utf8',
  });
  return { code: run.status, stdout: run.stdout, stderr: run.stderr };
}

/** The same dispatcher in this process, with its output captured: much faster. */
async function jaccard(...args: string[]) {
  let stdout = '';
  let stderr = '';
  const out = vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => {
    stdout += String(chunk);
    return true;
  });
  const err = vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => {
    stderr += String(chunk);
    return true;
  });
  try {
    return { code: await main(args), stdout, stderr };
  } finally {
    out.mockRestore();
    err.mockRestore();
  }
}

describe('jaccard import / datasets', () => {
  const db = join(mkdtempSync(join(tmpdir(), 'jaccard-cli-')), 'jaccard.db');

  it('bin/jaccard.js imports fasseg-face and prints the report as JSON', () => {
    const run = spawnJaccard('import', FACE, '--name', 'face', '--json', '--db', db);
    expect(run.code, run.stderr).toBe(0);
    const report = JSON.parse(run.stdout) as ImportReport;
    expect([report.images, report.masks]).toEqual([70, 70]);
    expect(report.splits).toEqual({ train: 20, test: 50, unassigned: 0 });
    expect(report.dataset).toMatchObject({ id: 1, name: 'face', imageCount: 70 });
  });

  it('lists datasets as a table and as JSON', async () => {
    const text = spawnJaccard('datasets', '--db', db);
    expect(text.code, text.stderr).toBe(0);
    expect(text.stdout).toMatch(/^ID\s+NAME\s+IMAGES/);
    // 70 images, 70 masked, none of them a pre-label.
    expect(text.stdout).toMatch(/\n1\s+face\s+70\s+70\s+0\s+5\d\.\d%\s+20\s+50\s+0\n/);

    const json = await jaccard('datasets', 'list', '--json', '--db', db);
    expect(json.code, json.stderr).toBe(0);
    const [face] = JSON.parse(json.stdout) as Dataset[];
    expect(face).toMatchObject({
      name: 'face',
      imageCount: 70,
      maskedCount: 70,
      prelabelledCount: 0,
    });
    expect(face!.splits).toEqual({ train: 20, test: 50, unassigned: 0 });
  });

  it('summarizes a repeated import with its problems, as text', async () => {
    const run = await jaccard('import', FACE, '--name', 'face', '--db', db);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toContain('Imported 0 images (0 with masks) into "face" (dataset 1).');
    expect(run.stdout).toContain('70 problem(s):');
    expect(run.stdout).toContain(
      '  test/images/9.png: image skipped: the test split already has an image named "9"',
    );
  });

  it('explains mistakes with usage (exit 2) and failures with a message (exit 1)', async () => {
    const noFolder = await jaccard('import', '--db', db);
    expect(noFolder.code).toBe(2);
    expect(noFolder.stderr).toContain('give exactly one folder');
    expect(noFolder.stderr).toContain('Usage: jaccard import <folder>');

    const typo = await jaccard('import', FACE, '--nmae', 'x', '--db', db);
    expect(typo.code).toBe(2);
    expect(typo.stderr).toContain("Unknown option '--nmae'");

    expect((await jaccard('frobnicate')).code).toBe(2);
    expect((await jaccard()).code).toBe(2);
    const help = await jaccard('--help');
    expect(help.code).toBe(0);
    expect(help.stdout).toMatch(/\n {2}import +Copy a folder of images/);

    const missing = await jaccard('import', join(FACE, 'nope'), '--db', db);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toMatch(/^jaccard import: Cannot open .*nope: it does not exist\.\n$/);

    const asJson = await jaccard('import', join(FACE, 'nope'), '--db', db, '--json');
    expect(asJson.code).toBe(1);
    expect(JSON.parse(asJson.stdout)).toMatchObject({ error: { code: 'not-found' } });

    const otherName = await jaccard('datasets', '--db', join(dirname(db), 'other.db'));
    expect(otherName.code).toBe(2);
    expect(otherName.stderr).toContain('always named jaccard.db');
  });

  it('deletes a dataset by name', async () => {
    const run = await jaccard('datasets', 'delete', 'face', '--db', db);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stdout).toBe('Deleted dataset "face" (1) and its 70 images.\n');
    expect(JSON.parse((await jaccard('datasets', '--json', '--db', db)).stdout)).toEqual([]);
    const again = await jaccard('datasets', 'delete', 'face', '--db', db);
    expect([again.code, again.stderr]).toEqual([
      1,
      'jaccard datasets: There is no dataset named "face": `jaccard datasets` lists them, ' +
        'the Datasets view or `jaccard import <folder> --name face` adds one.\n',
    ]);
  });
});
