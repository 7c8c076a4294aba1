// The training loop for one run, callable in-process (CLI) or from the worker process
// (engine). It owns the run's row while it trains: status, backend, curves, checkpoints,
// and, at the end, the test evaluation with the best weights.
//
// Resume: every epoch ends with a checkpoint (weights, Adam moments, counters). A run
// started again continues after the checkpoint's epoch; curve points recorded after it
// are dropped because they describe weights that were never saved.
import * as tf from '@tensorflow/tfjs';
import type { EpochMetrics, Run, TrainProgress } from '#shared/domain';
import { ApiError } from '#shared/errors';
import { STARTABLE, type BackendId } from '#shared/ids';
import { foregroundCropsOf } from '#shared/input';
import type { Db } from '../store/database';
import { getRun, recordEpoch, transitionRun, truncateEpochs, updateRun } from '../store/runs';
import { initBackend } from './backend';
import { backendFailure, checkTrainingFits, type TrainingWork } from './backend-errors';
import { breathe } from './breathe';
import { BatchNormCalibrator } from './batch-norm';
import {
  loadCheckpoint,
  saveCheckpoint,
  hasSavedModel,
  loadWeightsInto,
  fileHandler,
  type TrainerState,
} from './checkpoint';
import {
  assembleBatch,
  chunks,
  drawPatches,
  loadPatchSources,
  loadSamples,
  runSplits,
  tilePatches,
  type PatchSource,
  type Sample,
  type SampleRef,
  type Splits,
} from './data';
import { predictOptionsOf, slideWindows } from '../predict/predict';
import { CHANNELS } from '../predict/view';
import { savedModelFolder } from '../predict/runtimes';
import { tfjsRuntime } from '../predict/tfjs-runtime';
import { evaluateAndStore } from './evaluate';
import { getLoss } from './losses';
import { confusion, metricsFromConfusion, sumConfusions, type Confusion } from '#shared/metrics';
import { buildModel } from './models';
import { deriveRng, shuffled } from './random';
import { runFolders } from './run-files';
import { wasmCrash } from './wasm-heap';
import { gpuAdapterOf, startDawn } from './webgpu/dawn';
import { deviceFailed, deviceFailure, type WebgpuDeviceFailed } from './webgpu/device';

/**
 * What a run validates on: samples of the model's size (the loss; the IoU too unless
 * `whole` is set), and a patch run's whole validation images at its scale.
 */
interface Validation {
  samples: Sample[];
  whole: PatchSource[] | null;
}

export interface TrainerEvents {
  progress?(progress: TrainProgress): void;
  epoch?(runId: number, metrics: EpochMetrics): void;
  /** The run's row changed (status, counters, metrics). */
  updated?(run: Run): void;
}

export interface TrainOptions {
  db: Db;
  dataDir: string;
  runId: number;
  /** Checked between batches; an aborted run ends 'cancelled' and can be resumed. */
  signal?: AbortSignal;
  events?: TrainerEvents;
}

class Cancelled extends Error {}

const now = () => new Date().toISOString();

/**
 * Trains the run to completion, cancellation or failure and returns its final row.
 * Throws only when the run cannot start (missing, finished, or running elsewhere).
 */
export async function trainRun(options: TrainOptions): Promise<Run> {
  const { db, runId } = options;
  const before = getRun(db, runId);
  const claimed = transitionRun(db, runId, STARTABLE, {
    status: 'running',
    pid: process.pid,
    error: null,
    finishedAt: null,
    startedAt: before.startedAt ?? now(),
  });
  if (!claimed) {
    throw new ApiError(
      'conflict',
      `Run ${runId} is ${before.status}; only queued, interrupted, cancelled or failed runs can train.`,
    );
  }
  const session = new Session(options);
  try {
    // A failed GPU device may leave the run waiting on a read that never settles.
    await Promise.race([session.run(), session.deviceFailed]);
    return session.settle('finished', null);
  } catch (error) {
    if (error instanceof Cancelled) return session.settle('cancelled', null);
    const failure = backendFailure(session.deviceFailure() ?? error, session.work);
    const message = failure instanceof Error ? failure.message : String(failure);
    return session.settle('failed', message);
  } finally {
    session.dispose();
  }
}

