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
import { distinctCalls, inputsFor, recordKernelCalls } from '../test/kernel-calls';
import {
  ms,
  openWebgpuOrExit,
  referenceStep,
  inTurns,
  stepOptions,
  timeCall,
  timed,
  wholeNumbers,
} from './webgpu-timing';

const { values: options } = parseArgs({
  options: { ...stepOptions(3), 'package-filter': { type: 'boolean', default: false } },
});
const { size, batch, reps, runs } = wholeNumbers(options, ['size', 'batch', 'reps', 'runs']);

await openWebgpuOrExit();
if (!options['package-filter']) registerWebgpuTrainingKernels();
console.log(
  `reference U-Net, ${size} px, batch ${batch}, ` +
    `${options['package-filter'] ? "the package's" : 'our'} Conv2DBackpropFilter; ` +
    `1-minute load ${os.loadavg()[0]!.toFixed(1)}`,
);

const reference = referenceStep(size, batch);
const { step } = await inTurns(
  ['step'],
  () => {},
  reps,
  () => timed(reference.step),
);
const { calls } = await recordKernelCalls('webgpu', reference.step);
reference.dispose();

const distinct = distinctCalls(calls);
const byKernel = new Map<string, { calls: number; wall: number; cpu: number }>();
const slowest: { key: string; count: number; wall: number }[] = [];
for (const [key, { call, count }] of distinct) {
  const inputs = inputsFor(call);
  const { alone } = await inTurns(
    ['alone'],
    () => {},
    reps,
    () => timeCall(call, inputs, runs),
  );
  tf.dispose(Object.values(inputs));
  const { wall, cpu } = alone;
  const total = byKernel.get(call.kernel) ?? { calls: 0, wall: 0, cpu: 0 };
  total.calls += count;
  total.wall += count * wall.median;
  total.cpu += count * cpu.median;
  byKernel.set(call.kernel, total);
  slowest.push({ key, count, wall: count * wall.median });
}

const sumWall = [...byKernel.values()].reduce((a, k) => a + k.wall, 0);
const sumCpu = [...byKernel.values()].reduce((a, k) => a + k.cpu, 0);
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
