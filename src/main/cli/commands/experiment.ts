// `jaccard experiment --datasets face,eyes --models unet,tiramisu --losses iou,bce --seeds 5
// [--size 128] [--epochs N] [--parallel N] [--report out.html]
// [--sparsity-datasets face,hair,eyes] [--sparsity-sweep face] [--labelled 5,10,20]`:
// the paper's experiment as a resumable grid of stored runs, with a report. Running the
// same command again skips finished cells and resumes cut-short ones; Ctrl+C stops every
// trainer after its batch.
import {
  DEFAULT_SWEEP_LEVELS,
  experimentRequestSchema,
  type ExperimentRequest,
  type GroupSummary,
} from '#shared/api/experiments';
import { formatDifference, formatMeanSd, formatOutcomeP } from '#shared/charts';
import { duration, MISSING, percent } from '#shared/format';
import { LOSS_IDS, MODEL_IDS } from '#shared/ids';
import { planExperiment } from '../../experiment/plan';
import {
  experimentReport,
  familyNote,
  verdict,
  writeExperimentReport,
} from '../../experiment/report';
import { DEFAULT_PARALLEL, runExperiment, type RunnerEvent } from '../../experiment/runner';
import { countCells, experimentCells, remainingSeconds } from '../../experiment/cells';
import { summarizeGroups } from '../../experiment/summary';
import { budgetNote, budgetSummary } from '../../experiment/budget';
import { listEpochs } from '../../store/runs';
import { openContext, stopOnCtrlC, UsageError, type Command, type CommandArgs } from '../command';
import { configFromFlags, configOptions, flagOf, type ConfigFlagName } from '../config-flags';
import { table } from '../helpers';

/** Seeds per cell unless asked. */
const DEFAULT_SEEDS = 3;

/** The config flags that set the protocol every cell shares (config-flags.ts). */
const PROTOCOL_FLAGS: readonly ConfigFlagName[] = [
  'preset',
  'size',
  'epochs',
  'batch',
  'lr',
  'patience',
  'validation',
  'filters',
  'depth',
  'no-augment',
  'no-batchnorm',
  'backend',
  'input',
  'scale',
  'foreground-crops',
  'per-image',
  'tversky-alpha',
  'tversky-beta',
  'focal-gamma',
  'focal-alpha',
];

