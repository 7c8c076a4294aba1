// How a group of runs launched together reads: what they share, and the seeds, ids,
// datasets and networks they span (an experiment's grid has several of each), not the
// first run's for all of them.
import type { Run } from '#shared/domain';
import { configSummary, MODEL_LABELS } from '../runs/run-format';

/** [1, 2, 3] -> "seeds 1–3"; [1, 3] -> "seeds 1, 3"; [2] -> "seed 2". */
export function seedsText(seeds: readonly number[]): string {
  const list = [...new Set(seeds)].sort((a, b) => a - b);
  if (list.length === 1) return `seed ${list[0]}`;
  const consecutive = list.every((s, i) => i === 0 || s === list[i - 1]! + 1);
  return consecutive && list.length > 2
    ? `seeds ${list[0]}–${list.at(-1)}`
    : `seeds ${list.join(', ')}`;
}

/**
 * "6 runs #3–#8 · faces · U-Net 64 px · 5 epochs · … · seeds 1–3 · augmented"; a grid's
 * "40 runs #187–#226 · face-512, eyes-512 · U-Net, FC-DenseNet (Tiramisu) 128 px patches · …".
 */
export function groupSummary(runs: readonly Run[]): string {
  const ids = runs.map((r) => r.id).sort((a, b) => a - b);
  const first = runs[0]!;
  const distinct = (values: string[]) => [...new Set(values)].join(', ');
  const models = distinct(runs.map((r) => MODEL_LABELS[r.config.model]));
  const shared = configSummary(first.config, models).replace(
    /\bseed \d+\b/,
    seedsText(runs.map((r) => r.config.seed)),
  );
  const span = ids.length > 1 ? `#${ids[0]}–#${ids.at(-1)}` : `#${ids[0]}`;
  return `${runs.length} runs ${span} · ${distinct(runs.map((r) => r.datasetName))} · ${shared}`;
}
