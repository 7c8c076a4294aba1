// Model files on disk. Pure tfjs has no file:// handler in Node, so this is one: it writes
// the standard model.json + weights.bin pair (loadable by tf.loadLayersModel anywhere),
// plus, for a resumable checkpoint, Adam's moments and the trainer's counters.
//
// Every save writes a complete sibling folder first and then swaps it in with renames,
// so a kill at any moment leaves either the old or the new folder whole, never a mix.
import * as tf from '@tensorflow/tfjs';
import {
  closeSync,
  existsSync,
  fsyncSync,
  mkdirSync,
  openSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { ioError } from '../files';

type FileMap = Record<string, Uint8Array | string>;

const MODEL_JSON = 'model.json';
const WEIGHTS_BIN = 'weights.bin';

function writeDirAtomically(target: string, files: FileMap): void {
  const tmp = `${target}.tmp`;
  const old = `${target}.old`;
  try {
    rmSync(tmp, { recursive: true, force: true });
    mkdirSync(tmp, { recursive: true });
    for (const [name, content] of Object.entries(files)) {
      const fd = openSync(join(tmp, name), 'w');
      try {
        writeFileSync(fd, content);
        fsyncSync(fd);
      } finally {
        closeSync(fd);
      }
    }
  } catch (error) {
    // A full disk most likely: give back what the half-written copy took, keep the
    // previous save, and say where and why in words the run's error can show.
    rmSync(tmp, { recursive: true, force: true });
    throw ioError('save the model to', target, error);
  }
  rmSync(old, { recursive: true, force: true });
  if (existsSync(target)) renameSync(target, old);
  renameSync(tmp, target);
  rmSync(old, { recursive: true, force: true });
}

/** The folder to read: the target, or the previous copy if a swap was cut short. */
function readableDir(target: string): string | null {
  if (existsSync(join(target, MODEL_JSON))) return target;
  const old = `${target}.old`;
  return existsSync(join(old, MODEL_JSON)) ? old : null;
}

export function hasSavedModel(dir: string): boolean {
  return readableDir(dir) !== null;
}

function toBytes(data: tf.io.WeightData): Uint8Array {
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

function modelFiles(artifacts: tf.io.ModelArtifacts): FileMap {
  const modelJson = {
    modelTopology: artifacts.modelTopology,
    format: artifacts.format ?? 'layers-model',
    generatedBy: artifacts.generatedBy,
    convertedBy: artifacts.convertedBy ?? null,
    weightsManifest: [{ paths: [WEIGHTS_BIN], weights: artifacts.weightSpecs ?? [] }],
    ...(artifacts.userDefinedMetadata
      ? { userDefinedMetadata: artifacts.userDefinedMetadata }
      : {}),
  };
  return {
    [MODEL_JSON]: JSON.stringify(modelJson),
    [WEIGHTS_BIN]: artifacts.weightData ? toBytes(artifacts.weightData) : new Uint8Array(),
  };
}

/**
 * An IOHandler over a folder: `model.save(fileHandler(dir))` and
 * `tf.loadLayersModel(fileHandler(dir))`. `extra` files are written in the same swap.
 */
export function fileHandler(dir: string, extra: FileMap = {}): tf.io.IOHandler {
  return {
    save: async (artifacts) => {
      writeDirAtomically(dir, { ...modelFiles(artifacts), ...extra });
      return { modelArtifactsInfo: tf.io.getModelArtifactsInfoForJSON(artifacts) };
    },
    load: async () => {
      const from = readableDir(dir);
      if (!from) throw new Error(`No saved model in ${dir}.`);
      const json = JSON.parse(readFileSync(join(from, MODEL_JSON), 'utf8')) as tf.io.ModelJSON;
      const bytes = readFileSync(join(from, WEIGHTS_BIN));
      const weightData = bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength);
      return tf.io.getModelArtifactsForJSONSync(
        json,
        tf.io.getWeightSpecs(json.weightsManifest),
        weightData,
      );
    },
  };
}

/**
 * Loads saved weights into a model built from the same config. Matching is by position
 * (the order model.save wrote them), because tfjs names layers with a process-wide
 * counter: a second model in one process gets different names for the same weights.
 */
export async function loadWeightsInto(model: tf.LayersModel, dir: string): Promise<void> {
  const artifacts = await fileHandler(dir).load!();
  const specs = artifacts.weightSpecs ?? [];
  if (specs.length !== model.weights.length) {
    throw new Error(
      `Saved model in ${dir} has ${specs.length} weights; this model has ${model.weights.length}.`,
    );
  }
  const named = tf.io.decodeWeights(artifacts.weightData!, specs);
  const tensors = specs.map((s) => named[s.name]!);
  try {
    model.setWeights(tensors);
  } finally {
    tf.dispose(tensors);
  }
}

export interface TrainerState {
  /** Last completed epoch (1-based); training continues with epoch + 1. */
  epoch: number;
  bestValIou: number | null;
  bestEpoch: number | null;
  /** Epochs since the validation IoU last improved (early stopping). */
  staleEpochs: number;
  /** Training time spent so far, over every session of the run. */
  seconds: number;
}

const STATE_JSON = 'state.json';
const OPTIMIZER_JSON = 'optimizer.json';
const OPTIMIZER_BIN = 'optimizer.bin';

export async function saveCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
  state: TrainerState,
): Promise<void> {
  const moments = await optimizer.getWeights();
  const { data, specs } = await tf.io.encodeWeights(moments);
  // getWeights hands out the live moment variables plus a fresh iteration scalar.
  moments[0]?.tensor.dispose();
  await model.save(
    fileHandler(dir, {
      [STATE_JSON]: JSON.stringify(state),
      [OPTIMIZER_JSON]: JSON.stringify(specs),
      [OPTIMIZER_BIN]: toBytes(data),
    }),
  );
}

/** Restores weights, Adam's moments and counters; null when the run has no checkpoint. */
export async function loadCheckpoint(
  dir: string,
  model: tf.LayersModel,
  optimizer: tf.Optimizer,
): Promise<TrainerState | null> {
  const from = readableDir(dir);
  if (!from) return null;
  await loadWeightsInto(model, from);
  const specs = JSON.parse(
    readFileSync(join(from, OPTIMIZER_JSON), 'utf8'),
  ) as tf.io.WeightsManifestEntry[];
  const bytes = readFileSync(join(from, OPTIMIZER_BIN));
  const named = tf.io.decodeWeights(
    bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength),
    specs,
  );
  const moments = specs.map((s) => ({ name: s.name, tensor: named[s.name]! }));
  // Adam keys its moments by the position of each variable in the gradient list, which
  // the trainer keeps in model.trainableWeights order, so positions line up.
  await optimizer.setWeights(moments);
  tf.dispose(moments.map((m) => m.tensor));
  return JSON.parse(readFileSync(join(from, STATE_JSON), 'utf8')) as TrainerState;
}
