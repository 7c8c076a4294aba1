// Our tiled webgpu Conv2DBackpropFilter against tfjs-backend-webgpu's own, on the filter
// gradients one Adam step of the reference U-Net makes (recorded from a real step, so the
// shapes are the model's), then whole steps with each. The two kernels take turns, call
// by call, so load from other processes hits both alike.
//
//   node --import tsx bench/webgpu-conv-filter.ts [--size 64] [--batch 2] [--reps 7]
//     [--runs 2] [--steps 5]
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { conv2dBackpropFilterConfig } from '../src/main/training/webgpu/kernels/conv2d-backprop-filter';
import { callKey, inputsFor, type KernelCall, recordKernelCalls } from '../test/kernel-calls';
import {
  describeAdapter,
  ms,
  openWebgpu,
  referenceStep,
  runAndRead,
  summarizeTimes,
  timed,
  type Timed,
} from './webgpu-timing';

const { values: options } = parseArgs({
  options: {
    size: { type: 'string', default: '64' },
    batch: { type: 'string', default: '2' },
    reps: { type: 'string', default: '7' },
    runs: { type: 'string', default: '2' },
    steps: { type: 'string', default: '5' },
  },
});
const [size, batch, reps, runs, steps] = [
  options.size,
  options.batch,
  options.reps,
  options.runs,
  options.steps,
].map((value, i) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1) {
    console.error(`--${Object.keys(options)[i]} must be a whole number >= 1, got ${value}`);
    process.exit(2);
  }
  return n;
}) as [number, number, number, number, number];

const adapter = await openWebgpu();
if (typeof adapter === 'string') {
  console.log(`skipped: no webgpu backend here (${adapter})`);
  process.exit(0);
}
const packageKernel = tf.getKernel(tf.Conv2DBackpropFilter, 'webgpu');
const kernels = { package: packageKernel, ours: conv2dBackpropFilterConfig };
type Contender = keyof typeof kernels;
const use = (name: Contender) => {
  tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
  tf.registerKernel(kernels[name]);
};
const turns = (rep: number): Contender[] => (rep % 2 ? ['ours', 'package'] : ['package', 'ours']);

console.log(`adapter: ${describeAdapter(adapter)}`);
console.log(
  `reference U-Net, ${size} px, batch ${batch}; 1-minute load ${os.loadavg()[0]!.toFixed(1)}`,
);

const reference = referenceStep(size, batch);
use('package');
await reference.step();
const { calls } = await recordKernelCalls('webgpu', reference.step, {
  kernels: [tf.Conv2DBackpropFilter],
});
const distinct = new Map<string, { call: KernelCall; count: number }>();
for (const call of calls) {
  const key = callKey(call);
  distinct.set(key, { call, count: (distinct.get(key)?.count ?? 0) + 1 });
}

const rows: string[] = [];
const perStep: Record<Contender, { wall: number; cpu: number }> = {
  package: { wall: 0, cpu: 0 },
  ours: { wall: 0, cpu: 0 },
};
for (const { call, count } of distinct.values()) {
  const inputs = inputsFor(call);
  const times: Record<Contender, Timed[]> = { package: [], ours: [] };
  for (let rep = -1; rep < reps; rep++) {
    for (const name of turns(rep)) {
      use(name);
      const t = await timed(() => runAndRead(call, inputs, runs), runs);
      // Rep -1 compiles the shaders and fills the buffer pool.
      if (rep >= 0) times[name].push(t);
    }
  }
  tf.dispose(Object.values(inputs));
  const summary = { package: summarizeTimes(times.package), ours: summarizeTimes(times.ours) };
  for (const name of ['package', 'ours'] as const) {
    perStep[name].wall += count * summary[name].wall.median;
    perStep[name].cpu += count * summary[name].cpu.median;
  }
  const { x, dy } = call.inputs as Record<'x' | 'dy', { shape: number[] }>;
  const filter = (call.attrs.filterShape as number[]).join('×');
  const stride = JSON.stringify(call.attrs.strides);
  rows.push(
    `| ${x.shape.join('×')} | ${dy.shape.join('×')} | ${filter} | ${stride} | ${count} | ` +
      `${ms(summary.package.wall)} | ${ms(summary.ours.wall)} | ` +
      `${(summary.package.wall.median / summary.ours.wall.median).toFixed(1)}× | ` +
      `${(summary.package.cpu.median / summary.ours.cpu.median).toFixed(1)}× |`,
  );
}

console.log(
  '\n| x | dy | filter | stride | per step | package ms | ours ms | × wall | × CPU |\n' +
    '| --- | --- | --- | --- | --: | --: | --: | --: | --: |',
);
console.log(rows.join('\n'));
const ratio = (k: 'wall' | 'cpu') => (perStep.package[k] / perStep.ours[k]).toFixed(1);
console.log(
  `\nAll ${calls.length} filter gradients of a step: package ${perStep.package.wall.toFixed(0)} ms, ` +
    `ours ${perStep.ours.wall.toFixed(0)} ms (${ratio('wall')}× wall; CPU time ${ratio('cpu')}×).`,
);

const stepTimes: Record<Contender, Timed[]> = { package: [], ours: [] };
for (let rep = -1; rep < steps; rep++) {
  for (const name of turns(rep)) {
    use(name);
    const t = await timed(reference.step);
    if (rep >= 0) stepTimes[name].push(t);
  }
}
reference.dispose();
const stepSummary = {
  package: summarizeTimes(stepTimes.package),
  ours: summarizeTimes(stepTimes.ours),
};
console.log(
  `Whole step, median [IQR] ms: package ${ms(stepSummary.package.wall)}, ours ` +
    `${ms(stepSummary.ours.wall)} (CPU ${ms(stepSummary.package.cpu)} vs ${ms(stepSummary.ours.cpu)}).`,
);
console.log(`1-minute load after: ${os.loadavg()[0]!.toFixed(1)}`);
