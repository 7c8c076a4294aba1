// ONNX Runtime as a bench contender (inference only): the workload's network built by the
// app's builder, exported by the app's ONNX exporter, run by onnxruntime-node on the CPU
// with argv[2] intra-op threads; times one 512x512 image or one batch of patches.
import * as tf from '@tensorflow/tfjs';
import { exportOnnx, INPUT_NAME, OUTPUT_NAME } from '../src/main/onnx/export';
import { buildModel } from '../src/main/training/models';
import type { Command, Hello, Timing, Workload } from './protocol';

const send = (message: Hello | Timing) => process.send?.(message);

async function main(): Promise<void> {
  const threads = Number(process.argv[2]);
  const workload = JSON.parse(process.argv[3] as string) as Workload;
  let ort: typeof import('onnxruntime-node');
  try {
    ort = await import('onnxruntime-node');
  } catch (error) {
    send({ skipped: `onnxruntime-node does not load here (${(error as Error).message})` });
    return;
  }
  // The plain-JS backend only holds the weights while they are exported.
  await tf.setBackend('cpu');
  const { baseFilters, depth, batchNorm, inferSize, inferBatch, inferBatchSize } = workload;
  const model = buildModel({
    model: workload.model,
    size: inferSize,
    channels: 3,
    baseFilters,
    depth,
    batchNorm,
    seed: 1,
  });
  const params = model.countParams();
  const session = await ort.InferenceSession.create(await exportOnnx(model), {
    executionProviders: ['cpu'],
    intraOpNumThreads: threads,
    // One request at a time: inter-op parallelism would only add threads.
    executionMode: 'sequential',
    graphOptimizationLevel: 'all',
  });
  model.dispose();
  const random = (n: number) => Float32Array.from({ length: n }, () => Math.random());
  const image = new ort.Tensor('float32', random(inferSize * inferSize * 3), [
    1,
    inferSize,
    inferSize,
    3,
  ]);
  const patches = new ort.Tensor(
    'float32',
    random(inferBatch * inferBatchSize * inferBatchSize * 3),
    [inferBatch, inferBatchSize, inferBatchSize, 3],
  );
  const run = async (input: InstanceType<typeof ort.Tensor>) => {
    const start = performance.now();
    await session.run({ [INPUT_NAME]: input }, [OUTPUT_NAME]);
    return { ms: performance.now() - start };
  };
  await run(image);
  await run(patches);
  send({
    ready: true,
    params,
    threads,
    version: ort.env.versions.common,
    trains: false,
    setup: `CPU provider, ${threads === 1 ? 'one thread' : `${threads} intra-op threads`}, sequential, all graph optimisations`,
  });

  process.on('message', (command: Command) => {
    if (command.cmd === 'infer') void run(image).then(send);
    else if (command.cmd === 'infer-batch') void run(patches).then(send);
    else if (command.cmd === 'exit') process.exit(0);
    else send({ ms: Number.NaN });
  });
}

void main();
