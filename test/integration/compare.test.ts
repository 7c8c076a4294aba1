// Synthetic runs in a real temporary store: two arms (IoU loss better than BCE by
// construction) x three seeds on eight test images, with probability PNGs on disk so
// other thresholds are rescored from the files like in the app.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { mkdir, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { compareHandlers } from '../../src/main/api/compare';
import { compareCommand } from '../../src/main/cli/commands/compare';
import { computeComparison } from '../../src/main/compare/compute';
import { comparisonCsv } from '../../src/main/compare/csv';
import { comparisonReport } from '../../src/main/compare/report';
import { createContext, type AppContext } from '../../src/main/context';
import { encodePng } from '../../src/main/images/decode';
import { createDataset } from '../../src/main/store/datasets';
import { insertImage } from '../../src/main/store/images';
import { insertMask } from '../../src/main/store/masks';
import {
  createRun,
  listRunImages,
  recordEpoch,
  replaceRunImages,
  updateRun,
} from '../../src/main/store/runs';
import { confusion, metricsFromConfusion, sumConfusions } from '../../src/shared/metrics';
import { compareCalls, type ComparisonResult } from '../../src/shared/api/compare';
import { trainConfigSchema } from '../../src/shared/api/runs';
import type { Run } from '../../src/shared/domain';
import type { LossId } from '../../src/shared/ids';

const SIDE = 16;
const IMAGES = 8;
const SEEDS = [1, 2, 3];

let dir: string;
let ctx: AppContext;
const runs: Run[] = [];
const truths = new Map<number, Uint8Array>();
const probs = new Map<string, Uint8Array>();

/** Deterministic noise (mulberry32), so the fixture is the same on every machine. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

async function writeGrey(file: string, data: Uint8Array): Promise<void> {
  const abs = join(dir, file);
  await mkdir(dirname(abs), { recursive: true });
  await writeFile(abs, await encodePng({ data, width: SIDE, height: SIDE, channels: 1 }));
}

/** A disc of varying radius: images differ in foreground fraction and difficulty. */
function truthFor(index: number): Uint8Array {
  const r = 2 + index;
  const out = new Uint8Array(SIDE * SIDE);
  for (let y = 0; y < SIDE; y++) {
    for (let x = 0; x < SIDE; x++) {
      if ((x - 8) ** 2 + (y - 8) ** 2 <= r * r * 0.6) out[y * SIDE + x] = 255;
    }
  }
  return out;
}

/** The IoU arm is less noisy than BCE; every seed adds its own noise. */
function probabilityFor(truth: Uint8Array, loss: LossId, seed: number, index: number): Uint8Array {
  const noise = rng(seed * 1000 + index * 10 + (loss === 'iou' ? 1 : 2));
  const spread = loss === 'iou' ? 0.45 : 0.75;
  return truth.map((t) => {
    const p = (t ? 0.8 : 0.2) + (noise() - 0.5) * 2 * spread;
    return Math.round(Math.min(1, Math.max(0, p)) * 255);
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'jaccard-compare-'));
  ctx = createContext(dir);
  const dataset = createDataset(ctx.db, 'synthetic discs');
  const imageIds: number[] = [];
  for (let i = 0; i < IMAGES; i++) {
    const stem = `disc_${i + 1}`;
    const id = insertImage(ctx.db, dataset.id, {
      stem,
      split: 'test',
      file: `files/images/${stem}.png`,
      originalName: `${stem}.png`,
      width: SIDE,
      height: SIDE,
      sha256: `sha-${i}`,
    });
    const truth = truthFor(i);
    truths.set(id, truth);
    await writeGrey(`files/masks/${stem}.png`, truth);
    const fg = truth.filter((v) => v).length / truth.length;
    insertMask(ctx.db, {
      imageId: id,
      file: `files/masks/${stem}.png`,
      foreground: fg,
      source: 'import',
    });
    imageIds.push(id);
  }
  // Arms interleaved by seed, as `runs.startPaired` queues them.
  for (const seed of SEEDS) {
    for (const loss of ['iou', 'bce'] as const) {
      const config = trainConfigSchema.parse({ datasetId: dataset.id, loss, seed, epochs: 3 });
      const run = createRun(ctx.db, { config, name: `${loss} seed ${seed}`, groupId: 'g1' });
      const rows = [];
      const counts = [];
      for (const [index, imageId] of imageIds.entries()) {
        const prob = probabilityFor(truths.get(imageId)!, loss, seed, index);
        probs.set(`${run.id}/${imageId}`, prob);
        const prediction = `files/runs/${run.id}/predictions/${imageId}.png`;
        await writeGrey(prediction, prob);
        const c = confusion(truths.get(imageId)!, prob, 0.5);
        counts.push(c);
        rows.push({ imageId, prediction, ...metricsFromConfusion(c) });
      }
      replaceRunImages(ctx.db, run.id, rows);
      for (let epoch = 1; epoch <= 3; epoch++) {
        const metrics = {
          epoch,
          trainLoss: 1 / epoch,
          valLoss: 1.2 / epoch,
          valIou: 0.4 + 0.1 * epoch + (loss === 'iou' ? 0.05 : 0),
          imagesPerSecond: 10,
          seconds: 2,
        };
        recordEpoch(ctx.db, run.id, metrics, metrics.valIou);
      }
      runs.push(
        updateRun(ctx.db, run.id, {
          status: 'finished',
          backend: 'cpu',
          test: metricsFromConfusion(sumConfusions(counts)),
          finishedAt: new Date().toISOString(),
          durationSeconds: 6,
        }),
      );
    }
  }
});

