// The experiment end to end on tiny real data: two datasets of four face images, one
// small U-Net, two losses, two seeds, trained by forked trainer processes.
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dispatch } from '../../src/main/api';
import { createContext, type AppContext } from '../../src/main/context';
import { planExperiment } from '../../src/main/experiment/plan';
import { createCellRun } from '../../src/main/experiment/cells';
import { experimentReport } from '../../src/main/experiment/report';
import { summarizeGroups } from '../../src/main/experiment/summary';
import { runExperiment, type RunnerEvent } from '../../src/main/experiment/runner';
import { importFolder } from '../../src/main/images/importer';
import { runManager } from '../../src/main/training/run-manager';
import { isProcessAlive } from '../../src/main/process-alive';
import { getRun, listEpochs, listRuns, runPid, transitionRun } from '../../src/main/store/runs';
import type {
  Experiment,
  ExperimentDetail,
  ExperimentReport,
  ExperimentRequest,
  GroupSummary,
} from '../../src/shared/api/experiments';
import { DATASETS, repoRoot } from '../paths';

const PROTOCOL = {
  size: 32,
  epochs: 2,
  batchSize: 2,
  baseFilters: 4,
  depth: 3,
  validationFraction: 0.25,
  patience: 0,
  backend: 'cpu',
} as const;

/** Copies the first images of a shared dataset (with masks unless told otherwise). */
function copyDataset(
  from: string,
  to: string,
  counts: { train: number; test: number },
  masks = true,
) {
  for (const split of ['train', 'test'] as const) {
    const stems = readdirSync(join(DATASETS, from, split, 'images'))
      .sort()
      .slice(0, counts[split]);
    for (const kind of masks ? ['images', 'masks'] : ['images']) {
      mkdirSync(join(to, split, kind), { recursive: true });
      for (const stem of stems)
        copyFileSync(join(DATASETS, from, split, kind, stem), join(to, split, kind, stem));
    }
  }
}

