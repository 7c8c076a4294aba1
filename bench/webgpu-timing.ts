// What the webgpu benches share: opening the backend, one Adam step of the reference
// U-Net, and timing work that is only done once its result has been read back.
import * as tf from '@tensorflow/tfjs';
import { getLoss } from '../src/main/training/losses';
import { buildModel } from '../src/main/training/models';
import { type DawnAdapter, startDawn } from '../src/main/training/webgpu/dawn';
import { type KernelCall, replay } from '../test/kernel-calls';
import { REFERENCE } from './protocol';
import { type Summary, summarize } from './stats';

/** The named options as whole numbers >= 1; exits with status 2 naming a bad one. */
export function wholeNumbers<K extends string>(
  options: Partial<Record<K, unknown>>,
  names: readonly K[],
): Record<K, number> {
  const parsed = {} as Record<K, number>;
  for (const name of names) {
    const n = Number(options[name]);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${name} must be a whole number >= 1, got ${String(options[name])}`);
      process.exit(2);
    }
    parsed[name] = n;
  }
  return parsed;
}

/** --size, --batch (of the reference step) and --reps, --runs (of each timing). */
export const stepOptions = (reps: number) =>
  ({
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
    reps: { type: 'string', default: String(reps) },
    runs: { type: 'string', default: '2' },
  }) as const;

/**
 * Opens the webgpu backend and prints its adapter, or prints why there is none here and
 * ends the process: a machine without one has nothing to measure, which is no failure.
 */
export async function openWebgpuOrExit(): Promise<DawnAdapter> {
  let adapter: DawnAdapter | string;
  try {
    adapter = await startDawn();
    if (!(await tf.setBackend('webgpu'))) adapter = "tfjs's webgpu backend failed to start";
  } catch (error) {
    adapter = (error as Error).message;
  }
  if (typeof adapter === 'string') {
    console.log(`skipped: no webgpu backend here (${adapter})`);
    process.exit(0);
  }
  const { vendor, architecture, device, description } = adapter;
  console.log(`adapter: ${[vendor, architecture, device, description].filter(Boolean).join(', ')}`);
  return adapter;
}

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
 * Times `runs` back-to-back calls of `call` on `inputs` ended by one read of the last
 * outputs, per call: GPU work is only queued, so only a read shows it done, and one read
 * spreads its cost over the runs.
 */
export function timeCall(call: KernelCall, inputs: tf.NamedTensorMap, runs: number) {
  return timed(async () => {
    let outputs: tf.Tensor[] = [];
    for (let i = 0; i < runs; i++) {
      tf.dispose(outputs);
      outputs = replay(call, inputs);
    }
    await Promise.all(outputs.map((t) => t.data()));
    tf.dispose(outputs);
  }, runs);
}

/**
 * Measures `work` `reps` times for each of `names` after one unmeasured round (shader
 * compilation, buffer pools). Contenders take turns, in alternating order, so background
 * load hits them alike; `enter` switches to one. Medians [IQR] of wall and CPU time.
 */
export async function inTurns<N extends string>(
  names: readonly N[],
  enter: (name: N) => void,
  reps: number,
  work: () => Promise<Timed>,
): Promise<Record<N, { wall: Summary; cpu: Summary }>> {
  const times = new Map<N, Timed[]>(names.map((name) => [name, []]));
  for (let rep = -1; rep < reps; rep++) {
    for (const name of rep % 2 ? [...names].reverse() : names) {
      enter(name);
      const t = await work();
      if (rep >= 0) times.get(name)!.push(t);
    }
  }
  return Object.fromEntries(
    [...times].map(([name, ts]) => [
      name,
      { wall: summarize(ts.map((t) => t.wall)), cpu: summarize(ts.map((t) => t.cpu)) },
    ]),
  ) as Record<N, { wall: Summary; cpu: Summary }>;
}

export const ms = (s: Summary) => `${s.median.toFixed(1)} [${s.q1.toFixed(1)}–${s.q3.toFixed(1)}]`;
