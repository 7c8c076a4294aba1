// A comparison as one self-contained HTML file: styles inline, figures as inline SVG,
// nothing fetched, so it opens offline and can be mailed or archived as it is. The
// experiment report composes the same pieces (page, figure, comparisonSections).
import type { ArmComparison, ComparisonResult, PairedSample } from '#shared/api/compare';
import { METRIC_LABELS, METRIC_NAMES } from '#shared/api/compare';
import {
  curvePoints,
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatTest,
  iouScatterSpec,
  learningCurvesSpec,
  metricBars,
  metricBarsSpec,
  type ChartSpec,
} from '#shared/charts';
import { ERROR_COLOURS } from '#shared/error-colours';
import { duration, MISSING, percent, score } from '#shared/format';
import type { Db } from '../store/database';
import { disagreementOverlays, type OverlayImage } from './overlays';
import { renderSvg } from './svg';

/** Disagreements listed per pair of arms; the per-image table has every image. */
const DISAGREEMENTS_SHOWN = 10;

const STYLE = `
  :root { color-scheme: light; --ink: #1d2329; --muted: #5b6670; --line: #d9dee3; --tint: #f4f6f8; }
  body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--ink);
    max-width: 1100px; margin: 2rem auto; padding: 0 1.25rem; }
  h1 { font-size: 1.5rem; margin-bottom: 0.25rem; }
  h2 { font-size: 1.2rem; margin-top: 2.25rem; border-bottom: 1px solid var(--line); padding-bottom: 0.25rem; }
  h3 { font-size: 1rem; margin-top: 1.5rem; }
  .meta, figcaption, .muted { color: var(--muted); }
  table { border-collapse: collapse; margin: 0.75rem 0; font-variant-numeric: tabular-nums; }
  th, td { border-bottom: 1px solid var(--line); padding: 0.3rem 0.7rem; text-align: left; vertical-align: top; }
  th { background: var(--tint); font-weight: 600; }
  td.num { text-align: right; white-space: nowrap; }
  figure { margin: 1rem 0; }
  figure svg { max-width: 100%; height: auto; }
  .overlay-row { display: flex; gap: 12px; flex-wrap: wrap; margin: 8px 0; }
  figure.overlay { margin: 0; }
  figure.overlay img { display: block; image-rendering: pixelated; }
  figure.overlay figcaption { font-size: 12px; color: #555; }
  .swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; }
  .notes { background: #fff8e1; border-left: 4px solid #f0b400; padding: 0.5rem 1rem; }
  .untestable { color: var(--muted); font-style: italic; }
  details summary { cursor: pointer; margin: 0.75rem 0; }
`;

