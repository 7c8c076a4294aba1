import { View, changeset, parse } from 'vega';
import { expressionInterpreter } from 'vega-interpreter';
import { compile } from 'vega-lite';
import { describe, expect, it } from 'vitest';
import { renderSvg } from '../../src/main/compare/svg';
import {
  IOU_SCATTER_DATA,
  formatDifference,
  formatInterval,
  formatMeanSd,
  formatOutcomeP,
  formatP,
  formatTest,
  LEARNING_CURVES_DATA,
  curvePoints,
  iouScatterSpec,
  labelledSpec,
  learningCurvesSpec,
  metricBarsSpec,
  sparsitySpec,
  type ChartSpec,
} from '../../src/shared/charts';
import type { EpochMetrics } from '../../src/shared/domain';

function count(svg: string, pattern: RegExp): number {
  return svg.match(new RegExp(pattern, 'g'))?.length ?? 0;
}

/** Compiles with a logger that keeps warnings: a spec Vega-Lite has to guess about fails. */
function compileStrict(spec: ChartSpec) {
  const warnings: unknown[][] = [];
  let level = 0;
  const logger = {
    level(l?: number) {
      if (l === undefined) return level;
      level = l;
      return logger;
    },
    error: (...args: unknown[]) => (warnings.push(args), logger),
    warn: (...args: unknown[]) => (warnings.push(args), logger),
    info: () => logger,
    debug: () => logger,
  };
  const out = compile(spec, { logger });
  expect(warnings).toEqual([]);
  return out.spec;
}

const epochs = (offset: number): EpochMetrics[] =>
  [1, 2, 3].map((epoch) => ({
    epoch,
    trainLoss: 1 / epoch + offset,
    valLoss: 1.1 / epoch,
    valIou: 0.5 + 0.1 * epoch + offset,
    imagesPerSecond: 3,
    seconds: 1,
  }));

describe('chart axes (issue 14, item 5)', () => {
  it('print ticks in three significant digits, never raw floats', async () => {
    const one: EpochMetrics[] = [
      { ...epochs(0)[0]!, trainLoss: 0.563263, valLoss: 0.58127, valIou: 0.563263 },
    ];
    const svg = await renderSvg(learningCurvesSpec(curvePoints('iou · seed 1', one, 'iou')));
    const labels = [...svg.matchAll(/<text[^>]*>([^<]*)<\/text>/g)].map((m) => m[1]!);
    expect(labels.filter((l) => /^-?\d*\.\d{4,}$/.test(l))).toEqual([]);
    expect(labels).toContain('0.563');
  });
});

describe('learning curves', () => {
  const spec = learningCurvesSpec([
    ...curvePoints('iou · seed 1', epochs(0), 'iou'),
    ...curvePoints('bce · seed 1', epochs(0.05), 'bce'),
  ]);

  it('compiles cleanly and draws loss and IoU lines per run', async () => {
    compileStrict(spec);
    const svg = await renderSvg(spec);
    // Loss panel: 2 runs x (train, validation); IoU panel: 2 runs.
    expect(count(svg, /aria-roledescription="line mark"/)).toBe(6);
    expect(count(svg, /aria-roledescription="point"/)).toBe(6 * 3);
    expect(svg).toContain('Epoch: 3; IoU: 0.8; Arm: iou; Run: iou · seed 1');
    expect(svg).toContain('Epoch: 2; Loss: 0.55; Arm: bce; Run: bce · seed 1; Split: train');
    // Arms keep the order they come in (first arm, first colour), not alphabetical.
    expect(svg).toContain(
      "legend titled 'Arm' for fill color and stroke color with 2 values: iou, bce",
    );
  });

  it('takes new rows through its named dataset, as the live view does', async () => {
    const view = new View(parse(compileStrict(spec), undefined, { ast: true }), {
      renderer: 'none',
      expr: expressionInterpreter,
    });
    const next = curvePoints('iou · seed 1', epochs(0).slice(0, 1), 'iou');
    view.change(
      LEARNING_CURVES_DATA,
      changeset()
        .remove(() => true)
        .insert(next),
    );
    const svg = await view.toSVG();
    view.finalize();
    expect(count(svg, /aria-roledescription="point"/)).toBe(3);
    expect(svg).not.toContain('bce');
  });
});

