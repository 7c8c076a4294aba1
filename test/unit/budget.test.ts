// Did a run converge within the experiment's budget: the cap counts only runs that
// reached it before patience ran out.
import { describe, expect, it } from 'vitest';
import { budgetNote, budgetSummary, runBudget } from '../../src/main/experiment/budget';
import type { ExperimentCell } from '../../src/shared/api/experiments';
import type { EpochMetrics, Run } from '../../src/shared/domain';

const curve = (...valIous: number[]): EpochMetrics[] =>
  valIous.map((valIou, i) => ({
    epoch: i + 1,
    trainLoss: 0.5,
    valLoss: 0.5,
    valIou,
    imagesPerSecond: 10,
    seconds: 1,
  }));

const run = (id: number, epochs: number, patience: number, done: number): Run =>
  ({
    id,
    status: 'finished',
    epochsDone: done,
    config: { epochs, patience },
  }) as Run;

describe('runBudget', () => {
  it('a run still improving at the cap hit it', () => {
    const b = runBudget(run(1, 5, 3, 5), curve(0.1, 0.2, 0.3, 0.4, 0.5));
    expect(b).toEqual({ epochsDone: 5, bestEpoch: 5, hitCap: true });
  });

  it('a run stopped on patience did not, even when that was at the cap', () => {
    expect(runBudget(run(1, 10, 3, 6), curve(0.1, 0.5, 0.4, 0.4, 0.3, 0.2)).hitCap).toBe(false);
    expect(runBudget(run(1, 5, 3, 5), curve(0.1, 0.5, 0.4, 0.4, 0.3)).hitCap).toBe(false);
  });

  it('counts a tie as no improvement, as the trainer does', () => {
    const b = runBudget(run(1, 5, 3, 5), curve(0.1, 0.5, 0.5, 0.5, 0.5));
    expect(b.bestEpoch).toBe(2);
    expect(b.hitCap).toBe(false);
  });

  it('without early stopping every run hits the cap', () => {
    expect(runBudget(run(1, 3, 0, 3), curve(0.5, 0.4, 0.3)).hitCap).toBe(true);
  });
});

describe('budgetSummary and budgetNote', () => {
  const cell = (key: string, r: Run | null): ExperimentCell => ({ key, run: r }) as ExperimentCell;
  const curves: Record<number, EpochMetrics[]> = {
    1: curve(0.1, 0.2, 0.3, 0.4),
    2: curve(0.1, 0.5, 0.4, 0.3),
  };

  it('names the finished runs that hit the cap', () => {
    const summary = budgetSummary(
      { epochs: 4, patience: 2 },
      [
        cell('face/unet/iou/seed-1', run(1, 4, 2, 4)),
        cell('face/unet/bce/seed-1', run(2, 4, 2, 4)),
        cell('face/unet/bce/seed-2', null),
      ],
      (id) => curves[id]!,
    );
    expect(summary).toEqual({
      cap: 4,
      patience: 2,
      finished: 2,
      hitCap: ['face/unet/iou/seed-1'],
    });
    expect(budgetNote(summary)).toBe(
      'Budget: until validation IoU had not improved for 2 epochs, at most 4 epochs (the cap). ' +
        '1 of 2 finished runs hit the cap before patience ran out, so they may still have been ' +
        'improving: face/unet/iou/seed-1.',
    );
  });

  it('says when none did, and when there was no early stopping', () => {
    expect(budgetNote({ cap: 50, patience: 10, finished: 3, hitCap: [] })).toMatch(
      /None of the 3 finished runs hit the cap/,
    );
    expect(budgetNote({ cap: 15, patience: 0, finished: 3, hitCap: ['a', 'b', 'c'] })).toBe(
      'Budget: exactly 15 epochs per run (no early stopping, so every run hit the cap).',
    );
  });
});