/** The compare area as dispatch runs it: input validated by its schema, then handled. */
async function dispatch(method: keyof typeof compareCalls, input: unknown): Promise<unknown> {
  const parsed = compareCalls[method].input.parse(input);
  return compareHandlers[method](parsed as never, ctx);
}

afterAll(() => {
  ctx?.db.close();
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe('computeComparison at the stored threshold', () => {
  let result: ComparisonResult;
  beforeAll(async () => {
    result = await computeComparison(
      ctx,
      runs.map((r) => r.id),
    );
  });

  it("shows the store's values in its tables", () => {
    expect(result.threshold).toBe(0.5);
    expect(result.runs.map((r) => r.run.id)).toEqual(runs.map((r) => r.id));
    for (const [i, compared] of result.runs.entries()) {
      expect(compared.metrics).toEqual(runs[i]!.test);
      expect(compared.epochs).toHaveLength(3);
      const stored = new Map(listRunImages(ctx.db, compared.run.id).map((m) => [m.imageId, m.iou]));
      for (const image of result.images) expect(image.iou[i]).toBe(stored.get(image.imageId));
    }
    expect(result.images.map((im) => im.stem)).toEqual(
      Array.from({ length: IMAGES }, (_, i) => `disc_${i + 1}`),
    );
    expect(result.images[0]!.foreground).toBeCloseTo(
      truths.get(result.images[0]!.imageId)!.filter((v) => v).length / 256,
      10,
    );
  });

  it('groups seeds into arms with mean ± sd of the pooled metrics', () => {
    expect(result.arms.map((a) => a.label)).toEqual(['iou', 'bce']);
    expect(result.arms[0]!.config).toEqual({ loss: 'iou' });
    expect(result.arms[0]!.seeds).toEqual(SEEDS);
    const ious = runs.filter((r) => r.config.loss === 'iou').map((r) => r.test!.iou);
    const m = ious.reduce((s, v) => s + v, 0) / ious.length;
    const sd = Math.sqrt(ious.reduce((s, v) => s + (v - m) ** 2, 0) / (ious.length - 1));
    expect(result.arms[0]!.metrics.iou.mean).toBeCloseTo(m, 12);
    expect(result.arms[0]!.metrics.iou.sd).toBeCloseTo(sd, 12);
    expect(result.runs.map((r) => r.label)).toEqual(
      SEEDS.flatMap((s) => [`iou · seed ${s}`, `bce · seed ${s}`]),
    );
    for (const image of result.images) {
      const iouRuns = result.runs.flatMap((r, i) => (r.arm === 0 ? [image.iou[i]!] : []));
      expect(image.armIou[0]).toBeCloseTo(iouRuns.reduce((s, v) => s + v, 0) / 3, 12);
    }
  });

  it('tests the arms across images and across seeds', () => {
    expect(result.tests).toHaveLength(1);
    const [test] = result.tests;
    expect(test!.acrossImages.n).toBe(IMAGES);
    expect(test!.acrossImages.meanDifference).toBeGreaterThan(0);
    expect(test!.acrossImages.tTest).toMatchObject({ testable: true, statisticLabel: 't(7)' });
    expect(test!.acrossImages.wilcoxon).toMatchObject({ testable: true, n: IMAGES });
    expect(test!.acrossSeeds.n).toBe(3);
    expect(test!.acrossSeeds.tTest).toMatchObject({ testable: true, statisticLabel: 't(2)' });
    expect(test!.acrossSeeds.wilcoxon).toEqual({
      testable: false,
      reason: 'needs at least 6 pairs that differ (has 3); fewer can never reach p < 0.05',
    });
    const gaps = test!.disagreements.map((d) => Math.abs(d.difference));
    expect(gaps).toEqual([...gaps].sort((x, y) => y - x));
    expect(test!.disagreements).toHaveLength(IMAGES);
    expect(JSON.stringify(result)).not.toMatch(/NaN|Infinity/);
  });

  it('embeds error overlays of the images the arms disagree on most (issue 14, item 10)', async () => {
    for (const im of result.images) {
      await writeGrey(`files/images/${im.stem}.png`, new Uint8Array(SIDE * SIDE).fill(128));
    }
    const html = await comparisonReport(result, ctx);
    const images = html.match(/<img src="data:image\/png;base64,[\w+/=]+" alt="disc_\d+, \w+">/g);
    // Three images, each arm's overlay.
    expect(images).toHaveLength(6);
    const worst = result.tests[0]!.disagreements[0]!.stem;
    expect(html).toContain(`<figcaption>${worst} · iou · IoU`);
    expect(html).toContain('false negative');
    expect(html.replace(/\sxmlns(:\w+)?="[^"]*"/g, '')).not.toMatch(/https?:/);
  });

  it('writes a self-contained HTML report with inline figures', async () => {
    const html = await comparisonReport(result);
    expect(html.startsWith('<!doctype html>')).toBe(true);
    expect((html.match(/<svg /g) ?? []).length).toBe(3); // bars, scatter, learning curves
    expect(html).toContain('Wilcoxon signed-rank');
    expect(html).toContain('not testable: needs at least 6 pairs');
    expect(html).toContain('disc_1');
    const withoutNamespaces = html.replace(/\sxmlns(:\w+)?="[^"]*"/g, '');
    expect(withoutNamespaces).not.toMatch(/https?:/);
    expect(html).not.toMatch(/<(script|link|img|iframe)\b/);
  });

  it('exports a CSV table that parses back to the same numbers and names', async () => {
    const name = '=iou, "first" run';
    updateRun(ctx.db, runs[0]!.id, { name });
    const renamed = await computeComparison(
      ctx,
      runs.map((r) => r.id),
    );
    updateRun(ctx.db, runs[0]!.id, { name: runs[0]!.name });
    const rows = parseCsv(comparisonCsv(renamed));
    const [head, ...body] = rows;
    expect(body).toHaveLength(runs.length + 2);
    for (const row of body) expect(row).toHaveLength(head!.length);
    const col = (name: string) => head!.indexOf(name);
    const first = body[0]!;
    expect(first[col('level')]).toBe('run');
    expect(Number(first[col('run_id')])).toBe(runs[0]!.id);
    // Quoted intact; the leading = is defused so spreadsheets show it as text.
    expect(first[col('run_name')]).toBe(`'${name}`);
    expect(Number(first[col('iou')])).toBe(runs[0]!.test!.iou);
    const arm = body.find((r) => r[col('level')] === 'arm' && r[col('arm')] === 'bce')!;
    expect(Number(arm[col('iou')])).toBe(result.arms[1]!.metrics.iou.mean);
    expect(Number(arm[col('iou_sd')])).toBe(result.arms[1]!.metrics.iou.sd);
    expect(arm[col('seeds')]).toBe('1;2;3');
  });
});

describe('computeComparison at another threshold', () => {
  it('rescores from the stored probability maps', async () => {
    const ids = runs.slice(0, 2).map((r) => r.id);
    const result = await computeComparison(ctx, ids, 0.3);
    expect(result.threshold).toBe(0.3);
    for (const [i, compared] of result.runs.entries()) {
      const counts = result.images.map((im) =>
        confusion(truths.get(im.imageId)!, probs.get(`${compared.run.id}/${im.imageId}`)!, 0.3),
      );
      result.images.forEach((im, k) =>
        expect(im.iou[i]).toBe(metricsFromConfusion(counts[k]!).iou),
      );
      expect(compared.metrics).toEqual(metricsFromConfusion(sumConfusions(counts)));
      expect(compared.metrics).not.toEqual(compared.run.test);
    }
    expect(result.notes.join(' ')).toMatch(/recomputed at threshold 0.3/);
  });

  it('does not serve a cached score after a mask changes', async () => {
    const ids = runs.slice(0, 2).map((r) => r.id);
    const before = await computeComparison(ctx, ids, 0.3);
    const image = before.images[0]!;
    const full = new Uint8Array(SIDE * SIDE).fill(255);
    await writeGrey('files/masks/full.png', full);
    insertMask(ctx.db, {
      imageId: image.imageId,
      file: 'files/masks/full.png',
      foreground: 1,
      source: 'annotation',
    });
    const after = await computeComparison(ctx, ids, 0.3);
    const prob = probs.get(`${ids[0]}/${image.imageId}`)!;
    expect(after.images[0]!.iou[0]).toBe(metricsFromConfusion(confusion(full, prob, 0.3)).iou);
    expect(after.images[0]!.iou[0]).not.toBe(image.iou[0]);
  });
});

describe('compare API', () => {
  it('saves, lists, gets and deletes a comparison', async () => {
    const runIds = runs.map((r) => r.id);
    const saved = (await dispatch('compare.save', { name: 'IoU vs BCE', runIds })) as {
      id: number;
    };
    expect(saved).toMatchObject({ name: 'IoU vs BCE', runIds, threshold: 0.5 });
    expect(await dispatch('compare.list', {})).toEqual([saved]);
    const detail = (await dispatch('compare.get', { id: saved.id })) as {
      result: ComparisonResult;
    };
    expect(detail.result.arms.map((a) => a.label)).toEqual(['iou', 'bce']);
    await dispatch('compare.delete', { id: saved.id });
    await expect(dispatch('compare.get', { id: saved.id })).rejects.toMatchObject({
      code: 'not-found',
    });
  });

  it('returns reports with a file name', async () => {
    const runIds = runs.slice(0, 2).map((r) => r.id);
    const csv = (await dispatch('compare.report', { runIds, format: 'csv' })) as {
      filename: string;
      content: string;
    };
    expect(csv.filename).toBe(`comparison-runs-${runIds.join('-')}.csv`);
    expect(csv.content.split('\r\n')[0]).toMatch(/^level,arm,run_id,/);
  });

  it('explains bad requests', async () => {
    const [a, b] = runs;
    // Schema errors (dispatch turns them into ApiError 'invalid').
    await expect(dispatch('compare.compute', { runIds: [a!.id] })).rejects.toThrow(
      /at least two runs/,
    );
    await expect(dispatch('compare.compute', { runIds: [a!.id, a!.id] })).rejects.toThrow(
      /listed twice/,
    );
    await expect(dispatch('compare.compute', { runIds: [a!.id, 9999] })).rejects.toMatchObject({
      code: 'not-found',
    });
    const pending = createRun(ctx.db, { config: a!.config, name: 'queued one' });
    await expect(
      dispatch('compare.compute', { runIds: [b!.id, pending.id] }),
    ).rejects.toMatchObject({
      code: 'invalid',
      message: expect.stringMatching(/no test results yet \(it is queued\)/),
    });
  });

  it('names arms that differ in what the network sees by the input mode, in words', async () => {
    const patches = createRun(ctx.db, {
      config: { ...runs[0]!.config, input: { mode: 'patches', scale: 0.5 } },
      name: 'iou seed 1 on patches',
    });
    replaceRunImages(ctx.db, patches.id, listRunImages(ctx.db, runs[0]!.id));
    updateRun(ctx.db, patches.id, { status: 'finished', test: runs[0]!.test });
    const result = await computeComparison(ctx, [runs[0]!.id, patches.id]);
    expect(result.arms.map((a) => a.label)).toEqual(['resized', 'patches 1:2']);
  });

  it('compares two runs of one configuration as separate arms', async () => {
    const again = createRun(ctx.db, { config: runs[0]!.config, name: 'iou seed 1 again' });
    replaceRunImages(ctx.db, again.id, listRunImages(ctx.db, runs[0]!.id));
    updateRun(ctx.db, again.id, { status: 'finished', test: runs[0]!.test });
    const result = await computeComparison(ctx, [runs[0]!.id, again.id]);
    expect(result.arms.map((a) => a.label)).toEqual([`run ${runs[0]!.id}`, `run ${again.id}`]);
    expect(result.notes.join(' ')).toMatch(/same settings/);
    // Identical predictions: nothing to test, and the report says so instead of NaN.
    expect(result.tests[0]!.acrossImages.tTest).toEqual({
      testable: false,
      reason: 'A and B are identical on every pair',
    });
    expect(JSON.stringify(result)).not.toMatch(/NaN|Infinity/);
  });
});

describe('jaccard compare', () => {
  const compare = (values: Record<string, string>, json = false) =>
    compareCommand.run({ dataDir: dir, json, positionals: [], values });

  it('prints the comparison and writes the report and the CSV', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      const ids = runs.map((r) => r.id).join(',');
      const [report, csv] = [join(dir, 'out', 'report.html'), join(dir, 'out', 'table.csv')];
      await compare({ runs: ids, report, csv }, true);
      const printed = JSON.parse(
        out.mock.calls.map((c) => String(c[0])).join(''),
      ) as ComparisonResult & {
        written: Record<string, string>;
      };
      expect(printed.arms.map((a) => a.label)).toEqual(['iou', 'bce']);
      expect(printed.written).toEqual({ report, csv });
      expect(readFileSync(report, 'utf8')).toContain('<svg ');
      expect(parseCsv(readFileSync(csv, 'utf8'))).toHaveLength(1 + runs.length + 2);

      out.mockClear();
      await compare({ runs: ids, threshold: '0.5' });
      const text = out.mock.calls.map((c) => String(c[0])).join('');
      expect(text).toMatch(/iou vs bce \(differences are iou − bce\)/);
      expect(text).toMatch(/Wilcoxon signed-rank: V = 36, p = 0.0078/);
      expect(text).toMatch(/across seeds: n = 3/);
    } finally {
      out.mockRestore();
    }
  });

  it('takes runs by name as well as by id', async () => {
    const out = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    try {
      await compare({ runs: `iou seed 1, BCE SEED 1,${runs[2]!.id}` }, true);
      const printed = JSON.parse(out.mock.calls.map((c) => String(c[0])).join('')) as {
        runs: { run: { id: number } }[];
      };
      expect(printed.runs.map((r) => r.run.id).sort((a, b) => a - b)).toEqual(
        [runs[0]!.id, runs[1]!.id, runs[2]!.id].sort((a, b) => a - b),
      );
    } finally {
      out.mockRestore();
    }
    await expect(compare({ runs: 'iou seed 1,nobody' })).rejects.toThrow(
      '--runs: "nobody" is not a run id.',
    );
  });

  it('treats unusable options as usage errors', async () => {
    await expect(compare({ runs: '1,x' })).rejects.toThrow('--runs: "x" is not a run id.');
    await expect(compare({ runs: '1' })).rejects.toThrow('--runs: Pick at least two runs');
    await expect(compare({ runs: '1,2', threshold: '2' })).rejects.toThrow(/^--threshold: /);
    await expect(compare({})).rejects.toMatchObject({ name: 'UsageError' });
  });
});

/** RFC 4180: quoted fields may hold commas, quotes ("") and line breaks. */
function parseCsv(text: string): string[][] {
  const rows: string[][] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"' && text[i + 1] === '"') {
        field += '"';
        i++;
      } else if (c === '"') quoted = false;
      else field += c;
    } else if (c === '"') quoted = true;
    else if (c === ',' || c === '\n') {
      row.push(field);
      field = '';
      if (c === '\n') {
        rows.push(row);
        row = [];
      }
    } else if (c !== '\r') field += c;
  }
  return rows;
}
