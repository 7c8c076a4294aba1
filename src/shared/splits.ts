// How a run uses images whose split is 'unassigned': training (training/data.ts) deals
// them out by the run's seed, and the dataset view tells the user so before they train.

/** Fraction of 'unassigned' images that go to train / validation (the rest is test). */
export const UNASSIGNED_TRAIN = 0.7;
export const UNASSIGNED_VALIDATION = 0.1;
export const UNASSIGNED_TEST = 1 - UNASSIGNED_TRAIN - UNASSIGNED_VALIDATION;
