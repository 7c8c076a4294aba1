// Vitest global setup: every temporary folder the tests make (data folders, copied
// datasets, browser profiles, killed processes' leftovers) goes under one folder that is
// removed when the run ends, so a test that dies before its own cleanup leaks nothing.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): () => void {
  const folder = mkdtempSync(join(tmpdir(), 'jaccard-tests-'));
  process.env.TMPDIR = folder;
  return () => rmSync(folder, { recursive: true, force: true });
}
