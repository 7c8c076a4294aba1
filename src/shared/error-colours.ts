/**
 * Error maps everywhere (the Compare view, the HTML report): true positive, false
 * positive, false negative; colour-blind-safe, distinct on photos.
 */
export const ERROR_COLOURS = {
  tp: [26, 152, 80],
  fp: [215, 48, 39],
  fn: [69, 117, 180],
} as const;
