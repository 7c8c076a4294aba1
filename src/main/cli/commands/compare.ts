// `jaccard compare --runs 1,2,3 [--threshold 0.5] [--json] [--report out.html] [--csv out.csv]`:
// the Compare view's numbers in a terminal, and its exports as files.
import { resolve } from 'node:path';
import { compareCalls, type ComparisonResult } from '../../../shared/api/compare';
import {
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatScore,
  formatTest,
} from '../../../shared/charts';
import { ApiError } from '../../../shared/errors';
import { computeComparison } from '../../compare/compute';
import { comparisonCsv } from '../../compare/csv';
import { comparisonReport } from '../../compare/report';
import { createContext } from '../../context';
import { writeFileAtomic } from '../../files';

export interface CompareOptions {
  dataDir: string;
  /** As typed: "1,2,3". */
  runs: string;
  threshold?: number;
  json?: boolean;
  /** Where to write the HTML report / the CSV table, relative to the working folder. */
  report?: string;
  csv?: string;
}

const DISAGREEMENTS_SHOWN = 5;

export function parseRunIds(text: string): number[] {
  const parts = text
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const ids = parts.map(Number);
  const bad = parts.find((_, i) => !Number.isInteger(ids[i]) || ids[i]! <= 0);
  if (bad !== undefined) throw new ApiError('invalid', `--runs: "${bad}" is not a run id.`);
  return ids;
}

export async function compare(options: CompareOptions): Promise<void> {
  const parsed = compareCalls['compare.compute'].input.safeParse({
    runIds: parseRunIds(options.runs),
    threshold: options.threshold,
  });
  if (!parsed.success) throw new ApiError('invalid', parsed.error.issues[0]!.message);
  const { runIds, threshold } = parsed.data;
  const ctx = createContext(options.dataDir);
  try {
    const result = await computeComparison(ctx, runIds, threshold);
    const written: Record<string, string> = {};
    if (options.report) {
      written.report = resolve(options.report);
      await writeFileAtomic(written.report, Buffer.from(await comparisonReport(result)));
    }
    if (options.csv) {
      written.csv = resolve(options.csv);
      await writeFileAtomic(written.csv, Buffer.from(comparisonCsv(result)));
    }
    if (options.json) console.log(JSON.stringify({ ...result, written }));
    else {
      console.log(summary(result));
      for (const [what, path] of Object.entries(written))
        console.log(`Wrote the ${what} to ${path}`);
    }
  } finally {
    ctx.db.close();
  }
}

function summary(result: ComparisonResult): string {
  const lines: string[] = [
    `Threshold ${result.threshold}, ${result.images.length} test images.`,
    '',
  ];
  const width = Math.max(...result.arms.map((a) => a.label.length), 3);
  lines.push(`${'Arm'.padEnd(width)}  seeds  IoU              Dice`);
  for (const arm of result.arms) {
    lines.push(
      `${arm.label.padEnd(width)}  ${String(arm.seeds.length).padEnd(5)}  ` +
        `${formatMeanSd(arm.metrics.iou).padEnd(15)}  ${formatMeanSd(arm.metrics.dice)}`,
    );
  }
  for (const test of result.tests) {
    const [a, b] = [result.arms[test.a]!.label, result.arms[test.b]!.label];
    lines.push('', `${a} vs ${b} (differences are ${a} − ${b})`);
    for (const [level, s] of [
      ['across images', test.acrossImages],
      ['across seeds', test.acrossSeeds],
    ] as const) {
      lines.push(
        `  ${level}: n = ${s.n}, mean IoU difference ${formatDifference(s.meanDifference)}, 95% CI ${formatInterval(s.ci95)}`,
        `    paired t-test: ${formatTest(s.tTest)}`,
        `    Wilcoxon signed-rank: ${formatTest(s.wilcoxon)}`,
      );
    }
    const top = test.disagreements.slice(0, DISAGREEMENTS_SHOWN);
    lines.push(
      `  disagree most: ${top.map((d) => `${d.stem} (${formatScore(d.a)} vs ${formatScore(d.b)})`).join(', ')}`,
    );
  }
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `Note: ${n}`));
  return lines.join('\n');
}
