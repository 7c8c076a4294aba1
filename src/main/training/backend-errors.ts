// What the user is told when tfjs work fails for the backend's sake rather than theirs:
// the wasm backend running out of its 4 GiB heap (with the knobs that shrink the work,
// at their current values) or crashing outright. Training, test evaluation and
// on-demand prediction all report through here.
import type * as tf from '@tensorflow/tfjs';
import { ApiError } from '#shared/errors';
import type { BackendId } from '#shared/ids';
import {
  isWasmCrash,
  trainingPeakBytes,
  WASM_HEAP_LIMIT,
  wasmCrash,
  WasmHeapExhausted,
  wasmHeapFull,
} from './wasm-heap';

/** The tfjs work that failed, with the settings its memory grows with. */
export type TfWork = TrainingWork | { task: 'prediction'; runId: number; size: number };
export type TrainingWork = { task: 'training'; batchSize: number; size: number };

/**
 * Only configs estimated this far over the cap are refused before training: near it the
 * estimate cannot tell (measured: Tiramisu at 128 px fits with batch 8, at 3.97 GiB, and
 * not with batch 9), and the guarded heap fails such runs cleanly in their first step.
 */
const CLEARLY_OVER = 1.25;

const NATIVE = 'native TensorFlow (@tensorflow/tfjs-node), which has no such limit';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;

/** The error to report for `error`, thrown by `work`; errors of other causes come back as they were. */
export function backendFailure(error: unknown, work: TfWork): unknown {
  if (error instanceof WasmHeapExhausted) return outOfMemory(work);
  if (!isWasmCrash(error)) return error;
  const crashed = `The wasm backend crashed (${error.message.split('\n')[0]})`;
  if (wasmHeapFull()) {
    return new ApiError('invalid', `${crashed} with its memory at the limit. ${advice(work)}`);
  }
  return new ApiError('internal', `${crashed}. ${restart(work)}`);
}

/**
 * Refuses a training whose estimated peak memory clearly exceeds the wasm backend's cap,
 * before any data is loaded; other backends have no such cap.
 */
export function checkTrainingFits(
  backend: BackendId,
  model: tf.LayersModel,
  work: TrainingWork,
): void {
  if (backend !== 'wasm') return;
  const needs = trainingPeakBytes(model, work.batchSize);
  if (needs > CLEARLY_OVER * WASM_HEAP_LIMIT) throw outOfMemory(work, needs);
}

/** Throws when the wasm module crashed earlier in this process: it cannot run again. */
export function assertBackendUsable(): void {
  const crash = wasmCrash();
  if (crash) {
    throw new ApiError(
      'internal',
      `The wasm backend crashed earlier (${crash}) and cannot run again; restart Jaccard.`,
    );
  }
}

function outOfMemory(work: TfWork, needs?: number): ApiError {
  const doing = work.task === 'training' ? 'Training' : `Predicting with run ${work.runId}`;
  const amount = needs === undefined ? 'more than' : `about ${gib(needs)}, more than`;
  return new ApiError(
    'invalid',
    `${doing} needs ${amount} the wasm backend's memory limit of 4 GiB. ${advice(work)}`,
  );
}

function advice(work: TfWork): string {
  if (work.task === 'prediction') {
    return `Predict with ${NATIVE}, or train a run at a smaller size (now ${work.size}).`;
  }
  const knobs =
    work.batchSize > 1
      ? `a smaller batch (now ${work.batchSize}) or size (now ${work.size})`
      : `a smaller size (now ${work.size})`;
  return `Use ${knobs}, or train with ${NATIVE}.`;
}

function restart(work: TfWork): string {
  return work.task === 'training'
    ? 'Start the run again; if it crashes again, train with native TensorFlow.'
    : 'Restart Jaccard to predict again.';
}
