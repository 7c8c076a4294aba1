// How unsure a model is about an image: the mean binary entropy of its probability map,
// in bits (0: every pixel certain, 1: every pixel a coin toss). "Label next" shows the
// least certain pre-labels first, because correcting them teaches the next run most
// (uncertainty sampling, as in active learning).

/** Entropy in bits of each stored byte value p = v / 255. */
const ENTROPY = Float64Array.from({ length: 256 }, (_, v) => {
  const p = v / 255;
  return p <= 0 || p >= 1 ? 0 : -(p * Math.log2(p) + (1 - p) * Math.log2(1 - p));
});

export const UNCERTAINTY_MEASURE = 'mean pixel entropy of the prediction (bits)';

export function meanEntropy(prob: Uint8Array): number {
  const counts = new Float64Array(256);
  for (let i = 0; i < prob.length; i++) counts[prob[i]!]!++;
  let sum = 0;
  for (let v = 0; v < 256; v++) sum += counts[v]! * ENTROPY[v]!;
  return prob.length ? sum / prob.length : 0;
}
