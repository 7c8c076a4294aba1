// Seeded randomness for splits, shuffling and augmentation. Each use derives its own
// stream from (seed, purpose, epoch), so a resumed run draws exactly what an
// uninterrupted one would have drawn, whatever happened before the checkpoint.

export type Rng = () => number;

/** mulberry32: tiny, fast, and good enough for shuffles and augmentation draws. */
export function createRng(seed: number): Rng {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** A stream for one purpose: the same inputs always give the same stream. */
export function deriveRng(seed: number, ...parts: (string | number)[]): Rng {
  // FNV-1a over the parts, mixed with the seed.
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (const ch of parts.join('/')) {
    h ^= ch.charCodeAt(0);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return createRng(h);
}

/** Fisher–Yates on a copy. */
export function shuffled<T>(items: readonly T[], rng: Rng): T[] {
  const out = items.slice();
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [out[i], out[j]] = [out[j]!, out[i]!];
  }
  return out;
}
