// `jaccard compare --runs 1,2,3 [--threshold 0.5] [--json] [--report out.html] [--csv out.csv]`
// (runs by id or by name):
// the Compare view's numbers in a terminal, and its exports as files.
import { resolve } from 'node:path';
import { compareCalls, type ComparisonResult } from '#shared/api/compare';
import { formatDifference, formatInterval, formatMeanSd, formatTest } from '#shared/charts';
import { ApiError } from '#shared/errors';
import { score } from '#shared/format';
import { computeComparison } from '../../compare/compute';
import { comparisonCsv } from '../../compare/csv';
import { comparisonReport } from '../../compare/report';
import { writeFileAtomic } from '../../files';
import { resolveRunId } from '../../store/runs';
import { printJson, UsageError, withContext, type Command } from '../command';

const DISAGREEMENTS_SHOWN = 5;

export const compareCommand: Command = {
  usage:
    'compare --runs <id|name,id|name,...> [--threshold <t>] [--report <file.html>] [--csv <file.csv>]',
  summary:
    'Compare finished runs: metrics per arm (runs differing only by seed), paired t and ' +
    'Wilcoxon tests across test images and seeds, and the images they disagree on most.',
  options: {
    runs: {
      type: 'string',
      description: 'the runs to compare by id or name, e.g. 1,2,3 (at least two)',
    },
    threshold: { type: 'string', description: 'foreground at p >= t (default 0.5)' },
    report: { type: 'string', description: 'also write the self-contained HTML report here' },
    csv: { type: 'string', description: 'also write the metrics table as CSV here' },
  },
  async run({ dataDir, json, values }) {
    const { runs, threshold } = parseOptions(values);
    const written: Record<string, string> = {};
    const result = await withContext(dataDir, async (ctx) => {
      const runIds = runs.map((r) => {
        if (/^\d+$/.test(r)) return Number(r);
        try {
          return resolveRunId(ctx.db, r);
        } catch (error) {
          if (!(error instanceof ApiError && error.code === 'not-found')) throw error;
          throw new UsageError(`--runs: "${r}" is not a run id. No run is named so either.`);
        }
      });
      const parsed = compareCalls['compare.compute'].input.safeParse({ runIds, threshold });
      if (!parsed.success) throw new UsageError(`--runs: ${parsed.error.issues[0]!.message}`);
      const result = await computeComparison(ctx, parsed.data.runIds, parsed.data.threshold);
      if (typeof values.report === 'string') {
        written.report = resolve(values.report);
        await writeFileAtomic(written.report, Buffer.from(await comparisonReport(result, ctx)));
      }
      if (typeof values.csv === 'string') {
        written.csv = resolve(values.csv);
        await writeFileAtomic(written.csv, Buffer.from(comparisonCsv(result)));
      }
      return result;
    });
    if (json) printJson({ ...result, written });
    else {
      process.stdout.write(`${summary(result)}\n`);
      for (const [what, path] of Object.entries(written)) {
        process.stdout.write(`Wrote the ${what} to ${path}\n`);
      }
    }
  },
};

function parseOptions(values: Record<string, string | boolean | undefined>): {
  runs: string[];
  threshold: number;
} {
  if (typeof values.runs !== 'string') throw new UsageError('say which runs: --runs 1,2,3');
  const runs = values.runs.split(',').map((p) => p.trim());
  const bad = runs.find((p) => p === '' || /^0+$/.test(p));
  if (bad !== undefined) throw new UsageError(`--runs: "${bad}" is not a run id or name.`);
  const threshold = typeof values.threshold === 'string' ? Number(values.threshold) : undefined;
  // The threshold's own checks; the runs are looked up once the store is open.
  const parsed = compareCalls['compare.compute'].input.safeParse({
    runIds: runs.map((_, i) => i + 1),
    threshold,
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(
      `--${issue.path[0] === 'runIds' ? 'runs' : 'threshold'}: ${issue.message}`,
    );
  }
  return { runs, threshold: parsed.data.threshold };
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
      `  disagree most: ${top.map((d) => `${d.stem} (${score(d.a)} vs ${score(d.b)})`).join(', ')}`,
    );
  }
  if (result.notes.length) lines.push('', ...result.notes.map((n) => `Note: ${n}`));
  return lines.join('\n');
}