export const experimentCommand: Command = {
  usage: 'experiment --datasets <a,b> --models <m,...> --losses <l,...> --seeds <n> [options]',
  summary:
    'Run the paper experiment: every dataset x model x loss x seed as a stored run ' +
    '(resumable: finished cells are skipped), then report test IoU per loss, paired tests ' +
    'of IoU loss vs BCE, the sparsity figure and learning curves.',
  options: {
    datasets: { type: 'string', description: 'dataset names, comma-separated' },
    models: { type: 'string', description: `${MODEL_IDS.join(', ')} (comma-separated)` },
    losses: { type: 'string', description: `${LOSS_IDS.join(', ')} (comma-separated)` },
    seeds: { type: 'string', description: `seeds 1..n per cell (default ${DEFAULT_SEEDS})` },
    ...configOptions(PROTOCOL_FLAGS),
    parallel: {
      type: 'string',
      description: `trainer processes at once, sharing the cores (default ${DEFAULT_PARALLEL})`,
    },
    'sparsity-datasets': {
      type: 'string',
      description:
        'the sparsity axis: datasets labelling the same images with other targets, ' +
        'comma-separated; added to the grid, their gain plotted against foreground',
    },
    'sparsity-sweep': {
      type: 'string',
      description: 'derive tasks of controlled foreground fraction from this dataset and add them',
    },
    'sparsity-levels': {
      type: 'string',
      description: `their target foreground fractions (default ${DEFAULT_SWEEP_LEVELS.join(',')})`,
    },
    labelled: {
      type: 'string',
      description:
        'the labelled-images axis: numbers of labelled train images (train and validation ' +
        'together), comma-separated; every cell is trained on a seeded subset of each size ' +
        '(nested for one seed) and the gain is plotted against them. A number at or above ' +
        'what a dataset has is its full-data cell, the one a grid without the axis has',
    },
    report: {
      type: 'string',
      description:
        'write the HTML report here (and <name>.sparsity.svg, with --labelled <name>.labelled.svg)',
    },
    name: { type: 'string', description: 'a name for the experiment' },
  },
  async run(args) {
    const request = parseRequest(args);
    const parallel = positiveInt(args.values.parallel, 'parallel') ?? DEFAULT_PARALLEL;
    const ctx = openContext(args.dataDir);
    const ctrlC = stopOnCtrlC(
      'Stopping every trainer after its batch',
      'run the same command to resume',
    );
    try {
      const { record } = await planExperiment(ctx, request);
      // Asked after each cell: the runner keeps `parallel` trainers busy while cells last.
      const left = () => {
        const cells = experimentCells(ctx.db, record);
        const unfinished = cells.filter((c) => c.run?.status !== 'finished').length;
        return remainingSeconds(cells, Math.min(parallel, unfinished));
      };
      const print = args.json ? jsonLine : textLine(record.id, left);
      const result = await runExperiment(ctx, record, {
        parallel,
        signal: ctrlC.signal,
        onEvent: print,
      });
      const groups = await summarizeGroups(ctx, record, result.cells);
      const written =
        typeof args.values.report === 'string'
          ? await writeExperimentReport(
              await experimentReport(ctx, record, result.cells),
              args.values.report,
            )
          : {};
      const summary = groups.map((g) => g.summary);
      const budget = budgetSummary(record.protocol, result.cells, (id) => listEpochs(ctx.db, id));
      if (args.json) {
        jsonLine({
          event: 'summary',
          experiment: { ...record, counts: countCells(result.cells) },
          summary,
          budget,
          written,
        });
      } else {
        process.stdout.write(
          `\n${summaryText(summary, record.grid.losses)}${budgetNote(budget)}\n${familyNote(groups)}\n`,
        );
        for (const [what, path] of Object.entries(written))
          process.stdout.write(`Wrote the ${what} to ${path}\n`);
      }
      if (ctrlC.signal.aborted) process.exitCode = 130;
      else if (result.unfinished.length) process.exitCode = 1;
    } finally {
      ctrlC.release();
      ctx.db.close();
    }
  },
};

function list(values: CommandArgs['values'], flag: string): string[] | undefined {
  const value = values[flag];
  if (value === undefined) return undefined;
  const items = String(value)
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (!items.length) throw new UsageError(`--${flag}: give at least one value.`);
  return items;
}

function positiveInt(value: unknown, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new UsageError(`--${flag}: "${value}" is not a positive whole number.`);
  return n;
}

/** The flag that sets each request field not named like it (the others are). */
const REQUEST_FLAGS: Partial<Record<keyof ExperimentRequest, string>> = {
  sparsityDatasets: 'sparsity-datasets',
  sparsitySweep: 'sparsity-sweep',
  labelledCounts: 'labelled',
};

function parseRequest({ values }: CommandArgs): ExperimentRequest {
  for (const flag of ['models', 'losses']) {
    if (values[flag] === undefined) throw new UsageError(`say which ${flag}: --${flag} a,b.`);
  }
  if (values.datasets === undefined && values['sparsity-datasets'] === undefined)
    throw new UsageError('say which datasets: --datasets a,b (or --sparsity-datasets a,b).');
  const protocol = configFromFlags(values, PROTOCOL_FLAGS);
  const sweep = values['sparsity-sweep'];
  const levels = list(values, 'sparsity-levels')?.map(Number);
  if (levels && typeof sweep !== 'string')
    throw new UsageError('--sparsity-levels goes with --sparsity-sweep <dataset>.');
  const input = {
    datasets: list(values, 'datasets'),
    sparsityDatasets: list(values, 'sparsity-datasets'),
    models: list(values, 'models'),
    losses: list(values, 'losses'),
    seeds: values.seeds === undefined ? DEFAULT_SEEDS : Number(values.seeds),
    protocol,
    sparsitySweep: typeof sweep === 'string' ? { dataset: sweep, levels } : undefined,
    labelledCounts: list(values, 'labelled')?.map(Number),
    name: typeof values.name === 'string' ? values.name : undefined,
  };
  const parsed = experimentRequestSchema.safeParse(input);
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    const [top, sub] = issue.path.map(String);
    const flag =
      top === 'protocol'
        ? flagOf(issue.path.slice(1))
        : top === 'sparsitySweep' && sub === 'levels'
          ? 'sparsity-levels'
          : (REQUEST_FLAGS[top as keyof ExperimentRequest] ?? top);
    throw new UsageError(`--${flag}: ${issue.message}`);
  }
  return input as ExperimentRequest;
}

