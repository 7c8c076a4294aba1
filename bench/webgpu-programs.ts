// Where a webgpu training step spends its time, per WebGPU program, on an adapter without
// timestamp queries (llvmpipe): every program is submitted on its own and timed around
// its dispatch. This holds only where a dispatch runs before returning, as on llvmpipe;
// the printout compares the programs' sum with the step's wall time to show whether it
// did. Usage: node --import tsx bench/webgpu-programs.ts [size 64] [batch 2]
import * as tf from '@tensorflow/tfjs';
import { initBackend } from '../src/main/training/backend';
import { getLoss } from '../src/main/training/losses';
import { buildModel } from '../src/main/training/models';
import { REFERENCE } from './protocol';

interface Timed {
  runWebGPUProgram(program: object, ...rest: unknown[]): unknown;
}
interface Kernels {
  runKernel(name: string, ...rest: unknown[]): unknown;
}

const [size = 64, batch = 2] = process.argv.slice(2).map(Number);
const STEPS = 3;

await initBackend('webgpu');
tf.env().set('WEBGPU_DEFERRED_SUBMIT_BATCH_SIZE', 1);
const { baseFilters, depth } = REFERENCE;
const model = buildModel({
  model: 'unet',
  size,
  channels: 3,
  baseFilters,
  depth,
  batchNorm: false,
  seed: 1,
});
const optimizer = tf.train.adam(1e-3);
const loss = getLoss('iou');
const x = tf.randomUniform([batch, size, size, 3]) as tf.Tensor4D;
const y = tf.cast(
  tf.greater(tf.randomUniform([batch, size, size, 1]), 0.5),
  'float32',
) as tf.Tensor4D;
const step = async () => {
  const cost = optimizer.minimize(
    () => loss(y, model.apply(x, { training: true }) as tf.Tensor4D),
    true,
  )!;
  await cost.data();
  cost.dispose();
};
await step(); // compiles every shader

// Which tfjs kernel launched each program.
const engine = tf.engine() as unknown as Kernels;
const runKernel = engine.runKernel.bind(engine);
let kernel = '';
engine.runKernel = (name, ...rest) => {
  const outer = kernel;
  kernel = name;
  try {
    return runKernel(name, ...rest);
  } finally {
    kernel = outer;
  }
};
const backend = tf.backend() as unknown as Timed;
const run = backend.runWebGPUProgram.bind(backend);
const totals = new Map<string, { ms: number; count: number }>();
backend.runWebGPUProgram = (program, ...rest) => {
  const start = performance.now();
  const output = run(program, ...rest);
  const name = `${program.constructor.name} (${kernel})`;
  const total = totals.get(name) ?? { ms: 0, count: 0 };
  totals.set(name, { ms: total.ms + performance.now() - start, count: total.count + 1 });
  return output;
};

const start = performance.now();
for (let i = 0; i < STEPS; i++) await step();
const wall = (performance.now() - start) / STEPS;
const rows = [...totals].sort((a, b) => b[1].ms - a[1].ms);
const sum = rows.reduce((s, [, t]) => s + t.ms, 0) / STEPS;
console.log(
  `${size} px, batch ${batch}: ${wall.toFixed(0)} ms a step, its programs ${sum.toFixed(0)} ms`,
);
for (const [name, { ms, count }] of rows.slice(0, 15)) {
  const share = `${((100 * ms) / STEPS / wall).toFixed(1)}%`.padStart(6);
  console.log(`${share} ${(ms / STEPS).toFixed(0).padStart(8)} ms  x${count / STEPS}  ${name}`);
}
