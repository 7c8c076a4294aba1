// Did the runs converge? Every cell trains until its validation IoU has not improved for
// `patience` epochs, at most `epochs` (the cap). A run that reached the cap before
// patience ran out may still have been climbing, so the report counts and names them.
import type { ExperimentCell } from '#shared/api/experiments';
import type { EpochMetrics, Run } from '#shared/domain';

export interface RunBudget {
  epochsDone: number;
  /** The first epoch of the best validation IoU (as the trainer keeps it), null without epochs. */
  bestEpoch: number | null;
  /** Trained to the cap without early stopping: it may have improved further. */
  hitCap: boolean;
}

export function runBudget(run: Run, epochs: readonly EpochMetrics[]): RunBudget {
  let bestEpoch: number | null = null;
  let best = -Infinity;
  // Strictly better only, as the trainer decides an improvement (training/trainer.ts).
  for (const e of epochs) {
    if (e.valIou > best) {
      best = e.valIou;
      bestEpoch = e.epoch;
    }
  }
  const { epochs: cap, patience } = run.config;
  const stale = bestEpoch === null ? 0 : run.epochsDone - bestEpoch;
  const stoppedEarly = patience > 0 && stale >= patience;
  return { epochsDone: run.epochsDone, bestEpoch, hitCap: run.epochsDone >= cap && !stoppedEarly };
}

export interface BudgetSummary {
  cap: number;
  patience: number;
  finished: number;
  /** Keys of the finished cells whose run hit the cap. */
  hitCap: string[];
}

export function budgetSummary(
  protocol: { epochs: number; patience: number },
  cells: readonly ExperimentCell[],
  epochsOf: (runId: number) => readonly EpochMetrics[],
): BudgetSummary {
  const finished = cells.filter((c) => c.run?.status === 'finished');
  return {
    cap: protocol.epochs,
    patience: protocol.patience,
    finished: finished.length,
    hitCap: finished.filter((c) => runBudget(c.run!, epochsOf(c.run!.id)).hitCap).map((c) => c.key),
  };
}

/** What the budget was and how many runs hit its cap, for the report and the CLI. */
export function budgetNote(b: BudgetSummary): string {
  if (b.patience === 0)
    return `Budget: exactly ${b.cap} epochs per run (no early stopping, so every run hit the cap).`;
  const rule = `Budget: until validation IoU had not improved for ${b.patience} epochs, at most ${b.cap} epochs (the cap).`;
  if (!b.hitCap.length)
    return `${rule} None of the ${b.finished} finished runs hit the cap: each stopped on patience.`;
  return (
    `${rule} ${b.hitCap.length} of ${b.finished} finished runs hit the cap before patience ran ` +
    `out, so they may still have been improving: ${b.hitCap.join(', ')}.`
  );
}