describe('per-image IoU scatter', () => {
  const points = [
    { imageId: 1, stem: 'face_01', a: 0.9, b: 0.7 },
    { imageId: 2, stem: 'face_02', a: 0.4, b: 0.8 },
    { imageId: 3, stem: 'face_03', a: 0.6, b: 0.6 },
  ];

  it('draws one dot per image and the diagonal', async () => {
    const spec = iouScatterSpec(points, { a: 'iou', b: 'bce' });
    compileStrict(spec);
    const svg = await renderSvg(spec);
    expect(count(svg, /aria-roledescription="point"/)).toBe(3);
    expect(svg).toContain('Better: iou; Image: face_01; iou: 0.900; bce: 0.700');
    expect(svg).toContain('Better: bce; Image: face_02');
    expect(svg).toContain('Better: tie; Image: face_03');
    // The diagonal runs from (0, 0) to (1, 1): bottom-left to top-right of the square.
    expect(svg).toMatch(
      /mark-rule role-mark[^>]*><line transform="translate\(0,280\)" x2="280" y2="-280"/,
    );
  });

  it('keeps quotes in labels from breaking the spec', async () => {
    const spec = iouScatterSpec(points, { a: 'loss "a"', b: "b's" });
    const svg = await renderSvg(spec);
    expect(svg).toContain('Better: loss &quot;a&quot;; Image: face_01');
  });

  it('names its data so the view can replace the dots', () => {
    const spec = iouScatterSpec(points, { a: 'iou', b: 'bce' });
    expect(Object.keys(spec.datasets ?? {})).toEqual([IOU_SCATTER_DATA]);
  });
});

describe('metric bars', () => {
  it('draws a bar per arm and metric and a whisker only where sd exists', async () => {
    const spec = metricBarsSpec([
      { arm: 'iou', metric: 'IoU', mean: 0.8, sd: 0.02 },
      { arm: 'bce', metric: 'IoU', mean: 0.7, sd: null },
      { arm: 'iou', metric: 'Dice', mean: 0.88, sd: 0.01 },
      { arm: 'bce', metric: 'Dice', mean: 0.81, sd: 0.03 },
    ]);
    compileStrict(spec);
    const svg = await renderSvg(spec);
    expect(count(svg, /aria-roledescription="bar"/)).toBe(4);
    expect(count(svg, /aria-roledescription="rule mark"/)).toBe(3);
    expect(svg).toContain('metric: IoU; Pooled test score: 0.78; high: 0.82; Arm: iou');
    expect(svg).toContain("legend titled 'Arm' for fill color with 2 values: iou, bce");
    expect(svg).toContain('discrete scale with 2 values: IoU, Dice');
  });
});

describe('sparsity figure', () => {
  it('plots gain against foreground on a log axis with intervals', async () => {
    const spec = sparsitySpec(
      [
        { label: 'fasseg-face', foreground: 0.53, gain: 0.01, low: -0.01, high: 0.03 },
        { label: 'fasseg-eyes', foreground: 0.012, gain: 0.05 },
      ],
      { a: 'iou', b: 'bce' },
    );
    compileStrict(spec);
    const svg = await renderSvg(spec);
    expect(count(svg, /aria-roledescription="point"/)).toBe(2);
    // One interval (the eyes point has none) plus the zero line.
    expect(count(svg, /aria-roledescription="rule mark"/)).toBe(1);
    expect(svg).toContain('log scale with values from 1% to 100%');
    expect(svg).toContain('Foreground fraction (log scale): 1.2%; IoU gain, iou − bce: 0.05');
    expect(svg).toMatch(/>fasseg-eyes</);
  });
});

