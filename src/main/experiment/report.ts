// The experiment as one self-contained HTML page, built from the Compare report's parts:
// a summary table (test IoU per loss, IoU loss vs BCE across seeds and images), the
// sparsity figures (gain against foreground fraction: the real targets of the axis, then
// the eroded sweep as a secondary check), the labelled-images figure (gain against the
// number of labelled train images, with that axis), then each dataset x model (x number
// of labelled images) in full (tests, disagreements, learning curves, per-image table).
import os from 'node:os';
import { resolve } from 'node:path';
import type { PairedSample, TestOutcome } from '#shared/api/compare';
import type { ExperimentCell, ExperimentReport, GroupSummary } from '#shared/api/experiments';
import {
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatOutcomeP,
  labelledSpec,
  sparsitySpec,
  type LabelledPoint,
  type SparsityPoint,
} from '#shared/charts';
import { duration, MISSING, percent } from '#shared/format';
import { MODEL_LABELS } from '#shared/ids';
import { describeInput, inputOf } from '#shared/input';
import { comparisonSections, escapeHtml, figure, reportPage } from '../compare/report';
import { renderSvg } from '../compare/svg';
import type { DataContext } from '../context';
import { writeFileAtomic } from '../files';
import type { ExperimentRecord } from '../store/experiments';
import { listEpochs } from '../store/runs';
import { budgetNote, budgetSummary } from './budget';
import { familyOf, summarizeGroups, type Group } from './summary';

/** A sparsity figure: which groups it plots, how it is titled and captioned. */
interface SparsityPanel {
  title: string | null;
  groups: Group[];
  note: string;
}

/** What a gain figure plots, against what. */
const gainCaption = (against: string) =>
  'Gain of the IoU loss over BCE in pooled test IoU (mean over seeds of IoU-loss run − BCE run ' +
  `with the same seed), against ${against}; bars are 95% t-intervals across seeds. Above the ` +
  'dashed line the IoU loss did better.';

const SPARSITY_CAPTION = gainCaption('the mean foreground fraction of the test masks');

const LABELLED_CAPTION = gainCaption(
  'the number of labelled train images the runs had (train and validation together: a seeded ' +
    'subset, nested across numbers for one seed; the test images are always all of them). A ' +
    "dataset's largest number may be all it has: its runs trained on the full data",
);

/** The gain of the IoU loss over BCE across seeds, when the group has it. */
function seedGain(g: GroupSummary) {
  const seeds = g.iouVsBce?.acrossSeeds;
  if (!seeds || seeds.meanDifference === null) return null;
  return {
    gain: seeds.meanDifference,
    low: seeds.ci95?.[0] ?? null,
    high: seeds.ci95?.[1] ?? null,
  };
}

export function sparsityPoints(summaries: readonly GroupSummary[]): SparsityPoint[] {
  return summaries.flatMap((g) => {
    const gain = seedGain(g);
    if (!gain || g.foreground === null || g.foreground <= 0) return [];
    return [{ label: g.datasetName, foreground: g.foreground, ...gain, series: g.model }];
  });
}

/** One line per dataset (per dataset and model, when the grid has several models). */
export function labelledPoints(summaries: readonly GroupSummary[]): LabelledPoint[] {
  const models = new Set(summaries.map((g) => g.model)).size;
  return summaries.flatMap((g) => {
    const gain = seedGain(g);
    if (!gain || g.labelled === null) return [];
    const series = models > 1 ? `${g.datasetName} · ${MODEL_LABELS[g.model]}` : g.datasetName;
    return [{ series, labelled: g.labelled, ...gain }];
  });
}

