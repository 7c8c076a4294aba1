// Identifiers shared by the CLI, the engine and the UI. Adding an id here is the one
// step that makes a loss, model or backend selectable everywhere.

export const LOSS_IDS = [
  'iou',
  'jaccard',
  'bce',
  'dice',
  'lovasz',
  'focal',
  'tversky',
  'iou+bce',
] as const;
export type LossId = (typeof LOSS_IDS)[number];

export const MODEL_IDS = ['unet', 'tiramisu'] as const;
export type ModelId = (typeof MODEL_IDS)[number];

/**
 * Fastest first: the engine takes the first one that loads unless one is forced (webgpu
 * only on a hardware adapter: a software one is slower than wasm).
 */
export const BACKEND_IDS = ['tensorflow-gpu', 'webgpu', 'tensorflow', 'wasm', 'cpu'] as const;
export type BackendId = (typeof BACKEND_IDS)[number];

export const SPLITS = ['train', 'test', 'unassigned'] as const;
export type Split = (typeof SPLITS)[number];

/** Who made a mask revision: imported with its images, drawn here, or predicted by a run. */
export const MASK_SOURCES = ['import', 'annotation', 'prediction'] as const;
export type MaskSource = (typeof MASK_SOURCES)[number];
/** What the annotator saves: a person's edit, or a prediction taken in unedited. */
export const EDIT_SOURCES = ['annotation', 'prediction'] as const satisfies readonly MaskSource[];
export type EditSource = (typeof EDIT_SOURCES)[number];

export const RUN_STATUSES = [
  'queued',
  'running',
  'interrupted',
  'cancelled',
  'failed',
  'finished',
] as const;
export type RunStatus = (typeof RUN_STATUSES)[number];

/** Statuses a run can train from: a new run, or one cut short (it resumes). */
export const STARTABLE: readonly RunStatus[] = ['queued', 'interrupted', 'cancelled', 'failed'];
/** Cut short, resumable from the last checkpoint. */
export const RESUMABLE: readonly RunStatus[] = ['interrupted', 'cancelled', 'failed'];

export const LOSS_LABELS: Record<LossId, string> = {
  iou: 'Soft IoU (Rahman & Wang)',
  jaccard: 'Jaccard distance (Yuan et al.)',
  bce: 'Binary cross-entropy',
  dice: 'Soft Dice',
  lovasz: 'Lovász hinge',
  focal: 'Focal',
  tversky: 'Tversky',
  'iou+bce': 'Soft IoU + BCE',
};

export const MODEL_LABELS: Record<ModelId, string> = {
  unet: 'U-Net',
  tiramisu: 'FC-DenseNet (Tiramisu)',
};

export const BACKEND_LABELS: Record<BackendId, string> = {
  'tensorflow-gpu': 'GPU (TensorFlow native)',
  webgpu: 'GPU (WebGPU)',
  tensorflow: 'Native CPU (TensorFlow)',
  wasm: 'WebAssembly (XNNPACK)',
  cpu: 'Plain JavaScript (slow)',
};