function jsonLine(value: RunnerEvent | Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(value)}\n`);
}

/** One line per event a person wants to see in a log: starts, epochs, ends. */
function textLine(experimentId: number, left: () => number | null): (e: RunnerEvent) => void {
  let ended = 0;
  let total = 0;
  return (e) => {
    const at = () => new Date().toISOString().slice(11, 19);
    switch (e.event) {
      case 'plan':
        total = e.toRun;
        process.stdout.write(
          `Experiment ${experimentId}: ${e.cells} cells, ${e.finished} finished, ${e.toRun} to run, ` +
            `${e.parallel} at a time (${e.threadsPerTrainer} thread(s) each).\n`,
        );
        break;
      case 'start':
        process.stdout.write(
          `${at()} start ${e.key} (run ${e.runId}${e.fromEpoch ? `, resuming after epoch ${e.fromEpoch}` : ''}` +
            `${e.attempt > 1 ? `, attempt ${e.attempt}` : ''})\n`,
        );
        break;
      case 'epoch':
        process.stdout.write(
          `${at()}   ${e.key} epoch ${e.epoch}/${e.epochs} loss ${e.trainLoss.toFixed(4)} ` +
            `val IoU ${e.valIou.toFixed(4)} ${e.seconds.toFixed(1)} s\n`,
        );
        break;
      case 'end': {
        if (!e.retry) ended += 1;
        const how =
          e.status === 'finished'
            ? `finished in ${duration(e.seconds)}, test IoU ${e.testIou?.toFixed(4) ?? MISSING}`
            : `${e.status}: ${e.error ?? 'no reason recorded'}${e.retry ? ' (retrying once)' : ''}`;
        const remaining = left();
        const eta = remaining === null ? '' : `; about ${duration(remaining)} left`;
        process.stdout.write(
          `${at()} [${ended}/${total}] ${e.key} (run ${e.runId}) ${how}${eta}\n`,
        );
        break;
      }
      case 'done':
        process.stdout.write(
          `${at()} done in ${duration(e.seconds)}: ${e.finished} cells finished` +
            (e.unfinished.length
              ? `, ${e.unfinished.length} not: ${e.unfinished.join(', ')}`
              : '') +
            '\n',
        );
        break;
    }
  };
}

function summaryText(summary: readonly GroupSummary[], losses: readonly string[]): string {
  const byLabelled = summary.some((g) => g.labelled !== null);
  const rows = summary.map((g) => [
    g.datasetName,
    percent(g.foreground),
    ...(byLabelled ? [String(g.labelled ?? MISSING)] : []),
    g.model,
    ...g.losses.map((l) => (l.iou ? `${formatMeanSd(l.iou)} (${l.iou.n})` : MISSING)),
    formatDifference(g.iouVsBce?.acrossSeeds.meanDifference ?? null),
    formatOutcomeP(g.iouVsBce?.acrossSeeds.tTest),
    formatOutcomeP(g.iouVsBce?.acrossSeeds.tTest, true),
    verdict(g.iouVsBce?.acrossSeeds),
    formatDifference(g.iouVsBce?.acrossImages.meanDifference ?? null),
    formatOutcomeP(g.iouVsBce?.acrossImages.wilcoxon),
    formatOutcomeP(g.iouVsBce?.acrossImages.wilcoxon, true),
  ]);
  return table([
    [
      'DATASET',
      'FG',
      ...(byLabelled ? ['LABELLED'] : []),
      'MODEL',
      ...losses.map((l) => `${l.toUpperCase()} TEST IOU`),
      'IOU-BCE SEEDS',
      'T-TEST',
      'HOLM',
      'VERDICT',
      'IOU-BCE IMAGES',
      'WILCOXON',
      'HOLM',
    ],
    ...rows,
  ]);
}