export async function experimentReport(
  ctx: DataContext,
  record: ExperimentRecord,
  cells: readonly ExperimentCell[],
): Promise<ExperimentReport> {
  const groups = await summarizeGroups(ctx, record, cells);
  const panels = sparsityPanels(record, groups);
  const specs = panels.map((panel) => {
    const points = sparsityPoints(panel.groups.map((g) => g.summary));
    return points.length ? sparsitySpec(points, { a: 'IoU loss', b: 'BCE' }) : null;
  });
  const labelled = labelledPoints(groups.map((g) => g.summary));
  const labelledFigure = labelled.length
    ? labelledSpec(labelled, { a: 'IoU loss', b: 'BCE' })
    : null;
  const title = `Experiment ${record.id}: ${record.name}`;
  const parts = [
    `<h1>${escapeHtml(title)}</h1>`,
    `<p class="meta">${meta(record, cells)}</p>`,
    missingNote(cells),
    `<p>${escapeHtml(budgetNote(budgetSummary(record.protocol, cells, (id) => listEpochs(ctx.db, id))))}</p>`,
    `<p>${escapeHtml(familyNote(groups))}</p>`,
    '<h2>Summary</h2>',
    '<p class="muted">Test IoU per loss: pooled over the test images at threshold 0.5, mean ± sd ' +
      'over seeds (n finished runs). Gain = IoU loss − BCE, paired by seed (pooled test IoU, with ' +
      'its 95% t-interval) and by test image (per-image IoU, each loss averaged over its seeds); ' +
      'two-sided paired t-tests and Wilcoxon signed-rank test, each p raw and Holm-adjusted. ' +
      'The verdict reads the Holm-adjusted t-test across seeds at 0.05. Every pair of losses is ' +
      'tested in the sections below.</p>',
    summaryTable(record, groups),
    '<h2>Does the gain grow when the foreground is sparse?</h2>',
  ];
  for (const [i, panel] of panels.entries()) {
    const spec = specs[i];
    if (panel.title) parts.push(`<h3>${escapeHtml(panel.title)}</h3>`);
    parts.push(
      spec
        ? await figure(spec, [SPARSITY_CAPTION, panel.note].filter(Boolean).join(' '))
        : '<p class="muted">No dataset here has finished IoU-loss and BCE runs yet.</p>',
    );
    if (panel.title && panel.groups.length) parts.push(summaryTable(record, panel.groups));
  }
  if (record.grid.labelledCounts) {
    parts.push(
      '<h2>Does the gain depend on how many images are labelled?</h2>',
      labelledFigure
        ? await figure(labelledFigure, LABELLED_CAPTION)
        : '<p class="muted">No dataset here has finished IoU-loss and BCE runs yet.</p>',
    );
  }
  for (const group of groups) {
    const { datasetName, model, labelled: n } = group.summary;
    const heading = [datasetName, MODEL_LABELS[model], ...(n === null ? [] : [`${n} labelled`])];
    parts.push(`<h2>${escapeHtml(heading.join(' · '))}</h2>`);
    parts.push(
      group.comparison
        ? await comparisonSections(group.comparison, 3)
        : '<p class="muted">Fewer than two finished runs: nothing to compare yet.</p>',
    );
  }
  const [main, sweep] = specs;
  return {
    filename: `experiment-${record.id}.html`,
    html: reportPage(title, parts.join('\n')),
    sparsitySvg: main ? await renderSvg(main) : null,
    sweepSvg: panels.length > 1 && sweep ? await renderSvg(sweep) : null,
    labelledSvg: labelledFigure && (await renderSvg(labelledFigure)),
  };
}

/**
 * The real axis (its targets in order of foreground, densest first) and, beside it, the
 * eroded sweep (its source and derived tasks) as the secondary check; with neither, one
 * figure of every dataset. With the labelled-images axis, each dataset x model is plotted
 * at its most labelled images, so there is still one point per target.
 */
function sparsityPanels(record: ExperimentRecord, all: readonly Group[]): SparsityPanel[] {
  const { sparsityAxis: axis, sparsitySweep: sweep } = record.grid;
  const groups = all.filter(
    ({ summary: g }) =>
      !all.some(
        ({ summary: o }) =>
          o.datasetId === g.datasetId &&
          o.model === g.model &&
          (o.labelled ?? 0) > (g.labelled ?? 0),
      ),
  );
  const of = (names: readonly string[]) =>
    groups
      .filter((g) => names.includes(g.summary.datasetName))
      .sort((a, b) => (b.summary.foreground ?? 0) - (a.summary.foreground ?? 0));
  const panels: SparsityPanel[] = [];
  if (axis) {
    panels.push({
      title: `Real targets on the same images: ${axis.join(', ')}`,
      groups: of(axis),
      note: 'Every point is a different target labelled on the same images, so only the target changes between points.',
    });
  }
  if (sweep) {
    const derived = record.grid.datasets
      .filter((d) => d.derivedFrom?.dataset === sweep.dataset)
      .map((d) => d.name);
    panels.push({
      title: `${axis ? 'Secondary check: ' : ''}the masks of ${sweep.dataset} eroded or dilated`,
      groups: of([sweep.dataset, ...derived]),
      note: 'The derived tasks shrink or grow one blob per image, so shape changes with sparsity.',
    });
  }
  return panels.length ? panels : [{ title: null, groups: [...groups], note: '' }];
}