class Session {
  private readonly run0: Run;
  private readonly config: Run['config'];
  private readonly folders: ReturnType<typeof runFolders>;
  private readonly startedMs = performance.now();
  /** Seconds spent by earlier sessions of this run, from its checkpoint. */
  private previousSeconds = 0;
  private state: TrainerState = {
    epoch: 0,
    bestValIou: null,
    bestEpoch: null,
    staleEpochs: 0,
    seconds: 0,
  };
  private model: tf.LayersModel | null = null;
  private optimizer: tf.Optimizer | null = null;
  private backend: BackendId | null = null;
  /** Rejects when the run's GPU device fails (webgpu only); never settles otherwise. */
  readonly deviceFailed: Promise<never>;
  private onDeviceFailure: (error: Error) => void = () => undefined;

  constructor(private readonly options: TrainOptions) {
    this.run0 = getRun(options.db, options.runId);
    this.config = this.run0.config;
    this.folders = runFolders(options.dataDir, options.runId);
    this.deviceFailed = new Promise<never>((_, reject) => (this.onDeviceFailure = reject));
  }

  /** How the run's GPU device failed, or null (and always null off webgpu). */
  deviceFailure(): WebgpuDeviceFailed | null {
    return this.backend === 'webgpu' ? deviceFailure() : null;
  }

  private get db(): Db {
    return this.options.db;
  }

  /** What this run asks of the backend, for memory errors. */
  get work(): TrainingWork {
    return { task: 'training', batchSize: this.config.batchSize, size: this.config.size };
  }

  private progress(p: Omit<TrainProgress, 'runId' | 'epochs'>): void {
    this.options.events?.progress?.({ runId: this.run0.id, epochs: this.config.epochs, ...p });
  }

  private updated(run: Run): Run {
    this.options.events?.updated?.(run);
    return run;
  }

  /** Between steps: stopped by the user, or by the GPU. */
  private checkCancel(): void {
    if (this.options.signal?.aborted) throw new Cancelled();
    this.checkDevice();
  }

  /** Before anything is saved too: after a device error tfjs may have read zeros. */
  private checkDevice(): void {
    const failure = this.deviceFailure();
    if (failure) throw failure;
  }