describe('jaccard experiment', () => {
  let root: string;
  let ctx: AppContext;

  beforeAll(async () => {
    root = mkdtempSync(join(tmpdir(), 'jaccard-experiment-'));
    ctx = createContext(join(root, 'data'));
    for (const [name, from] of [
      ['face', 'fasseg-face'],
      ['eyes', 'fasseg-eyes'],
    ] as const) {
      copyDataset(from, join(root, name), { train: 3, test: 1 });
      await importFolder(ctx, { folder: join(root, name), name });
    }
    copyDataset('fasseg-face', join(root, 'unlabelled'), { train: 2, test: 1 }, false);
    await importFolder(ctx, { folder: join(root, 'unlabelled'), name: 'unlabelled' });
  });
  afterAll(() => {
    ctx?.db.close();
    rmSync(root, { recursive: true, force: true });
  });

  const request: ExperimentRequest = {
    datasets: ['face', 'eyes'],
    models: ['unet'],
    losses: ['iou', 'bce'],
    seeds: 2,
    protocol: PROTOCOL,
  };

  it('trains every cell as a stored run, reports it, and skips finished cells when run again', async () => {
    const { record } = await planExperiment(ctx, request);
    const events: RunnerEvent[] = [];
    const result = await runExperiment(ctx, record, {
      parallel: 2,
      onEvent: (e) => events.push(e),
    });

    // The trainers' own errors first, so a failure says why a cell did not finish.
    expect(events.filter((e) => e.event === 'end' && e.error !== null)).toEqual([]);
    expect(result.unfinished).toEqual([]);
    expect(result.cells).toHaveLength(8);
    const runs = result.cells.map((c) => c.run!);
    expect(new Set(runs.map((r) => r.id)).size).toBe(8);
    for (const [i, run] of runs.entries()) {
      const cell = result.cells[i]!;
      expect(run.status).toBe('finished');
      expect(run.groupId).toBe(`experiment-${record.id}`);
      expect(run.name).toContain(cell.key);
      expect(run.config).toMatchObject({ ...PROTOCOL, loss: cell.loss, seed: cell.seed });
      expect(run.datasetName).toBe(cell.datasetName);
    }
    expect(events.filter((e) => e.event === 'epoch')).toHaveLength(8 * 2);
    expect(events.at(-1)).toMatchObject({ event: 'done', finished: 8, unfinished: [] });

    const report = await experimentReport(ctx, record, result.cells);
    expect(report.html).toContain('Does the gain grow when the foreground is sparse?');
    expect(report.html).toContain(
      'Budget: exactly 2 epochs per run (no early stopping, so every run hit the cap).',
    );
    expect(report.html).toContain('Learning curves');
    expect(report.html).toContain('Validation IoU');
    // Summary figure plus, per dataset, metric bars, scatter and learning curves.
    expect(report.html.match(/<svg/g)?.length).toBeGreaterThanOrEqual(1 + 2 * 3);
    expect(report.sparsitySvg).toMatch(/^<svg[\s\S]*face[\s\S]*<\/svg>$/);
    expect(report.sparsitySvg).toContain('eyes');
    // One Holm family over every test the report shows, counted in its text.
    const tested = (await summarizeGroups(ctx, record, result.cells))
      .flatMap((g) => g.comparison?.tests ?? [])
      .flatMap((t) => [t.acrossImages, t.acrossSeeds])
      .flatMap((sample) => [sample.tTest, sample.wilcoxon])
      .filter((o) => o.testable);
    expect(report.html).toContain(`This report ran ${tested.length} paired test`);
    for (const outcome of tested) expect(outcome.holm?.tests).toBe(tested.length);

    const again: RunnerEvent[] = [];
    const rerun = await runExperiment(ctx, record, { parallel: 2, onEvent: (e) => again.push(e) });
    expect(again[0]).toMatchObject({ event: 'plan', cells: 8, finished: 8, toRun: 0 });
    expect(again.some((e) => e.event === 'start')).toBe(false);
    expect(rerun.cells.map((c) => c.run!.id)).toEqual(runs.map((r) => r.id));

    // The app's view of it: the same experiment (same protocol), nothing left to queue.
    const detail = (await dispatch(ctx, 'experiments.start', request)) as ExperimentDetail;
    expect(detail.id).toBe(record.id);
    expect(detail.counts).toMatchObject({ total: 8, finished: 8, waiting: 0 });
    expect(detail.summary).toHaveLength(2);
    for (const group of detail.summary) {
      expect(group.losses.map((l) => l.iou?.n)).toEqual([2, 2]);
      expect(group.iouVsBce?.acrossSeeds.n).toBe(2);
      expect(group.iouVsBce?.acrossImages.n).toBe(1);
    }
    expect(await dispatch(ctx, 'experiments.list', {})).toMatchObject([
      { id: record.id, counts: { finished: 8 } },
    ]);
  });

  it('takes datasets labelling the same images as the sparsity axis, reusing their runs', async () => {
    const { record } = await planExperiment(ctx, {
      ...request,
      datasets: [],
      sparsityDatasets: ['face', 'eyes'],
    });
    expect(record.grid.sparsityAxis).toEqual(['face', 'eyes']);
    expect(record.grid.datasets.map((d) => d.name)).toEqual(['face', 'eyes']);
    const result = await runExperiment(ctx, record);
    expect(result.unfinished).toEqual([]);
    // As the app asks for it: the engine reads the cells back itself.
    const report = (await dispatch(ctx, 'experiments.report', {
      id: record.id,
    })) as ExperimentReport;
    expect(report.filename).toBe(`experiment-${record.id}.html`);
    expect(report.html).toContain('Real targets on the same images: face, eyes');
    expect(report.sparsitySvg).toMatch(/face[\s\S]*eyes|eyes[\s\S]*face/);
    expect(report.sweepSvg).toBeNull();

    await expect(
      planExperiment(ctx, { ...request, sparsityDatasets: ['face', 'unlabelled'] }),
    ).rejects.toThrow(/label the same images: "unlabelled" differs from "face"/);
  });

  it("queues only a grown grid's new cells on the engine's run manager", async () => {
    const grown = (await dispatch(ctx, 'experiments.start', {
      ...request,
      datasets: ['face'],
      losses: ['iou', 'bce', 'dice'],
      seeds: 1,
    })) as ExperimentDetail;
    expect(grown.counts).toMatchObject({ total: 3, finished: 2 });
    const added = grown.cells.find((c) => c.loss === 'dice')!.run!;
    expect(['queued', 'running']).toContain(added.status);
    expect(added.groupId).toBe(grown.groupId);
    try {
      const deadline = Date.now() + 60_000;
      while (!['finished', 'failed'].includes(getRun(ctx.db, added.id).status)) {
        if (Date.now() > deadline) throw new Error('the queued cell did not finish in 60 s');
        await new Promise((r) => setTimeout(r, 250));
      }
    } finally {
      await runManager(ctx).close();
    }
    expect(getRun(ctx.db, added.id).status).toBe('finished');
  });

  it('lists each grid of a protocol as its own experiment, sharing runs, until one covers them', async () => {
    const list = async () =>
      ((await dispatch(ctx, 'experiments.list', {})) as Experiment[]).filter(
        (e) => e.groupId === 'experiment-1',
      );
    // The first two tests' grid (the axis asked the same cells, so it took their row) and
    // the grown grid of the last: it trained only its dice cell, the rest are the first's.
    const [first, grown] = (await Promise.all(
      (await list()).map(({ id }) => dispatch(ctx, 'experiments.get', { id })),
    )) as ExperimentDetail[];
    expect([first!.counts, grown!.counts]).toMatchObject([
      { total: 8, finished: 8 },
      { total: 3, finished: 3 },
    ]);
    expect(grown!.grid.losses).toEqual(['iou', 'bce', 'dice']);
    expect(first!.grid.sparsityAxis).toEqual(['face', 'eyes']);

    // A grid holding every cell of both replaces them, in the older one's row.
    const union = await planExperiment(ctx, { ...request, losses: ['iou', 'bce', 'dice'] });
    expect(union.record.id).toBe(first!.id);
    expect(await list()).toMatchObject([
      { id: first!.id, counts: { total: 12, finished: 9, waiting: 3 } },
    ]);
    const trained = [...first!.cells, ...grown!.cells]
      .filter((c) => c.run)
      .map((c) => [c.key, c.run!.id]);
    expect(union.cells.filter((c) => c.run).map((c) => [c.key, c.run!.id])).toEqual(
      expect.arrayContaining(trained),
    );
    // The grown grid's dice run was named after its row, which is gone: it takes the name
    // of the row that holds it now, so no run names a missing (or later reused) id.
    const dice = grown!.cells.find((c) => c.loss === 'dice')!.run!;
    expect(dice.name).toBe(`experiment ${grown!.id}: face/unet/dice/seed-1`);
    expect(getRun(ctx.db, dice.id).name).toBe(`experiment ${first!.id}: face/unet/dice/seed-1`);
  });

  it('resumes a cell whose experiment process was killed, from its checkpoint', async () => {
    const EPOCHS = 4;
    const dataDir = ctx.dataDir;
    const cli = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/jaccard.js'),
        'experiment',
        ...['--datasets', 'face', '--models', 'unet', '--losses', 'iou', '--seeds', '1'],
        ...[
          '--size',
          '32',
          '--epochs',
          String(EPOCHS),
          '--batch',
          '2',
          '--filters',
          '4',
          '--depth',
          '3',
        ],
        ...['--validation', '0.25', '--patience', '0', '--backend', 'cpu', '--parallel', '1'],
        ...['--db', join(dataDir, 'jaccard.db'), '--json'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines = createInterface({ input: cli.stdout });
    let runId = 0;
    for await (const line of lines) {
      const event = JSON.parse(line) as RunnerEvent;
      if (event.event === 'epoch') {
        runId = event.runId;
        cli.kill('SIGKILL');
        break;
      }
    }
    expect(runId).toBeGreaterThan(0);
    // The orphaned trainer dies with its parent (or notices and marks the run
    // interrupted); either way the row must not say finished, and the next run resumes it.
    const pid = runPid(ctx.db, runId);
    const deadline = Date.now() + 30_000;
    while (pid !== null && isProcessAlive(pid) && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 200));
    }
    const cut = getRun(ctx.db, runId);
    expect(['running', 'interrupted']).toContain(cut.status);
    expect(cut.epochsDone).toBeGreaterThanOrEqual(1);
    expect(cut.epochsDone).toBeLessThan(EPOCHS);

    const { record } = await planExperiment(ctx, {
      datasets: ['face'],
      models: ['unet'],
      losses: ['iou'],
      seeds: 1,
      protocol: { ...PROTOCOL, epochs: EPOCHS },
    });
    const events: RunnerEvent[] = [];
    const result = await runExperiment(ctx, record, { onEvent: (e) => events.push(e) });
    expect(events.find((e) => e.event === 'start')).toMatchObject({
      runId,
      fromEpoch: cut.epochsDone,
      attempt: 1,
    });
    expect(result.unfinished).toEqual([]);
    expect(result.cells[0]!.run!.id).toBe(runId);
    expect(listEpochs(ctx.db, runId).map((e) => e.epoch)).toEqual([1, 2, 3, 4]);
    expect(listRuns(ctx.db).filter((r) => r.groupId === record.groupId)).toHaveLength(1);
  });

  it('tries a failing cell once more, then reports it unfinished', async () => {
    const { record } = await planExperiment(ctx, {
      ...request,
      datasets: ['unlabelled'],
      losses: ['iou'],
      seeds: 1,
      protocol: { ...PROTOCOL, epochs: 3 },
    });
    const events: RunnerEvent[] = [];
    const result = await runExperiment(ctx, record, { onEvent: (e) => events.push(e) });
    const ends = events.filter((e) => e.event === 'end');
    expect(ends.map((e) => [e.status, e.retry])).toEqual([
      ['failed', true],
      ['failed', false],
    ]);
    expect(ends[0]!.error).toMatch(/no masked images/);
    expect(result.unfinished).toEqual(['unlabelled/unet/iou/seed-1']);
  });

  it('gives a cell one run when another process starts it first, and leaves it to that process', async () => {
    const { record, cells } = await planExperiment(ctx, {
      ...request,
      datasets: ['face'],
      losses: ['iou'],
      seeds: 1,
      protocol: { ...PROTOCOL, epochs: 1 },
    });
    const stale = cells[0]!;
    expect(stale.run).toBeNull();
    // The other process (played by this one: its pid is alive) claims and trains the cell.
    const theirs = createCellRun(ctx.db, record, stale);
    transitionRun(ctx.db, theirs.id, ['queued'], { status: 'running', pid: process.pid });
    expect(createCellRun(ctx.db, record, stale).id).toBe(theirs.id);

    const events: RunnerEvent[] = [];
    await runExperiment(ctx, record, { onEvent: (e) => events.push(e) });
    expect(events.some((e) => e.event === 'start')).toBe(false);
    expect(listRuns(ctx.db).filter((r) => r.groupId === record.groupId)).toHaveLength(1);
    transitionRun(ctx.db, theirs.id, ['running'], { status: 'cancelled', pid: null });
  });

  it("keeps the sweep under its source dataset's name when asked by id", async () => {
    const face = (await dispatch(ctx, 'datasets.list', {})) as { id: number; name: string }[];
    const { record } = await planExperiment(ctx, {
      ...request,
      // Its own protocol: the same one would take over the grid the tests above share.
      protocol: { ...PROTOCOL, epochs: 1 },
      datasets: [],
      sparsitySweep: { dataset: String(face.find((d) => d.name === 'face')!.id), levels: [0.2] },
    });
    expect(record.grid.sparsitySweep).toEqual({ dataset: 'face', levels: [0.2] });
    expect(record.grid.datasets.map((d) => d.derivedFrom?.dataset ?? d.name)).toEqual([
      'face',
      'face',
    ]);
  });

  it('says an experiment to report on does not exist', async () => {
    await expect(dispatch(ctx, 'experiments.report', { id: 999 })).rejects.toMatchObject({
      code: 'not-found',
      message: 'Experiment 999 does not exist.',
    });
  });

  it('trains a cell per number of labelled images from `--labelled`, the full data as without the axis', async () => {
    // Four labelled train images: 2 is a seeded subset of them, 4 is all of them.
    copyDataset('fasseg-eyes', join(root, 'few'), { train: 4, test: 1 });
    await importFolder(ctx, { folder: join(root, 'few'), name: 'few' });
    const protocol = { ...PROTOCOL, epochs: 1, validationFraction: 0.5 };
    const report = join(root, 'labelled.html');
    const cli = spawn(
      process.execPath,
      [
        join(repoRoot, 'bin/jaccard.js'),
        'experiment',
        ...['--datasets', 'few', '--models', 'unet', '--losses', 'iou,bce', '--seeds', '1'],
        ...['--labelled', '4,2', '--size', '32', '--epochs', '1', '--batch', '2'],
        ...['--filters', '4', '--depth', '3', '--validation', '0.5', '--patience', '0'],
        ...['--backend', 'cpu', '--parallel', '2', '--report', report],
        ...['--db', join(ctx.dataDir, 'jaccard.db'), '--json'],
      ],
      { stdio: ['ignore', 'pipe', 'inherit'] },
    );
    const lines: Record<string, unknown>[] = [];
    for await (const line of createInterface({ input: cli.stdout }))
      lines.push(JSON.parse(line) as Record<string, unknown>);
    const summary = lines.find((l) => l.event === 'summary') as {
      summary: GroupSummary[];
      written: { labelledFigure: string };
    };
    expect(lines.filter((l) => l.event === 'end' && l.error !== null)).toEqual([]);
    expect(summary.summary.map((g) => [g.labelled, g.losses.map((l) => l.iou?.n)])).toEqual([
      [2, [1, 1]],
      [4, [1, 1]],
    ]);
    expect(summary.written.labelledFigure).toBe(join(root, 'labelled.labelled.svg'));
    expect(readFileSync(summary.written.labelledFigure, 'utf8')).toMatch(/^<svg[\s\S]*few/);

    const request = {
      datasets: ['few'],
      models: ['unet'],
      losses: ['iou', 'bce'],
      seeds: 1,
      protocol,
      labelledCounts: [2, 4],
    } satisfies ExperimentRequest;
    const { record, cells } = await planExperiment(ctx, request);
    expect(record.grid.labelledCounts).toEqual([2, 4]);
    expect(cells.map((c) => c.key)).toEqual([
      'few/unet/iou/seed-1/n-2',
      'few/unet/bce/seed-1/n-2',
      'few/unet/iou/seed-1',
      'few/unet/bce/seed-1',
    ]);
    // What each run trained and validated on, as its trainer split the images.
    expect(cells.map(({ run }) => [run!.status, run!.config.labelled, run!.splitSizes])).toEqual([
      ['finished', 2, { train: 1, validation: 1, test: 1 }],
      ['finished', 2, { train: 1, validation: 1, test: 1 }],
      ['finished', undefined, { train: 2, validation: 2, test: 1 }],
      ['finished', undefined, { train: 2, validation: 2, test: 1 }],
    ]);

    const events: RunnerEvent[] = [];
    await runExperiment(ctx, record, { onEvent: (e) => events.push(e) });
    expect(events[0]).toMatchObject({ event: 'plan', cells: 4, finished: 4, toRun: 0 });
    expect(events.some((e) => e.event === 'start')).toBe(false);

    const html = (await experimentReport(ctx, record, cells)).html;
    expect(html).toContain('Does the gain depend on how many images are labelled?');
    expect(html).toContain('few · U-Net · 2 labelled');

    // The same protocol without the axis: an experiment of its own beside the axis's, whose
    // cells are the full-data ones, already trained.
    const plain = await planExperiment(ctx, { ...request, labelledCounts: undefined });
    expect(plain.record.id).not.toBe(record.id);
    expect(plain.record.groupId).toBe(record.groupId);
    expect(plain.cells.map((c) => c.run?.id)).toEqual(cells.slice(2).map((c) => c.run!.id));

    // `jaccard experiments` lists both, told apart by what they vary, and writes the
    // axis's report without training anything.
    const experiments = (...args: string[]) =>
      spawnSync(
        process.execPath,
        [join(repoRoot, 'bin/jaccard.js'), 'experiments', ...args, '--db', ctx.dataDir],
        { encoding: 'utf8' },
      );
    const listed = experiments();
    expect(listed.status).toBe(0);
    const line = (id: number) => listed.stdout.split('\n').find((l) => l.startsWith(`${id} `));
    expect(line(record.id)).toMatch(
      /^\d+ +- +32 px · 1 epochs · batch 2 · cpu +4\/4 +0 +– +labelled images: 2, 4 · datasets: few · U-Net/,
    );
    expect(line(plain.record.id)).toMatch(/2\/2 +0 +– +datasets: few · U-Net/);
    const written = experiments(
      '--id',
      String(record.id),
      '--report',
      join(root, 'again.html'),
      '--json',
    );
    expect(written.status).toBe(0);
    expect(JSON.parse(written.stdout)).toEqual({
      report: join(root, 'again.html'),
      sparsityFigure: join(root, 'again.sparsity.svg'),
      labelledFigure: join(root, 'again.labelled.svg'),
    });
    expect(readFileSync(join(root, 'again.html'), 'utf8')).toContain('few · U-Net · 2 labelled');
    expect(experiments('--id', String(record.id)).stderr).toMatch(/--id and --report go together/);

    // Asked again, the axis's grid holds every cell of the plain one, which it replaces.
    expect((await planExperiment(ctx, request)).record.id).toBe(record.id);
    expect(line(plain.record.id)).toBeDefined();
    expect(experiments().stdout).not.toMatch(new RegExp(`^${plain.record.id} `, 'm'));
  });

  it('names a missing dataset and how to import it', async () => {
    await expect(planExperiment(ctx, { ...request, datasets: ['face', 'lips'] })).rejects.toThrow(
      /no dataset named "lips".*jaccard import/,
    );
  });
});