function meta(record: ExperimentRecord, cells: readonly ExperimentCell[]): string {
  const p = record.protocol;
  const runs = cells.flatMap((c) => (c.run ? [c.run] : []));
  const backends = [...new Set(runs.flatMap((r) => (r.backend ? [r.backend] : [])))];
  const trainSeconds = runs.reduce((s, r) => s + (r.durationSeconds ?? 0), 0);
  const g = record.grid;
  const labelled = g.labelledCounts
    ? ` × ${g.labelledCounts.join(', ')} labelled train images (all a dataset has, at or above its count)`
    : '';
  return escapeHtml(
    `${g.datasets.length} datasets × ${g.models.length} models × ${g.losses.length} losses × ` +
      `${g.seeds.length} seeds${labelled} = ${cells.length} runs. Protocol: ${describeInput(inputOf(p), p.size)}, ` +
      `at most ${p.epochs} epochs (patience ${p.patience}), batch ${p.batchSize}, Adam lr ${p.learningRate}, ` +
      `${p.baseFilters} base filters, depth ${p.depth}, augmentation ${p.augment ? 'on' : 'off'}, ` +
      `validation ${p.validationFraction}. Backend: ${backends.join(', ') || MISSING}. ` +
      `Training time, summed over runs: ${duration(trainSeconds)}. ` +
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

/**
 * Writes a report to `path` (HTML) and its figures beside it (<name>.sparsity.svg,
 * .sweep.svg, .labelled.svg, those it has); says what it wrote where.
 */
export async function writeExperimentReport(
  report: ExperimentReport,
  path: string,
): Promise<Record<string, string>> {
  const html = resolve(path);
  const written: Record<string, string> = { report: html };
  await writeFileAtomic(html, Buffer.from(report.html));
  for (const [what, svg, suffix] of [
    ['sparsityFigure', report.sparsitySvg, '.sparsity.svg'],
    ['sweepFigure', report.sweepSvg, '.sweep.svg'],
    ['labelledFigure', report.labelledSvg, '.labelled.svg'],
  ] as const) {
    if (!svg) continue;
    written[what] = html.replace(/(\.html?)?$/i, suffix);
    await writeFileAtomic(written[what], Buffer.from(svg));
  }
  return written;
}

/** How many tests the report ran, and that their p-values are adjusted together. */
export function familyNote(groups: readonly Group[]): string {
  const family = familyOf(groups);
  const tested = family.filter((o) => o.testable).length;
  const untestable = family.length - tested;
  return (
    `This report ran ${tested} paired test${tested === 1 ? '' : 's'}` +
    (untestable ? ` (${untestable} more had too few pairs or no differences to test)` : '') +
    '. Each p-value is shown raw and Holm-adjusted over all of them (family-wise error ' +
    'rate, valid under any dependence); claims of a difference use the adjusted ones.'
  );
}

function pCell(outcome: TestOutcome | undefined, adjusted = false): string {
  const text = escapeHtml(formatOutcomeP(outcome, adjusted));
  return outcome && !outcome.testable
    ? `<span class="untestable" title="${escapeHtml(outcome.reason)}">${text}</span>`
    : text;
}

/** What the seed-level test lets the summary claim, at 0.05 after Holm. */
export function verdict(seeds: PairedSample | undefined): string {
  const t = seeds?.tTest;
  if (!t?.testable || !t.holm || seeds?.meanDifference == null) return 'not tested';
  if (t.holm.pValue >= 0.05) return 'no difference shown';
  return seeds.meanDifference > 0 ? 'IoU loss better' : 'BCE better';
}

function summaryTable(record: ExperimentRecord, groups: readonly Group[]): string {
  const byLabelled = record.grid.labelledCounts !== null;
  const head = [
    'Dataset',
    'Foreground',
    ...(byLabelled ? ['Labelled'] : []),
    'Model',
    ...record.grid.losses,
    'Gain by seed (95% CI)',
    't-test p',
    'Holm',
    'Verdict',
    'Gain by image',
    't-test p',
    'Holm',
    'Wilcoxon p',
    'Holm',
  ];
  const rows = groups.map(({ summary: s }) => {
    const seeds = s.iouVsBce?.acrossSeeds;
    const images = s.iouVsBce?.acrossImages;
    return [
      escapeHtml(s.datasetName),
      percent(s.foreground),
      ...(byLabelled ? [s.labelled === null ? MISSING : String(s.labelled)] : []),
      escapeHtml(s.model),
      ...s.losses.map((l) => (l.iou ? `${formatMeanSd(l.iou)} (${l.iou.n})` : MISSING)),
      formatDifference(seeds?.meanDifference ?? null) +
        (seeds?.ci95 ? ` ${formatInterval(seeds.ci95)}` : ''),
      pCell(seeds?.tTest),
      pCell(seeds?.tTest, true),
      escapeHtml(verdict(seeds)),
      formatDifference(images?.meanDifference ?? null),
      pCell(images?.tTest),
      pCell(images?.tTest, true),
      pCell(images?.wilcoxon),
      pCell(images?.wilcoxon, true),
    ];
  });
  const th = head.map((h) => `<th>${escapeHtml(h)}</th>`).join('');
  // The scores after the model column are numbers.
  const model = head.indexOf('Model');
  const body = rows
    .map(
      (r) =>
        `<tr>${r.map((c, i) => `<td${i > model ? ' class="num"' : ''}>${c}</td>`).join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${th}</tr></thead>\n<tbody>${body}</tbody></table>`;
}