describe('labelled-images figure', () => {
  it('draws one line per dataset of gain against labelled images on a log axis', async () => {
    const spec = labelledSpec(
      [
        { series: 'face', labelled: 5, gain: 0.02, low: -0.01, high: 0.05 },
        { series: 'face', labelled: 10, gain: 0.01, low: -0.02, high: 0.04 },
        { series: 'face', labelled: 20, gain: 0 },
        { series: 'eyes', labelled: 5, gain: 0.4, low: 0.1, high: 0.7 },
        { series: 'eyes', labelled: 20, gain: 0.1 },
      ],
      { a: 'IoU loss', b: 'BCE' },
    );
    compileStrict(spec);
    const svg = await renderSvg(spec);
    expect(count(svg, /aria-roledescription="point"/)).toBe(5);
    expect(count(svg, /aria-roledescription="line mark"/)).toBe(2);
    // The three intervals known.
    expect(count(svg, /aria-roledescription="rule mark"/)).toBe(3);
    expect(svg).toContain("X-axis titled 'Labelled train images (log scale)' for a log scale");
    // Ticks at the levels only, as whole numbers.
    expect([...svg.matchAll(/<text[^>]*>(\d+)<\/text>/g)].map((m) => m[1])).toEqual([
      '5',
      '10',
      '20',
    ]);
    expect(svg).toContain(
      'Labelled train images (log scale): 10; IoU gain, IoU loss − BCE: 0.01; series: face',
    );
    expect(svg).toContain('legend for fill color and stroke color with 2 values: eyes, face');
  });
});

describe('number formats', () => {
  it('writes tests the way reports and views show them', () => {
    const t = {
      testable: true as const,
      statisticLabel: 't(9)',
      statistic: -4.0621,
      pValue: 0.002833,
      effectSizeLabel: "Cohen's d_z",
      effectSize: -1.2846,
      n: 10,
      method: 'Student t distribution',
    };
    expect(formatTest(t)).toBe("t(9) = −4.06, p = 0.0028, Cohen's d_z = −1.28");
    const v = { ...t, statisticLabel: 'V', statistic: 10.5, pValue: 0.2, effectSizeLabel: 'r' };
    expect(formatTest(v)).toBe('V = 10.5, p = 0.200, r = −1.28');
    expect(formatTest({ testable: false, reason: 'too few' })).toBe('not testable: too few');
    const adjusted = { ...t, holm: { pValue: 0.0113, tests: 4 } };
    expect(formatTest(adjusted)).toBe(
      "t(9) = −4.06, p = 0.0028 (Holm p = 0.011), Cohen's d_z = −1.28",
    );
    expect(formatOutcomeP(adjusted)).toBe('p = 0.0028');
    expect(formatOutcomeP(adjusted, true)).toBe('p = 0.011');
    expect(formatOutcomeP(t, true)).toBe('–');
    expect(formatOutcomeP({ testable: false, reason: 'too few' }, true)).toBe('n/a');
    expect(formatOutcomeP(undefined)).toBe('–');
  });

  it('signs differences and bounds p', () => {
    expect(formatP(0.0004)).toBe('p < 0.001');
    expect(formatP(0.04)).toBe('p = 0.040');
    expect(formatDifference(0.03149)).toBe('+0.031');
    expect(formatDifference(-0.2)).toBe('−0.200');
    expect(formatInterval([-0.01, 0.02])).toBe('[−0.010, +0.020]');
    expect(formatInterval(null)).toBe('–');
    expect(formatMeanSd({ mean: 0.5, sd: null, n: 1 })).toBe('0.500');
    expect(formatMeanSd({ mean: 0.5, sd: 0.0123, n: 3 })).toBe('0.500 ± 0.012');
  });
});
