// How a group of runs launched together reads: what they share, and the seeds and ids
// they span, not the first run's seed for all of them.
import type { Run } from '#shared/domain';
import { configSummary } from '../runs/run-format';

/** [1, 2, 3] -> "seeds 1–3"; [1, 3] -> "seeds 1, 3"; [2] -> "seed 2". */
export function seedsText(seeds: readonly number[]): string {
  const list = [...new Set(seeds)].sort((a, b) => a - b);
  if (list.length === 1) return `seed ${list[0]}`;
  const consecutive = list.every((s, i) => i === 0 || s === list[i - 1]! + 1);
  return consecutive && list.length > 2
    ? `seeds ${list[0]}–${list.at(-1)}`
    : `seeds ${list.join(', ')}`;
}

/** "6 runs #3–#8 · faces · U-Net 64 px · 5 epochs · … · seeds 1–3 · augmented". */
export function groupSummary(runs: readonly Run[]): string {
  const ids = runs.map((r) => r.id).sort((a, b) => a - b);
  const first = runs[0]!;
  const shared = configSummary(first.config).replace(
    /\bseed \d+\b/,
    seedsText(runs.map((r) => r.config.seed)),
  );
  const span = ids.length > 1 ? `#${ids[0]}–#${ids.at(-1)}` : `#${ids[0]}`;
  return `${runs.length} runs ${span} · ${first.datasetName} · ${shared}`;
}
