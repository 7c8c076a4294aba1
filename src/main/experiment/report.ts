// The experiment as one self-contained HTML page, built from the Compare report's parts:
// a summary table (test IoU per loss, IoU loss vs BCE across seeds and images), the
// sparsity figure (gain against foreground fraction), then each dataset x model in full
// (tests, disagreements, learning curves, per-image table).
import os from 'node:os';
import type { TestOutcome } from '#shared/api/compare';
import type { ExperimentCell, GroupSummary } from '#shared/api/experiments';
import {
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatP,
  sparsitySpec,
  type SparsityPoint,
} from '#shared/charts';
import { MODEL_LABELS } from '#shared/ids';
import { comparisonSections, escapeHtml, figure, reportPage } from '../compare/report';
import { renderSvg } from '../compare/svg';
import type { DataContext } from '../context';
import type { ExperimentRecord } from '../store/experiments';
import { summarizeGroups, type Group } from './summary';

export interface ExperimentReport {
  html: string;
  /** The sparsity figure alone, for documents that embed it; null without points. */
  sparsitySvg: string | null;
}

const SPARSITY_CAPTION =
  'Gain of the IoU loss over BCE in pooled test IoU (mean over seeds of IoU-loss run − BCE run ' +
  'with the same seed), against the mean foreground fraction of the test masks; bars are 95% ' +
  't-intervals across seeds. Above the dashed line the IoU loss did better.';

export function sparsityPoints(summaries: readonly GroupSummary[]): SparsityPoint[] {
  return summaries.flatMap((g) => {
    const seeds = g.iouVsBce?.acrossSeeds;
    if (!seeds || seeds.meanDifference === null || g.foreground === null || g.foreground <= 0)
      return [];
    return [
      {
        label: g.datasetName,
        foreground: g.foreground,
        gain: seeds.meanDifference,
        low: seeds.ci95?.[0] ?? null,
        high: seeds.ci95?.[1] ?? null,
        series: g.model,
      },
    ];
  });
}

export async function experimentReport(
  ctx: DataContext,
  record: ExperimentRecord,
  cells: readonly ExperimentCell[],
): Promise<ExperimentReport> {
  const groups = await summarizeGroups(ctx, record, cells);
  const points = sparsityPoints(groups.map((g) => g.summary));
  const spec = points.length ? sparsitySpec(points, { a: 'IoU loss', b: 'BCE' }) : null;
  const title = `Experiment ${record.id}: ${record.name}`;
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${meta(record, cells)}</p>`,
    missingNote(cells),
    '<h2>Summary</h2>',
    '<p class="muted">Test IoU per loss: pooled over the test images at threshold 0.5, mean ± sd ' +
      'over seeds (n finished runs). Gain = IoU loss − BCE, paired by seed (pooled test IoU, with ' +
      'its 95% t-interval) and by test image (per-image IoU, each loss averaged over its seeds); ' +
      'two-sided paired t-tests and Wilcoxon signed-rank test. Every pair of losses is tested in ' +
      'the sections below.</p>',
    summaryTable(record, groups),
    '<h2>Does the gain grow when the foreground is sparse?</h2>',
    spec
      ? await figure(spec, SPARSITY_CAPTION)
      : '<p class="muted">No dataset has finished IoU-loss and BCE runs yet.</p>',
  ];
  for (const group of groups) {
    const { datasetName, model } = group.summary;
    parts.push(`<h2>${escapeHtml(`${datasetName} · ${MODEL_LABELS[model]}`)}</h2>`);
    parts.push(
      group.comparison
        ? await comparisonSections(group.comparison, 3)
        : '<p class="muted">Fewer than two finished runs: nothing to compare yet.</p>',
    );
  }
  return {
    html: reportPage(title, parts.join('\n')),
    sparsitySvg: spec ? await renderSvg(spec) : null,
  };
}

function meta(record: ExperimentRecord, cells: readonly ExperimentCell[]): string {
  const p = record.protocol;
  const runs = cells.flatMap((c) => (c.run ? [c.run] : []));
  const backends = [...new Set(runs.flatMap((r) => (r.backend ? [r.backend] : [])))];
  const trainSeconds = runs.reduce((s, r) => s + (r.durationSeconds ?? 0), 0);
  const g = record.grid;
  return escapeHtml(
    `${g.datasets.length} datasets × ${g.models.length} models × ${g.losses.length} losses × ` +
      `${g.seeds.length} seeds = ${cells.length} runs. Protocol: ${p.size}px, ${p.epochs} epochs ` +
      `(patience ${p.patience}), batch ${p.batchSize}, Adam lr ${p.learningRate}, ` +
      `${p.baseFilters} base filters, depth ${p.depth}, augmentation ${p.augment ? 'on' : 'off'}, ` +
      `validation ${p.validationFraction}. Backend: ${backends.join(', ') || '–'}. ` +
      `Training time, summed over runs: ${(trainSeconds / 60).toFixed(1)} min. ` +
      `Written ${new Date().toISOString()} on ${os.availableParallelism()} cores ` +
      `(${os.cpus()[0]?.model ?? 'unknown CPU'}), Node ${process.version}.`,
  );
}

function missingNote(cells: readonly ExperimentCell[]): string {
  const missing = cells.filter((c) => c.run?.status !== 'finished');
  if (!missing.length) return '';
  const list = missing.map((c) => `${c.key} (${c.run ? c.run.status : 'not started'})`).join(', ');
  return `<div class="notes"><p>${missing.length} of ${cells.length} runs are not finished and are left out: ${escapeHtml(list)}.</p></div>`;
}

function pCell(outcome: TestOutcome | undefined): string {
  if (!outcome) return '–';
  return outcome.testable
    ? escapeHtml(formatP(outcome.pValue))
    : `<span class="untestable" title="${escapeHtml(outcome.reason)}">n/a</span>`;
}

function summaryTable(record: ExperimentRecord, groups: readonly Group[]): string {
  const head = [
    'Dataset',
    'Foreground',
    'Model',
    ...record.grid.losses,
    'Gain by seed (95% CI)',
    't-test',
    'Gain by image',
    't-test',
    'Wilcoxon',
  ];
  const rows = groups.map(({ summary: s }) => {
    const seeds = s.iouVsBce?.acrossSeeds;
    const images = s.iouVsBce?.acrossImages;
    return [
      escapeHtml(s.datasetName),
      s.foreground === null ? '–' : `${(s.foreground * 100).toFixed(1)}%`,
      escapeHtml(s.model),
      ...s.losses.map((l) => (l.iou ? `${formatMeanSd(l.iou)} (${l.iou.n})` : '–')),
      formatDifference(seeds?.meanDifference ?? null) +
        (seeds?.ci95 ? ` ${formatInterval(seeds.ci95)}` : ''),
      pCell(seeds?.tTest),
      formatDifference(images?.meanDifference ?? null),
      pCell(images?.tTest),
      pCell(images?.wilcoxon),
    ];
  });
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  const body = rows
    .map(
      (r) => `<tr>${r.map((c, i) => `<td${i > 2 ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead>\n<tbody>${body}</tbody></table>`;
}
