/**
 * Error maps everywhere (the Compare view, the HTML report): true positive, false
 * positive, false negative; colour-blind-safe, distinct on photos.
 */
export const ERROR_COLOURS = {
  tp: [26, 152, 80],
  fp: [215, 48, 39],
  fn: [69, 117, 180],
} as const;

/** A pixel's colour by its outcome: null for a true negative, which stays clear. */
export function errorColour(
  actual: boolean,
  predicted: boolean,
): (typeof ERROR_COLOURS)[keyof typeof ERROR_COLOURS] | null {
  if (actual) return predicted ? ERROR_COLOURS.tp : ERROR_COLOURS.fn;
  return predicted ? ERROR_COLOURS.fp : null;
}
