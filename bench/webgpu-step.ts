// What one webgpu Adam step of the reference U-Net spends its time on, kernel by kernel.
// The adapter may have no timestamp queries (llvmpipe has none, so tf.profile reports 0 ms
// for every kernel), so each kernel call the step makes is recorded and run again alone:
// a few times back to back, ended by one read, on random inputs of the recorded shapes.
// The sum over the step's calls is set beside the whole step's time as a check.
//
//   node --import tsx bench/webgpu-step.ts [--size 64] [--batch 2] [--reps 3] [--runs 2]
//     [--package-filter]   (tfjs-backend-webgpu's own Conv2DBackpropFilter instead of ours)
import * as tf from '@tensorflow/tfjs';
import os from 'node:os';
import { parseArgs } from 'node:util';
import { registerWebgpuTrainingKernels } from '../src/main/training/webgpu/kernels';
import { callKey, inputsFor, type KernelCall, recordKernelCalls } from '../test/kernel-calls';
import { summarize } from './stats';
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
    reps: { type: 'string', default: '3' },
    runs: { type: 'string', default: '2' },
    'package-filter': { type: 'boolean', default: false },
  },
});
const [size, batch, reps, runs] = [options.size, options.batch, options.reps, options.runs].map(
  (value, i) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < 1) {
      console.error(`--${['size', 'batch', 'reps', 'runs'][i]} must be a whole number >= 1`);
      process.exit(2);
    }
    return n;
  },
) as [number, number, number, number];

const adapter = await openWebgpu();
if (typeof adapter === 'string') {
  console.log(`skipped: no webgpu backend here (${adapter})`);
  process.exit(0);
}
if (!options['package-filter']) registerWebgpuTrainingKernels();
console.log(`adapter: ${describeAdapter(adapter)}`);
console.log(
  `reference U-Net, ${size} px, batch ${batch}, ` +
    `${options['package-filter'] ? "the package's" : 'our'} Conv2DBackpropFilter; ` +
    `1-minute load ${os.loadavg()[0]!.toFixed(1)}`,
);

const reference = referenceStep(size, batch);
await reference.step();
const stepTimes: Timed[] = [];
for (let rep = 0; rep < reps; rep++) stepTimes.push(await timed(reference.step));
const { calls } = await recordKernelCalls('webgpu', reference.step);
reference.dispose();

const distinct = new Map<string, { call: KernelCall; count: number }>();
for (const call of calls) {
  const key = callKey(call);
  distinct.set(key, { call, count: (distinct.get(key)?.count ?? 0) + 1 });
}
const byKernel = new Map<string, { calls: number; wall: number; cpu: number }>();
const slowest: { key: string; count: number; wall: number }[] = [];
for (const [key, { call, count }] of distinct) {
  const inputs = inputsFor(call);
  const times: Timed[] = [];
  // The first run compiles the shader.
  for (let rep = -1; rep < reps; rep++) {
    const t = await timed(() => runAndRead(call, inputs, runs), runs);
    if (rep >= 0) times.push(t);
  }
  tf.dispose(Object.values(inputs));
  const { wall, cpu } = summarizeTimes(times);
  const total = byKernel.get(call.kernel) ?? { calls: 0, wall: 0, cpu: 0 };
  total.calls += count;
  total.wall += count * wall.median;
  total.cpu += count * cpu.median;
  byKernel.set(call.kernel, total);
  slowest.push({ key, count, wall: count * wall.median });
}

const sumWall = [...byKernel.values()].reduce((a, k) => a + k.wall, 0);
const sumCpu = [...byKernel.values()].reduce((a, k) => a + k.cpu, 0);
const step = summarizeTimes(stepTimes);
console.log(
  `\nWhole step: ${ms(step.wall)} ms wall, ${ms(step.cpu)} ms CPU (median [IQR] of ${reps}); ` +
    `${calls.length} kernel calls, ${distinct.size} distinct. Calls run alone add up to ` +
    `${sumWall.toFixed(0)} ms wall, ${sumCpu.toFixed(0)} ms CPU.\n`,
);
console.log('| Kernel | Calls | ms per step (wall) | Share | ms per step (CPU) |');
console.log('| --- | --: | --: | --: | --: |');
for (const [kernel, k] of [...byKernel].sort((a, b) => b[1].wall - a[1].wall)) {
  if (k.wall / sumWall < 0.01) continue;
  console.log(
    `| ${kernel} | ${k.calls} | ${k.wall.toFixed(1)} | ${((100 * k.wall) / sumWall).toFixed(0)}% | ` +
      `${k.cpu.toFixed(1)} |`,
  );
}
const rest = [...byKernel.values()].filter((k) => k.wall / sumWall < 0.01);
console.log(
  `| ${rest.length} others, under 1% each | ${rest.reduce((a, k) => a + k.calls, 0)} | ` +
    `${rest.reduce((a, k) => a + k.wall, 0).toFixed(1)} | | |`,
);
console.log('\nSlowest calls (all of a step), ms wall:');
for (const s of slowest.sort((a, b) => b.wall - a.wall).slice(0, 8)) {
  console.log(`  ${s.wall.toFixed(1)}  ${s.count}× ${s.key}`);
}
console.log(`1-minute load after: ${os.loadavg()[0]!.toFixed(1)}`);
// The per-call medians are of few repetitions; say how spread the whole steps were.
console.log(`step wall spread: ${JSON.stringify(summarize(stepTimes.map((t) => t.wall)))}`);
