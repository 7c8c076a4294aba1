// The webgpu backend (Dawn through the `webgpu` package) where an adapter exists: here
// that is Mesa's llvmpipe through OpenGL ES, a software adapter, so automatic selection
// must pass it over while `--backend webgpu` uses it. The correctness rig: the reference
// U-Net's Adam steps, and every model with every loss, agree with wasm's from the same
// weights. Runs record their adapter, fail with the reason when the device is lost and
// resume. Where Dawn finds no adapter those tests skip and say why.
import * as tf from '@tensorflow/tfjs';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exportOnnx } from '../../src/main/onnx/export';
import { createRun, getRun } from '../../src/main/store/runs';
import { availableBackends, initBackend } from '../../src/main/training/backend';
import { checkTrainingFits } from '../../src/main/training/backend-errors';
import { WEBGPU_TRAINING_KERNELS } from '../../src/main/training/webgpu/kernels';
import { buildModel, type ModelConfig } from '../../src/main/training/models';
import { trainRun } from '../../src/main/training/trainer';
import {
  type DawnAdapter,
  gpuAdapterOf,
  isSoftwareAdapter,
  probeDawn,
  startDawn,
} from '../../src/main/training/webgpu/dawn';
import { ApiError } from '../../src/shared/errors';
import { LOSS_IDS, MODEL_IDS, type ModelId } from '../../src/shared/ids';
import { REFERENCE } from '../../bench/protocol';
import { faceBatch, relativeDifference, trainSteps } from './backend-rig';
import { faceFixture, tinyConfig, type Fixture } from './train-fixture';

const STEPS = 3;

/** The app's U-Net, small unless told otherwise. */
const unet = (overrides: Partial<ModelConfig> = {}): ModelConfig => ({
  model: 'unet',
  size: 32,
  channels: 3,
  baseFilters: 4,
  depth: 3,
  batchNorm: true,
  seed: 5,
  ...overrides,
});

const probed = await probeDawn().catch((error: Error) => error);
const skipReason = probed instanceof Error ? `no WebGPU adapter here: ${probed.message}` : null;
// CI installs Mesa's llvmpipe and asks for the rig to run there.
if (skipReason && process.env.JACCARD_REQUIRE_WEBGPU) {
  throw new Error(`JACCARD_REQUIRE_WEBGPU is set, but there is ${skipReason}`);
}
if (skipReason) console.warn(`webgpu-backend.test.ts skipped: ${skipReason}`);
const title = `the webgpu backend${skipReason ? ` (skipped: ${skipReason})` : ''}`;

describe('isSoftwareAdapter', () => {
  it('recognises software rasterisers by name as well as by the fallback flag', () => {
    const named = (device: string, description = '') => ({ vendor: '', device, description });
    expect(isSoftwareAdapter(named('llvmpipe-llvm-15-0-6-256-bits-'))).toBe(true);
    expect(isSoftwareAdapter(named('', 'SwiftShader Device (Subzero)'))).toBe(true);
    expect(isSoftwareAdapter(named('Microsoft Basic Render Driver'))).toBe(true);
    expect(isSoftwareAdapter(named('lavapipe'))).toBe(true);
    expect(isSoftwareAdapter(named('NVIDIA GeForce RTX 3060'))).toBe(false);
    expect(isSoftwareAdapter(named('Apple M2'), true)).toBe(true);
  });
});