  async run(): Promise<void> {
    const { config, db } = this;
    const runId = this.run0.id;
    this.progress({
      phase: 'loading',
      epoch: 0,
      batch: 0,
      batches: 0,
      loss: 0,
      imagesPerSecond: 0,
      etaSeconds: null,
    });
    const backend = (this.backend = await initBackend(config.backend));
    if (backend === 'webgpu') deviceFailed().catch(this.onDeviceFailure);
    const gpu = backend === 'webgpu' ? await startDawn() : undefined;
    this.updated(updateRun(db, runId, { backend, adapter: gpu ? gpuAdapterOf(gpu) : null }));

    const splits = runSplits(db, config);
    if (splits.train.length === 0) {
      throw new ApiError(
        'invalid',
        `Dataset "${this.run0.datasetName}" has no masked images to train on.`,
      );
    }
    const splitSizes = {
      train: splits.train.length,
      validation: splits.validation.length,
      test: splits.test.length,
    };
    this.updated(updateRun(db, runId, { splitSizes }));
    // Built before the images load, so a model too big for the backend fails at once.
    const model = (this.model = buildModel({ ...config, channels: CHANNELS, seed: config.seed }));
    checkTrainingFits(backend, model, this.work, gpu);
    const { train, validation, draw } = await this.loadData(splits);
    this.checkCancel();

    const optimizer = (this.optimizer = tf.train.adam(config.learningRate));
    const restored = await loadCheckpoint(this.folders.checkpoint, model, optimizer);
    if (restored) this.state = restored;
    else if (config.parentRunId !== undefined) {
      // Fine-tuning: the parent's best weights, then this run's own schedule and optimizer.
      const parent = getRun(db, config.parentRunId);
      await loadWeightsInto(model, savedModelFolder(this.options.dataDir, parent));
    }
    this.previousSeconds = this.state.seconds;
    truncateEpochs(db, runId, this.state.epoch);
    this.updated(getRun(db, runId));

    const lossFn = getLoss(config.loss, config.lossOptions);
    const calibrator = new BatchNormCalibrator(model);
    // Fixed order: Adam keys its moments by position in this list (see checkpoint.ts).
    const variables = model.trainableWeights.map((w) => w.read() as tf.Variable);
    let secondsPerEpoch: number | null = null;

    // Checked before each epoch too, so a run resumed after its early stop is not trained on.
    const patient = () => config.patience === 0 || this.state.staleEpochs < config.patience;
    for (let epoch = this.state.epoch + 1; epoch <= config.epochs && patient(); epoch++) {
      const epochStart = performance.now();
      const samples = draw ? draw(epoch) : train;
      const batches = Math.ceil(samples.length / config.batchSize);
      const order = shuffled(samples, deriveRng(config.seed, 'shuffle', epoch));
      const augmentRng = config.augment ? deriveRng(config.seed, 'augment', epoch) : null;
      let lossSum = 0;
      let seen = 0;
      for (const [b, group] of chunks(order, config.batchSize).entries()) {
        this.checkCancel();
        const { x, y } = assembleBatch(group, config.size, augmentRng);
        const cost = tf.tidy(() => {
          const xs = tf.tensor4d(x, [group.length, config.size, config.size, 3]);
          const ys = tf.tensor4d(y, [group.length, config.size, config.size, 1]);
          return optimizer.minimize(
            () => lossFn(ys, model.apply(xs, { training: true }) as tf.Tensor4D),
            true,
            variables,
          )!;
        });
        const loss = (await cost.data())[0]!;
        cost.dispose();
        if (!Number.isFinite(loss)) {
          throw new Error(
            `Training diverged at epoch ${epoch}, batch ${b + 1} (loss ${loss}); try a lower learning rate.`,
          );
        }
        lossSum += loss * group.length;
        seen += group.length;
        const elapsed = (performance.now() - epochStart) / 1000;
        const rate = seen / elapsed;
        const epochEstimate = secondsPerEpoch ?? (elapsed / (b + 1)) * batches * 1.15;
        this.progress({
          phase: 'training',
          epoch,
          batch: b + 1,
          batches,
          loss: lossSum / seen,
          imagesPerSecond: rate,
          etaSeconds:
            Math.max(0, epochEstimate - elapsed) + (config.epochs - epoch) * epochEstimate,
        });
        await breathe();
      }

      const trainSeconds = (performance.now() - epochStart) / 1000;
      // Chunks of one batch: the statistics training normalised with (see batch-norm.ts).
      await calibrator.calibrate(samples, config.size, config.batchSize);
      const scored = await this.validate(model, validation, lossFn);
      const seconds = (performance.now() - epochStart) / 1000;
      secondsPerEpoch = secondsPerEpoch === null ? seconds : 0.7 * secondsPerEpoch + 0.3 * seconds;
      const metrics: EpochMetrics = {
        epoch,
        trainLoss: lossSum / seen,
        valLoss: scored.loss,
        valIou: scored.iou,
        // Training throughput; `seconds` also counts validation and the checkpoint.
        imagesPerSecond: seen / trainSeconds,
        seconds,
      };
      const improved = this.state.bestValIou === null || scored.iou > this.state.bestValIou;
      this.checkDevice();
      if (improved) await model.save(fileHandler(this.folders.model));
      this.state = {
        epoch,
        bestValIou: improved ? scored.iou : this.state.bestValIou,
        bestEpoch: improved ? epoch : this.state.bestEpoch,
        staleEpochs: improved ? 0 : this.state.staleEpochs + 1,
        seconds: this.previousSeconds + this.sessionSeconds(),
      };
      // Row first, checkpoint second: a kill in between leaves an epoch row newer than
      // the checkpoint, which resume drops and recomputes.
      this.checkDevice();
      recordEpoch(db, runId, metrics, this.state.bestValIou);
      await saveCheckpoint(this.folders.checkpoint, model, optimizer, this.state);
      this.options.events?.epoch?.(runId, metrics);
      this.updated(updateRun(db, runId, { durationSeconds: this.state.seconds }));
    }

    this.checkCancel();
    await this.evaluate(model, splits.test);
  }

  /**
   * Whole-image runs decode their samples once; patch runs keep the scaled images and
   * draw new crops every epoch, validating as prediction will see the images: whole,
   * under the sliding window.
   */
  private async loadData(splits: Splits<SampleRef>): Promise<{
    train: Sample[];
    validation: Validation;
    draw: ((epoch: number) => Sample[]) | null;
  }> {
    const { config } = this;
    const { dataDir } = this.options;
    const { input, size, seed } = config;
    if (input.mode === 'patches') {
      const sources = await loadPatchSources(dataDir, splits.train, input);
      // Without validation images, the training images (uncropped tiles) stand in for them.
      const held = splits.validation.length
        ? await loadPatchSources(dataDir, splits.validation, input)
        : sources;
      const share = foregroundCropsOf(input);
      const draw = (epoch: number) =>
        drawPatches(sources, size, deriveRng(seed, 'patches', epoch), share);
      return { train: [], validation: { samples: tilePatches(held, size), whole: held }, draw };
    }
    const train = await loadSamples(dataDir, splits.train, size, input.mode);
    // Without validation images, the training images (unaugmented) stand in for them.
    const validation = splits.validation.length
      ? await loadSamples(dataDir, splits.validation, size, input.mode)
      : train;
    return { train, validation: { samples: validation, whole: null }, draw: null };
  }

