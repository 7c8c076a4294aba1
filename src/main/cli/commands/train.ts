// `jaccard train --dataset <name> [--loss iou] ... | --resume <run id>`: trains in this
// process (no engine needed) and records the run like the app does. Ctrl+C stops after
// the current batch and leaves the run cancelled, resumable with --resume.
import { trainConfigSchema } from '#shared/api/runs';
import { describeInput } from '#shared/input';
import type { EpochMetrics, Run, TrainProgress } from '#shared/domain';
import { backendWithAdapter } from '#shared/adapter';
import { ApiError } from '#shared/errors';
import { duration, MISSING } from '#shared/format';
import { createRun, getRun, markDeadRunsInterrupted } from '../../store/runs';
import { trainRun } from '../../training/trainer';
import { resolveDatasetId } from '../../store/datasets';
import { openContext, stopOnCtrlC, UsageError, type Command, type CommandArgs } from '../command';
import { ALL_CONFIG_FLAGS, configFromFlags, configOptions, flagOf } from '../config-flags';
import { exitEvenIfHeld, printable } from '../helpers';

export const trainCommand: Command = {
  usage: 'train --dataset <name or id> [options] | train --resume <run id>',
  summary: 'Train a segmentation network on a dataset and store the run (Ctrl+C stops, resumable).',
  options: {
    dataset: { type: 'string', description: 'the dataset to train on (name or id)' },
    ...configOptions(ALL_CONFIG_FLAGS),
    name: { type: 'string', description: 'a name for the run' },
    resume: {
      type: 'string',
      description: 'continue an interrupted or cancelled run from its last checkpoint',
    },
  },
  async run(args) {
    const ctx = openContext(args.dataDir);
    const ctrlC = stopOnCtrlC('Stopping after this batch', 'the run resumes from its last epoch');
    try {
      markDeadRunsInterrupted(ctx.db);
      const runId = args.values.resume !== undefined ? resumeId(args) : newRun(ctx, args).id;
      const output = args.json ? jsonOutput() : textOutput(getRun(ctx.db, runId));
      const run = await trainRun({
        db: ctx.db,
        dataDir: args.dataDir,
        runId,
        signal: ctrlC.signal,
        events: output,
      });
      output.end(run);
      if (run.status === 'failed') process.exitCode = 1;
      if (run.status === 'cancelled') process.exitCode = 130;
    } finally {
      ctrlC.release();
      ctx.db.close();
      exitEvenIfHeld();
    }
  },
};

function resumeId({ values }: CommandArgs): number {
  const given = ['dataset', 'name', ...ALL_CONFIG_FLAGS].filter(
    (flag) => values[flag] !== undefined,
  );
  if (given.length) {
    throw new UsageError(
      `--resume continues a run with its own settings; drop --${given.join(', --')}.`,
    );
  }
  const id = Number(values.resume);
  if (!Number.isInteger(id) || id <= 0)
    throw new UsageError(`--resume: "${values.resume}" is not a run id.`);
  return id;
}

function newRun(ctx: ReturnType<typeof openContext>, { values }: CommandArgs): Run {
  if (typeof values.dataset !== 'string')
    throw new UsageError('say which dataset to train on: --dataset <name or id>.');
  const parsed = trainConfigSchema.safeParse({
    datasetId: resolveDatasetId(ctx.db, values.dataset),
    ...configFromFlags(values, ALL_CONFIG_FLAGS),
  });
  if (!parsed.success) {
    const issue = parsed.error.issues[0]!;
    throw new UsageError(`--${flagOf(issue.path)}: ${issue.message}`);
  }
  const name = typeof values.name === 'string' ? values.name : undefined;
  try {
    return createRun(ctx.db, { config: parsed.data, name });
  } catch (error) {
    // A network that cannot be built, say: a mistake in the flags.
    if (error instanceof ApiError && error.code === 'invalid') throw new UsageError(error.message);
    throw error;
  }
}

interface Output {
  progress(p: TrainProgress): void;
  updated(run: Run): void;
  epoch(runId: number, m: EpochMetrics): void;
  end(run: Run): void;
}

/** One JSON object per line: progress, epoch, and the final run. */
function jsonOutput(): Output {
  const line = (value: unknown) => process.stdout.write(`${JSON.stringify(value)}\n`);
  return {
    progress: (progress) => line({ event: 'progress', ...progress }),
    updated: () => undefined,
    epoch: (runId, metrics) => line({ event: 'epoch', runId, ...metrics }),
    end: (run) => line({ event: 'end', run }),
  };
}

function textOutput(run: Run): Output {
  const c = run.config;
  const tty = process.stderr.isTTY;
  process.stdout.write(
    `Run ${run.id} "${run.name}" on ${run.datasetName}: ${c.model}, ${c.loss} loss, ` +
      `${describeInput(c.input, c.size)}, ${c.epochs} epochs, batch ${c.batchSize}, ` +
      `lr ${c.learningRate}, seed ${c.seed}` +
      `${c.parentRunId === undefined ? '' : `, from run ${c.parentRunId}`}\n`,
  );
  let backendShown = false;
  return {
    updated(r) {
      if (backendShown || !r.backend) return;
      backendShown = true;
      const name = printable(backendWithAdapter(r.backend, r.adapter));
      process.stdout.write(`Backend: ${name} (${r.backend})\n`);
    },
    progress(p) {
      if (!tty) return;
      const eta = p.etaSeconds === null ? '' : `, ${duration(p.etaSeconds)} left`;
      const what =
        p.phase === 'training'
          ? `epoch ${p.epoch}/${p.epochs} batch ${p.batch}/${p.batches} loss ${p.loss.toFixed(4)} ${p.imagesPerSecond.toFixed(1)} img/s${eta}`
          : p.phase === 'evaluating'
            ? `evaluating test images ${p.batch}/${p.batches}`
            : p.phase;
      process.stderr.write(`\r\x1b[K${what}`);
    },
    epoch(_runId, m) {
      if (tty) process.stderr.write('\r\x1b[K');
      process.stdout.write(
        `epoch ${String(m.epoch).padStart(3)}  loss ${m.trainLoss.toFixed(4)}  val loss ${m.valLoss.toFixed(4)}  ` +
          `val IoU ${m.valIou.toFixed(4)}  ${m.imagesPerSecond.toFixed(1)} img/s  ${m.seconds.toFixed(1)} s\n`,
      );
    },
    end(r) {
      if (tty) process.stderr.write('\r\x1b[K');
      const took = `${duration(r.durationSeconds)} on ${r.backend ?? 'no backend'}`;
      if (r.status === 'finished') {
        const t = r.test;
        process.stdout.write(
          t
            ? `Finished run ${r.id} in ${took}: test IoU ${t.iou.toFixed(4)}, Dice ${t.dice.toFixed(4)}, ` +
                `accuracy ${t.accuracy.toFixed(4)}, precision ${t.precision.toFixed(4)}, recall ${t.recall.toFixed(4)} ` +
                `(best validation IoU ${r.bestValIou?.toFixed(4) ?? MISSING})\n`
            : `Finished run ${r.id} in ${took}; the dataset has no test images to evaluate.\n`,
        );
      } else if (r.status === 'cancelled') {
        process.stdout.write(
          `Stopped run ${r.id} after epoch ${r.epochsDone}. Continue with: jaccard train --resume ${r.id}\n`,
        );
      } else {
        process.stderr.write(`Run ${r.id} ${r.status}: ${r.error ?? 'no reason recorded'}\n`);
      }
    },
  };
}
