// How numbers read wherever Jaccard shows them: the views, the CLI's tables and messages,
// and the HTML reports. One place, so a run's time or a mask's foreground reads the same
// in a terminal as in the window.

/** What a value that was never measured reads as. */
export const MISSING = '–';

/** 0.534 -> "53.4%"; null -> "–". */
export function percent(fraction: number | null, digits = 1): string {
  return fraction === null ? MISSING : `${(fraction * 100).toFixed(digits)}%`;
}

/** An IoU, Dice or other score in [0, 1], to three places: 0.93164 -> "0.932". */
export function score(value: number | null | undefined): string {
  return value === null || value === undefined ? MISSING : value.toFixed(3);
}

/** 4.25 -> "4.3 s", 42 -> "42 s", 75 -> "1 min 15 s", 9000 -> "2 h 30 min"; null -> "–". */
export function duration(seconds: number | null): string {
  if (seconds === null || !Number.isFinite(seconds) || seconds < 0) return MISSING;
  // Tenths where they are a good part of the whole: a short prediction job, a last epoch.
  if (seconds < 9.95) return `${seconds.toFixed(1)} s`;
  const s = Math.round(seconds);
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m} min ${s % 60} s`;
  return `${Math.floor(m / 60)} h ${m % 60} min`;
}
