// What the webgpu benches share: opening the backend, one Adam step of the reference
// U-Net, and timing work that is only done once its result has been read back.
import * as tf from '@tensorflow/tfjs';
import { getLoss } from '../src/main/training/losses';
import { buildModel } from '../src/main/training/models';
import { type DawnAdapter, startDawn } from '../src/main/training/webgpu/dawn';
import { type KernelCall, replay } from '../test/kernel-calls';
import { REFERENCE } from './protocol';
import { type Summary, summarize } from './stats';

/** The adapter, or why there is no webgpu backend here. */
export async function openWebgpu(): Promise<DawnAdapter | string> {
  try {
    const adapter = await startDawn();
    if (!(await tf.setBackend('webgpu'))) return "tfjs's webgpu backend failed to start";
    return adapter;
  } catch (error) {
    return (error as Error).message;
  }
}

export const describeAdapter = (a: DawnAdapter) =>
  [a.vendor, a.architecture, a.device, a.description].filter(Boolean).join(', ');

/** The bench's reference U-Net (no batch norm, soft-IoU, Adam), one step per call. */
export function referenceStep(size: number, batch: number) {
  const model = buildModel({
    model: 'unet',
    size,
    channels: 3,
    baseFilters: REFERENCE.baseFilters,
    depth: REFERENCE.depth,
    batchNorm: false,
    seed: 1,
  });
  const loss = getLoss('iou');
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, 3]) as tf.Tensor4D;
  const y = tf.tidy(() =>
    tf.cast(tf.greater(tf.randomUniform([batch, size, size, 1]), 0.5), 'float32'),
  ) as tf.Tensor4D;
  return {
    step: async () => {
      const cost = optimizer.minimize(
        () => loss(y, model.apply(x, { training: true }) as tf.Tensor4D),
        true,
      );
      await cost?.data();
      cost?.dispose();
    },
    dispose: () => {
      tf.dispose([x, y]);
      optimizer.dispose();
      model.dispose();
    },
  };
}

export interface Timed {
  /** Wall-clock milliseconds per run. */
  wall: number;
  /** CPU milliseconds per run, all of this process's threads (llvmpipe's included). */
  cpu: number;
}

/** Wall-clock and CPU time of `work`, divided by the `runs` it makes. */
export async function timed(work: () => Promise<unknown>, runs = 1): Promise<Timed> {
  const cpuStart = process.cpuUsage();
  const start = performance.now();
  await work();
  const wall = performance.now() - start;
  const cpu = process.cpuUsage(cpuStart);
  return { wall: wall / runs, cpu: (cpu.user + cpu.system) / 1000 / runs };
}

/**
 * Runs `call` `runs` times back to back on `inputs` and reads the last outputs: GPU work
 * is only queued, so only a read shows it done, and one read spreads its cost over runs.
 */
export async function runAndRead(
  call: KernelCall,
  inputs: tf.NamedTensorMap,
  runs: number,
): Promise<void> {
  let outputs: tf.Tensor[] = [];
  for (let i = 0; i < runs; i++) {
    tf.dispose(outputs);
    outputs = replay(call, inputs);
  }
  await Promise.all(outputs.map((t) => t.data()));
  tf.dispose(outputs);
}

export const summarizeTimes = (times: readonly Timed[]): { wall: Summary; cpu: Summary } => ({
  wall: summarize(times.map((t) => t.wall)),
  cpu: summarize(times.map((t) => t.cpu)),
});

export const ms = (s: Summary) => `${s.median.toFixed(1)} [${s.q1.toFixed(1)}–${s.q3.toFixed(1)}]`;