export function escapeHtml(text: string): string {
  return text.replace(
    /[&<>"']/g,
    (c) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[c]!,
  );
}

/** A complete HTML document around already-escaped body HTML. */
export function reportPage(title: string, body: string): string {
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>${STYLE}</style>
</head>
<body>
${body}
</body>
</html>
`;
}

/** A chart rendered to inline SVG with a caption. */
export async function figure(spec: ChartSpec, caption: string): Promise<string> {
  return `<figure>${await renderSvg(spec)}<figcaption>${escapeHtml(caption)}</figcaption></figure>`;
}

function table(
  head: readonly string[],
  rows: readonly string[][],
  numeric: ReadonlySet<number>,
): string {
  const cell = (tag: 'td' | 'th', html: string, i: number) =>
    `<${tag}${numeric.has(i) ? ' class="num"' : ''}>${html}</${tag}>`;
  return `<table><thead><tr>${head.map((h, i) => cell('th', escapeHtml(h), i)).join('')}</tr></thead>
<tbody>${rows.map((r) => `<tr>${r.map((c, i) => cell('td', c, i)).join('')}</tr>`).join('\n')}</tbody></table>`;
}

const range = (from: number, to: number) =>
  new Set(Array.from({ length: to - from }, (_, i) => from + i));

function armTable(result: ComparisonResult): string {
  const rows = result.arms.map((arm) => [
    escapeHtml(arm.label),
    escapeHtml(arm.seeds.join(', ')),
    ...METRIC_NAMES.map((m) => formatMeanSd(arm.metrics[m])),
  ]);
  const head = ['Arm', 'Seeds', ...METRIC_NAMES.map((m) => METRIC_LABELS[m])];
  return table(head, rows, range(2, head.length));
}

function runTable(result: ComparisonResult): string {
  const rows = result.runs.map(({ run, label, metrics, epochs }) => [
    String(run.id),
    escapeHtml(label),
    escapeHtml(run.name),
    escapeHtml(run.datasetName),
    escapeHtml(`${run.config.model}, ${run.config.size}px, ${epochs.length} epochs`),
    escapeHtml(run.backend ?? MISSING),
    duration(run.durationSeconds),
    ...METRIC_NAMES.map((m) => score(metrics[m])),
  ]);
  const head = ['Run', 'Label', 'Name', 'Dataset', 'Model', 'Backend', 'Duration'];
  const metrics = METRIC_NAMES.map((m) => METRIC_LABELS[m]);
  return table([...head, ...metrics], rows, range(head.length - 1, head.length + metrics.length));
}

function testCell(outcome: PairedSample['tTest']): string {
  const text = escapeHtml(formatTest(outcome));
  return outcome.testable ? text : `<span class="untestable">${text}</span>`;
}

function testTable(result: ComparisonResult, test: ArmComparison): string {
  const [a, b] = [result.arms[test.a]!.label, result.arms[test.b]!.label];
  const row = (level: string, s: PairedSample) => [
    escapeHtml(level),
    String(s.n),
    score(s.meanA),
    score(s.meanB),
    formatDifference(s.meanDifference),
    formatInterval(s.ci95),
    testCell(s.tTest),
    testCell(s.wilcoxon),
  ];
  return table(
    [
      'Pairs',
      'n',
      `IoU ${a}`,
      `IoU ${b}`,
      'A − B',
      '95% CI',
      'Paired t-test',
      'Wilcoxon signed-rank',
    ],
    [
      row('test images (arm means)', test.acrossImages),
      row('seeds (pooled IoU)', test.acrossSeeds),
    ],
    range(1, 6),
  );
}

function disagreementTable(result: ComparisonResult, test: ArmComparison): string {
  const [a, b] = [result.arms[test.a]!.label, result.arms[test.b]!.label];
  const rows = test.disagreements
    .slice(0, DISAGREEMENTS_SHOWN)
    .map((d) => [escapeHtml(d.stem), score(d.a), score(d.b), formatDifference(d.difference)]);
  return table(['Image', `IoU ${a}`, `IoU ${b}`, 'A − B'], rows, range(1, 4));
}

function imageTable(result: ComparisonResult): string {
  const rows = result.images.map((im) => [
    escapeHtml(im.stem),
    percent(im.foreground),
    ...im.iou.map(score),
  ]);
  const head = ['Image', 'Foreground', ...result.runs.map((r) => `IoU ${r.label}`)];
  return table(head, rows, range(1, head.length));
}

/**
 * Everything about one comparison as HTML sections: tables, tests, disagreements,
 * figures. `level` is the heading level of the section titles.
 */
export async function comparisonSections(
  result: ComparisonResult,
  level = 2,
  overlays: OverlayImage[][] = [],
): Promise<string> {
  const h = (text: string, plus = 0) => `<h${level + plus}>${escapeHtml(text)}</h${level + plus}>`;
  const parts: string[] = [];
  if (result.notes.length) {
    parts.push(
      `<div class="notes">${result.notes.map((n) => `<p>${escapeHtml(n)}</p>`).join('')}</div>`,
    );
  }
  parts.push(
    h('Metrics'),
    `<p class="muted">Pooled over the test images at threshold ${result.threshold}; arms show mean ± sd over seeds.</p>`,
    armTable(result),
    await figure(
      metricBarsSpec(metricBars(result)),
      'Pooled test metrics per arm, mean ± 1 sd over seeds.',
    ),
    runTable(result),
  );
  if (result.tests.length) {
    parts.push(
      h('Paired tests'),
      '<p class="muted">Two-sided. Across images: per-image IoU, each arm averaged over its seeds. ' +
        'Across seeds: pooled test IoU of runs with the same seed. Effect sizes: Cohen’s d<sub>z</sub> ' +
        '(mean difference / sd of differences) and the matched-pairs rank-biserial r.</p>',
    );
    for (const [t, test] of result.tests.entries()) {
      const [a, b] = [result.arms[test.a]!.label, result.arms[test.b]!.label];
      parts.push(
        h(`${a} vs ${b}`, 1),
        testTable(result, test),
        await figure(
          iouScatterSpec(test.disagreements, { a, b }),
          `Per-image IoU, ${a} against ${b}; above the diagonal ${b} did better.`,
        ),
        `<p>Where they disagree most (of ${test.disagreements.length} images):</p>`,
        disagreementTable(result, test),
        overlayFigures(overlays[t] ?? []),
      );
    }
  }
  const curves = result.runs.flatMap((r) =>
    curvePoints(r.label, r.epochs, result.arms[r.arm]!.label),
  );
  if (curves.length) {
    parts.push(
      h('Learning curves'),
      await figure(
        learningCurvesSpec(curves),
        'Loss and validation IoU per epoch, one line per run.',
      ),
    );
  }
  parts.push(
    h('Per-image IoU'),
    `<details><summary>${result.images.length} test images</summary>${imageTable(result)}</details>`,
  );
  return parts.join('\n');
}

function overlayFigures(images: OverlayImage[]): string {
  if (!images.length) return '';
  const swatch = (rgb: readonly number[], text: string) =>
    `<span class="swatch" style="background: rgb(${rgb.join(' ')})"></span> ${text}`;
  const legend =
    `<p class="muted legend">${swatch(ERROR_COLOURS.tp, 'true positive')} ` +
    `${swatch(ERROR_COLOURS.fp, 'false positive')} ${swatch(ERROR_COLOURS.fn, 'false negative')} ` +
    `(each arm's first run, at the threshold)</p>`;
  const figures = images.map(
    (im) =>
      `<div class="overlay-row">${im.arms
        .map(
          (arm) =>
            `<figure class="overlay"><img src="${arm.src}" alt="${escapeHtml(`${im.stem}, ${arm.label}`)}">` +
            `<figcaption>${escapeHtml(im.stem)} · ${escapeHtml(arm.label)} · IoU ${score(arm.iou)}</figcaption></figure>`,
        )
        .join('')}</div>`,
  );
  return `<section class="overlays">${legend}${figures.join('')}</section>`;
}

export function comparisonTitle(result: ComparisonResult): string {
  return `Comparison: ${result.arms.map((a) => a.label).join(' vs ')}`;
}

/**
 * The self-contained report. With the store (`ctx`), it also embeds small error overlays
 * of the images each pair of arms disagrees on most.
 */
export async function comparisonReport(
  result: ComparisonResult,
  ctx?: { db: Db; dataDir: string },
): Promise<string> {
  const overlays = ctx ? await disagreementOverlays(ctx, result) : [];
  const title = comparisonTitle(result);
  const datasets = [...new Set(result.runs.map((r) => r.run.datasetName))].join(', ');
  const meta =
    `${result.runs.length} runs on ${escapeHtml(datasets)}, ${result.images.length} test images, ` +
    `threshold ${result.threshold}. Computed ${escapeHtml(result.computedAt)} by Jaccard.`;
  const body = `<h1>${escapeHtml(title)}</h1>\n<p class="meta">${meta}</p>\n${await comparisonSections(result, 2, overlays)}`;
  return reportPage(title, body);
}
