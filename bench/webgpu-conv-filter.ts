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
  options: { ...stepOptions(7), steps: { type: 'string', default: '5' } },
});
const { size, batch, reps, runs, steps } = wholeNumbers(options, [
  'size',
  'batch',
  'reps',
  'runs',
  'steps',
]);

await openWebgpuOrExit();
const packageKernel = tf.getKernel(tf.Conv2DBackpropFilter, 'webgpu');
const kernels = { package: packageKernel, ours: conv2dBackpropFilterConfig };
type Contender = keyof typeof kernels;
const use = (name: Contender) => {
  tf.unregisterKernel(tf.Conv2DBackpropFilter, 'webgpu');
  tf.registerKernel(kernels[name]);
};
const contenders = ['package', 'ours'] as const;

console.log(
  `reference U-Net, ${size} px, batch ${batch}; 1-minute load ${os.loadavg()[0]!.toFixed(1)}`,
);

const reference = referenceStep(size, batch);
use('package');
await reference.step();
const { calls } = await recordKernelCalls('webgpu', reference.step, {
  kernels: [tf.Conv2DBackpropFilter],
});
const distinct = distinctCalls(calls);

const rows: string[] = [];
const perStep: Record<Contender, { wall: number; cpu: number }> = {
  package: { wall: 0, cpu: 0 },
  ours: { wall: 0, cpu: 0 },
};
for (const { call, count } of distinct.values()) {
  const inputs = inputsFor(call);
  const summary = await inTurns(contenders, use, reps, () => timeCall(call, inputs, runs));
  tf.dispose(Object.values(inputs));
  for (const name of contenders) {
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

const stepSummary = await inTurns(contenders, use, steps, () => timed(reference.step));
reference.dispose();
console.log(
  `Whole step, median [IQR] ms: package ${ms(stepSummary.package.wall)}, ours ` +
    `${ms(stepSummary.ours.wall)} (CPU ${ms(stepSummary.package.cpu)} vs ${ms(stepSummary.ours.cpu)}).`,
);
console.log(`1-minute load after: ${os.loadavg()[0]!.toFixed(1)}`);