describe('the WebGPU memory guard', () => {
  const llvmpipe: DawnAdapter = {
    vendor: '',
    architecture: '',
    device: 'llvmpipe-llvm-15-0-6-256-bits-',
    description: 'OpenGL version OpenGL ES 3.2 Mesa 22.3.6',
    maxBufferSize: 2 ** 31,
    maxStorageBufferBindingSize: 2 ** 27,
    software: true,
  };

  it('refuses a batch whose largest tensor the adapter cannot bind, saying what to change', async () => {
    await initBackend('cpu');
    const model = buildModel(unet({ size: 512, baseFilters: 16, depth: 4 }));
    const check = (batchSize: number) => () =>
      checkTrainingFits('webgpu', model, { task: 'training', batchSize, size: 512 }, llvmpipe);
    try {
      // The top decoder level concatenates 16 + 16 channels: 32 MiB an image.
      expect(check(4)).not.toThrow();
      expect(check(8)).toThrow(
        new ApiError(
          'invalid',
          'Training needs a 256 MiB GPU buffer (the output of layer "dec0_concat" for a ' +
            'batch of 8), more than the 128 MiB that llvmpipe-llvm-15-0-6-256-bits- ' +
            '(OpenGL version OpenGL ES 3.2 Mesa 22.3.6) binds at once. Use a smaller batch ' +
            '(now 8) or size (now 512), or train on another backend.',
        ),
      );
      expect(() =>
        checkTrainingFits(
          'tensorflow',
          model,
          { task: 'training', batchSize: 8, size: 512 },
          llvmpipe,
        ),
      ).not.toThrow();
    } finally {
      model.dispose();
    }
  });
});

