// What the user is told when tfjs work fails for the backend's sake rather than theirs:
// the wasm backend running out of its 4 GiB heap (with the knobs that shrink the work,
// at their current values) or crashing outright, a tensor larger than a WebGPU adapter
// binds. Training, test evaluation and on-demand prediction all report through here.
import type * as tf from '@tensorflow/tfjs';
import { ApiError } from '#shared/errors';
import { adapterName } from '#shared/adapter';
import type { BackendId } from '#shared/ids';
import {
  isWasmCrash,
  trainingPeakBytes,
  WASM_HEAP_LIMIT,
  wasmCrash,
  WasmHeapExhausted,
  wasmHeapFull,
} from './wasm-heap';
import type { DawnAdapter } from './webgpu/dawn';
import { WebgpuDeviceFailed } from './webgpu/device';
import { bindingLimit, largestBinding } from './webgpu/limits';

/** The tfjs work that failed, with the settings its memory grows with. */
export type TfWork = TrainingWork | { task: 'prediction'; runId: number; size: number };
export type TrainingWork = { task: 'training'; batchSize: number; size: number };

/**
 * Only configs estimated this far over the cap are refused before training: near it the
 * estimate cannot tell (measured: Tiramisu at 128 px fits with batch 10, at 3.95 GiB, and
 * not with batch 11), and the guarded heap fails such runs cleanly in their first step.
 */
const CLEARLY_OVER = 1.25;

const NATIVE = 'native TensorFlow (@tensorflow/tfjs-node), which has no such limit';

const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(1)} GiB`;
const mib = (bytes: number) => `${Math.ceil(bytes / 2 ** 20)} MiB`;

/** The error to report for `error`, thrown by `work`; errors of other causes come back as they were. */
export function backendFailure(error: unknown, work: TfWork): unknown {
  if (error instanceof WasmHeapExhausted) return outOfMemory(work);
  if (error instanceof WebgpuDeviceFailed) {
    const again =
      work.task === 'training'
        ? 'The run keeps its last checkpoint: resume it to continue from there.'
        : 'Predict again to start a new device.';
    const smaller = error.outOfMemory ? ` ${advice(work, 'on another backend')}` : '';
    return new ApiError('internal', `${error.message}. ${again}${smaller}`);
  }
  if (!isWasmCrash(error)) return error;
  const crashed = `The wasm backend crashed (${error.message.split('\n')[0]})`;
  if (wasmHeapFull()) {
    return new ApiError('invalid', `${crashed} with its memory at the limit. ${advice(work)}`);
  }
  return new ApiError('internal', `${crashed}. ${restart(work)}`);
}

/**
 * Refuses, before any data is loaded, a training whose estimated peak memory clearly
 * exceeds the wasm backend's cap, or whose largest tensor is more than the WebGPU
 * adapter `gpu` (given for webgpu) binds; other backends have no such cap.
 */
export function checkTrainingFits(
  backend: BackendId,
  model: tf.LayersModel,
  work: TrainingWork,
  gpu?: DawnAdapter,
): void {
  if (backend === 'webgpu' && gpu) {
    const { layer, bytes } = largestBinding(model, work.batchSize);
    const limit = bindingLimit(gpu);
    if (bytes <= limit) return;
    throw new ApiError(
      'invalid',
      `Training needs a ${mib(bytes)} GPU buffer (the output of layer "${layer}" for a batch of ` +
        `${work.batchSize}), more than the ${mib(limit)} that ${adapterName(gpu)} binds at once. ` +
        advice(work, 'on another backend'),
    );
  }
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

/** The knobs that shrink `work`, at their current values, and where else to run it. */
function advice(work: TfWork, elsewhere = `with ${NATIVE}`): string {
  if (work.task === 'prediction') {
    return `Predict ${elsewhere}, or train a run at a smaller size (now ${work.size}).`;
  }
  const knobs =
    work.batchSize > 1
      ? `a smaller batch (now ${work.batchSize}) or size (now ${work.size})`
      : `a smaller size (now ${work.size})`;
  return `Use ${knobs}, or train ${elsewhere}.`;
}

function restart(work: TfWork): string {
  return work.task === 'training'
    ? 'Start the run again; if it crashes again, train with native TensorFlow.'
    : 'Restart Jaccard to predict again.';
}