  /**
   * Validation loss over the samples. IoU over them too for whole-image runs; a patch
   * run's IoU is of its whole validation images under the sliding window, as prediction
   * and the test score see them. Fixed tiles without overlap cut small targets at their
   * edges and judge them without context: on eyes at 512 px they scored 0.49 where the
   * sliding window scored 0.75 (the test split: 0.73), and the noise stopped runs early.
   */
  private async validate(
    model: tf.LayersModel,
    validation: Validation,
    lossFn: ReturnType<typeof getLoss>,
  ): Promise<{ loss: number; iou: number }> {
    const { size, batchSize } = this.config;
    const { samples, whole } = validation;
    let lossSum = 0;
    const counts: Confusion[] = [];
    for (const group of chunks(samples, batchSize)) {
      const { x, y } = assembleBatch(group, size, null);
      const [loss, probs] = tf.tidy(() => {
        const xs = tf.tensor4d(x, [group.length, size, size, 3]);
        const ys = tf.tensor4d(y, [group.length, size, size, 1]);
        const logits = model.predict(xs) as tf.Tensor4D;
        return [lossFn(ys, logits), tf.sigmoid(logits)] as const;
      });
      lossSum += (await loss.data())[0]! * group.length;
      if (!whole) {
        const p = (await probs.data()) as Float32Array;
        const area = size * size;
        group.forEach((s, i) => {
          counts.push(confusion(Uint8Array.from(s.mask), p.subarray(i * area, (i + 1) * area)));
        });
      }
      tf.dispose([loss, probs]);
      await breathe();
    }
    const runtime = tfjsRuntime(model, size, { owned: false });
    for (const source of whole ?? []) {
      const { width } = source.image;
      await slideWindows(runtime, source.image, { batchSize }, (y, row) => {
        counts.push(confusion(source.mask.subarray(y * width, (y + 1) * width), row));
      });
    }
    return { loss: lossSum / samples.length, iou: metricsFromConfusion(sumConfusions(counts)).iou };
  }

  /** Test split with the best weights; a dataset without test images ends unevaluated. */
  private async evaluate(model: tf.LayersModel, refs: readonly SampleRef[]): Promise<void> {
    const { db, config } = this;
    const runId = this.run0.id;
    if (refs.length === 0) return;
    const idle = { loss: 0, imagesPerSecond: 0, etaSeconds: null, epoch: this.state.epoch };
    this.progress({ ...idle, phase: 'evaluating', batch: 0, batches: refs.length });
    if (hasSavedModel(this.folders.model)) await loadWeightsInto(model, this.folders.model);
    const evaluation = await evaluateAndStore({
      db,
      dataDir: this.options.dataDir,
      runId,
      // Borrowed: the session disposes the model.
      runtime: tfjsRuntime(model, config.size, { owned: false }),
      refs,
      predict: predictOptionsOf(config),
      onImage: (done, total) =>
        this.progress({ ...idle, phase: 'evaluating', batch: done, batches: total }),
    });
    updateRun(db, runId, { test: evaluation.pooled });
  }

  private sessionSeconds(): number {
    return (performance.now() - this.startedMs) / 1000;
  }

  /** Final status for this session; only moves a row this process still owns. */
  settle(status: 'finished' | 'cancelled' | 'failed', error: string | null): Run {
    const runId = this.run0.id;
    transitionRun(this.db, runId, ['running'], {
      status,
      pid: null,
      error,
      finishedAt: status === 'finished' ? now() : null,
      durationSeconds: this.previousSeconds + this.sessionSeconds(),
    });
    const run = this.updated(getRun(this.db, runId));
    if (status === 'finished') {
      this.progress({
        phase: 'done',
        epoch: run.epochsDone,
        batch: 0,
        batches: 0,
        loss: 0,
        imagesPerSecond: 0,
        etaSeconds: 0,
      });
    }
    return run;
  }

  dispose(): void {
    // Freeing on a crashed module can corrupt or hang; the process ends with the run anyway.
    if (wasmCrash()) return;
    this.optimizer?.dispose();
    this.model?.dispose();
  }
}