describe.skipIf(skipReason !== null)(title, () => {
  const adapter = probed as Exclude<typeof probed, Error>;

  it('is listed as available, and picked automatically only on a hardware adapter', async () => {
    expect(await availableBackends()).toContain('webgpu');
    const picked = await initBackend();
    // webgpu comes before native TensorFlow and wasm: only the adapter's kind decides.
    if (adapter.software) expect(picked).not.toBe('webgpu');
    else expect(['tensorflow-gpu', 'webgpu']).toContain(picked);
  });

  it('starts when forced, on the adapter the probe found, software included', async () => {
    expect(await initBackend('webgpu')).toBe('webgpu');
    expect(tf.getBackend()).toBe('webgpu');
    expect(await startDawn()).toEqual(adapter);
    for (const config of WEBGPU_TRAINING_KERNELS) {
      expect(tf.getKernel(config.kernelName, 'webgpu'), config.kernelName).toBe(config);
    }
    expect(adapter.device).not.toBe('');
    expect(adapter.maxStorageBufferBindingSize).toBeGreaterThan(0);
    const sum = tf.add(tf.tensor([1, 2, 3]), tf.tensor([10, 20, 30]));
    expect(Array.from(await sum.data())).toEqual([11, 22, 33]);
    sum.dispose();
  });

  it(`takes ${STEPS} Adam steps of the reference U-Net (batch 2, 64 px) within 1e-3 of wasm, from the same weights`, async () => {
    const batch = await faceBatch(2, 64);
    // The bench's network (482,033 parameters); batch norm is covered by the test below.
    const { baseFilters, depth } = REFERENCE;
    const config = unet({ size: 64, baseFilters, depth, batchNorm: false, seed: 7 });
    await initBackend('wasm');
    const wasm = await trainSteps(config, 'iou', batch, null, STEPS);
    expect(await initBackend('webgpu')).toBe('webgpu');
    const started = performance.now();
    const { losses } = await trainSteps(config, 'iou', batch, wasm.start, STEPS);
    const seconds = (performance.now() - started) / 1000;
    const differences = losses.map((l, s) => relativeDifference(l, wasm.losses[s]!));
    console.log(
      `webgpu vs wasm: losses ${losses.map((l) => l.toFixed(6)).join(', ')}; largest relative ` +
        `difference ${Math.max(...differences).toExponential(2)}; ${STEPS} steps on ` +
        `${adapter.device} in ${seconds.toFixed(1)} s`,
    );
    // The steps moved the loss, so the comparison covers the gradients too.
    expect(losses[STEPS - 1]).not.toBe(losses[0]);
    for (const d of differences) expect(d).toBeLessThanOrEqual(1e-3);
  }, 600_000);

  it('trains every model with every loss, agreeing with wasm (no missing kernel or sync read)', async () => {
    const batch = await faceBatch(2, 32);
    const config = (model: ModelId) => unet({ model });
    const disagreements: string[] = [];
    for (const model of MODEL_IDS) {
      for (const loss of LOSS_IDS) {
        await initBackend('wasm');
        const wasm = await trainSteps(config(model), loss, batch, null, 2);
        await initBackend('webgpu');
        const { losses } = await trainSteps(config(model), loss, batch, wasm.start, 2);
        losses.forEach((l, s) => {
          if (!(relativeDifference(l, wasm.losses[s]!) <= 1e-3)) {
            disagreements.push(
              `${model} ${loss} step ${s + 1}: webgpu ${l}, wasm ${wasm.losses[s]}`,
            );
          }
        });
      }
    }
    expect(disagreements).toEqual([]);
  }, 900_000);

  it('exports to ONNX from weights held by webgpu, as from the cpu backend', async () => {
    await initBackend('webgpu');
    const model = buildModel(unet({ baseFilters: 16, depth: 2 }));
    // Weights a kernel computed on the GPU: fresh ones, and tensors under 1000 elements
    // (which tfjs-backend-webgpu computes on the CPU), read synchronously without error.
    model.setWeights(model.getWeights().map((w) => tf.tidy(() => tf.add(w, 0.5))));
    const onWebgpu = await exportOnnx(model);
    await initBackend('cpu');
    expect(Buffer.from(onWebgpu).equals(Buffer.from(await exportOnnx(model)))).toBe(true);
    model.dispose();
  });

  describe('a run forced onto webgpu', () => {
    let fx: Fixture;
    beforeAll(async () => {
      fx = await faceFixture({ train: 4, test: 2 });
    });
    afterAll(() => fx?.dispose());

    it('trains, evaluates and records the adapter it used next to the backend', async () => {
      const config = tinyConfig(fx.datasetId, { backend: 'webgpu', epochs: 1 });
      const run = createRun(fx.ctx.db, { config, name: 'on webgpu' });
      const done = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
      expect(done.error).toBeNull();
      expect(done.status).toBe('finished');
      expect(done.backend).toBe('webgpu');
      expect(done.adapter).toEqual(gpuAdapterOf(adapter));
      expect(done.test?.iou).toBeGreaterThanOrEqual(0);
      // Stored, not only returned.
      expect(getRun(fx.ctx.db, run.id).adapter).toEqual(gpuAdapterOf(adapter));
    }, 300_000);

    it('fails a run whose device is lost with the reason, and resumes it from its checkpoint', async () => {
      const config = tinyConfig(fx.datasetId, { backend: 'webgpu', epochs: 3, augment: false });
      const run = createRun(fx.ctx.db, { config, name: 'device lost' });
      const lose = () => (tf.backend() as WebGPUBackend).device.destroy();
      const failed = await trainRun({
        db: fx.ctx.db,
        dataDir: fx.dataDir,
        runId: run.id,
        events: { epoch: (_id, m) => m.epoch === 1 && lose() },
      });
      expect(failed.status).toBe('failed');
      expect(failed.error).toMatch(
        /^The GPU device was lost \(destroyed.*\)\. The run keeps its last checkpoint: resume it/,
      );
      expect(failed.epochsDone).toBe(1);
      // Resumed in the same process: the backend starts again on a new device.
      const epochs: number[] = [];
      const resumed = await trainRun({
        db: fx.ctx.db,
        dataDir: fx.dataDir,
        runId: run.id,
        events: { epoch: (_id, m) => epochs.push(m.epoch) },
      });
      expect(resumed.error).toBeNull();
      expect(resumed.status).toBe('finished');
      expect(epochs).toEqual([2, 3]);
    }, 300_000);

    it('refuses a batch larger than the adapter binds before loading its images', async () => {
      // 512 px with 4 base filters: the top decoder level's 8 channels take 8 MiB an image.
      const perImage = 512 * 512 * 8 * 4;
      const batchSize = Math.floor(adapter.maxStorageBufferBindingSize / perImage) + 1;
      const config = tinyConfig(fx.datasetId, { backend: 'webgpu', size: 512, batchSize });
      const run = createRun(fx.ctx.db, { config, name: 'too big a batch for the GPU' });
      const done = await trainRun({ db: fx.ctx.db, dataDir: fx.dataDir, runId: run.id });
      expect(done.status).toBe('failed');
      expect(done.error).toMatch(/^Training needs a \d+ MiB GPU buffer .* binds at once\./);
      expect(done.epochsDone).toBe(0);
    });
  });
});
