// One tfjs backend as a bench contender: a forked child that builds the workload's network
// with the app's own model, loss and backend code, then times one Adam step, one 512x512
// prediction or one batch of 256x256 patches per request from the parent.
import * as tf from '@tensorflow/tfjs';
import { initBackend, nativeVersion } from '../src/main/training/backend';
import { getLoss } from '../src/main/training/losses';
import { buildModel } from '../src/main/training/models';
import { startDawn, type DawnAdapter } from '../src/main/training/webgpu/dawn';
import { adapterName } from '../src/shared/adapter';
import type { BackendId } from '../src/shared/ids';
import type { Command, Hello, Timing, Workload } from './protocol';

const send = (message: Hello | Timing) => process.send?.(message);

async function main(): Promise<void> {
  const backend = process.argv[2] as BackendId;
  const workload = JSON.parse(process.argv[3] as string) as Workload;
  try {
    await initBackend(backend);
  } catch (error) {
    send({ skipped: (error as Error).message });
    return;
  }
  const { size, batch, baseFilters, depth, batchNorm, inferSize, inferBatch, inferBatchSize } =
    workload;
  const config = {
    model: workload.model,
    channels: 3,
    baseFilters,
    depth,
    batchNorm,
    seed: 1,
  } as const;
  const model = buildModel({ ...config, size });
  // inferSize 0: training only (the plain-JS cpu backend would take minutes per image).
  const inferModel = inferSize > 0 ? buildModel({ ...config, size: inferSize }) : undefined;
  const loss = getLoss('iou');
  const optimizer = tf.train.adam(1e-3);
  const x = tf.randomUniform([batch, size, size, 3]) as tf.Tensor4D;
  const y = tf.cast(
    tf.greater(tf.randomUniform([batch, size, size, 1]), 0.5),
    'float32',
  ) as tf.Tensor4D;
  const image = inferModel && (tf.randomUniform([1, inferSize, inferSize, 3]) as tf.Tensor4D);
  const patchModel = inferModel && buildModel({ ...config, size: inferBatchSize });
  const patches = inferModel && tf.randomUniform([inferBatch, inferBatchSize, inferBatchSize, 3]);

  // Read asynchronously, as the trainer does: a synchronous read throws on webgpu in Node.
  const train = async () => {
    const cost = optimizer.minimize(
      () => loss(y, model.apply(x, { training: true }) as tf.Tensor4D),
      true,
    );
    await cost?.data();
    cost?.dispose();
  };
  // As the app predicts (src/main/predict/tfjs-runtime.ts): the array is read after the
  // tidy scope and asynchronously; returning it from tidy copies it again (issue 19).
  const infer = async (net: tf.LayersModel, input: tf.Tensor) => {
    const probs = tf.tidy(() => tf.sigmoid(net.predict(input) as tf.Tensor));
    await probs.data();
    probs.dispose();
  };
  const timed = async (f: () => unknown): Promise<Timing> => {
    const start = performance.now();
    await f();
    return { ms: performance.now() - start };
  };

  for (let i = 0; i < workload.warmup; i++) await train();
  if (inferModel) {
    await infer(inferModel, image!);
    await infer(patchModel!, patches!);
  }
  const threads =
    backend === 'wasm' ? (await import('@tensorflow/tfjs-backend-wasm')).getThreadsCount() : null;
  const setup =
    backend === 'wasm'
      ? `SIMD + XNNPACK, ${threads === 1 ? 'one thread' : `${threads} threads`}`
      : backend === 'webgpu'
        ? dawnSetup(await startDawn())
        : (nativeVersion() ?? backend);
  send({ ready: true, params: model.countParams(), threads, version: tf.version.tfjs, setup });

  process.on('message', async (command: Command) => {
    if (command.cmd === 'train') send(await timed(train));
    else if (command.cmd === 'infer') send(await timed(() => infer(inferModel!, image!)));
    else if (command.cmd === 'infer-batch') send(await timed(() => infer(patchModel!, patches!)));
    else process.exit(0);
  });
}

/** Which GPU the webgpu row measured; a software adapter is a CPU, said so. */
function dawnSetup(adapter: DawnAdapter): string {
  const software = adapter.software ? ', a software adapter (the CPU), not a GPU' : '';
  return `Dawn on ${adapterName(adapter)}${software}`;
}

void main();
