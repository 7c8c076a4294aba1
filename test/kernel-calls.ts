// The kernel calls a piece of tfjs work makes, recorded so each can be run again alone:
// to time one kernel on a training step's own shapes, or to check a replacement kernel
// on a step's own data. Only calls the engine dispatches are seen; a kernel that calls
// another kernel's function directly counts as one call.
import * as tf from '@tensorflow/tfjs';

export interface RecordedInput {
  shape: number[];
  /** float32 when left out. */
  dtype?: tf.DataType;
  /** The input's values, when recorded on a backend that reads synchronously (cpu). */
  values?: tf.TypedArray;
}

export interface KernelCall {
  kernel: string;
  inputs: Record<string, RecordedInput>;
  attrs: tf.NamedAttrMap;
  /** The kernel takes its inputs as a list (Concat, AddN), here keyed '0', '1', … */
  listed?: boolean;
  /** The first output's values, alongside `values` of the inputs. */
  output?: tf.TypedArray;
}

/**
 * Runs `body` with every registered kernel of `backendName` named in `kernels` (all when
 * omitted) wrapped to record its calls, then puts the kernels back. With `values`, every
 * input and the first output are read as they pass, which only the cpu backend can do.
 */
export async function recordKernelCalls<T>(
  backendName: string,
  body: () => T | Promise<T>,
  { kernels, values = false }: { kernels?: readonly string[]; values?: boolean } = {},
): Promise<{ result: T; calls: KernelCall[] }> {
  const calls: KernelCall[] = [];
  const originals = tf
    .getKernelsForBackend(backendName)
    .filter((config) => !kernels || kernels.includes(config.kernelName));
  const read = (backend: tf.KernelBackend, info: tf.TensorInfo) =>
    (backend.readSync(info.dataId) as tf.TypedArray).slice();
  const swap = (config: tf.KernelConfig) => {
    tf.unregisterKernel(config.kernelName, backendName);
    tf.registerKernel(config);
  };
  for (const original of originals) {
    swap({
      ...original,
      kernelFunc: (args) => {
        const result = original.kernelFunc(args);
        const first = Array.isArray(result) ? result[0] : result;
        const backend = args.backend as tf.KernelBackend;
        calls.push({
          kernel: original.kernelName,
          inputs: Object.fromEntries(
            // Optional inputs left out (a fused convolution without bias) come as undefined.
            Object.entries(args.inputs as Record<string, tf.TensorInfo | undefined>)
              .filter((entry): entry is [string, tf.TensorInfo] => entry[1] !== undefined)
              .map(([name, info]) => [
                name,
                {
                  shape: [...info.shape],
                  dtype: info.dtype,
                  ...(values ? { values: read(backend, info) } : {}),
                },
              ]),
          ),
          attrs: { ...args.attrs },
          ...(Array.isArray(args.inputs) ? { listed: true } : {}),
          ...(values && first ? { output: read(backend, first) } : {}),
        });
        return result;
      },
    });
  }
  try {
    return { result: await body(), calls };
  } finally {
    originals.forEach(swap);
  }
}

/** Tensors for `call`'s inputs on the current backend: its recorded values or random ones. */
export function inputsFor(call: KernelCall): tf.NamedTensorMap {
  return Object.fromEntries(
    Object.entries(call.inputs).map(([name, { shape, dtype = 'float32', values }]) => [
      name,
      values
        ? tf.tensor(values, shape, dtype)
        : dtype === 'float32'
          ? tf.randomUniform(shape, -1, 1)
          : // Indices and masks: zeros are valid for every kernel that takes them.
            tf.zeros(shape, dtype),
    ]),
  );
}

/** Runs `call`'s kernel again on the current backend, on `inputs`. */
export function replay(call: KernelCall, inputs: tf.NamedTensorMap): tf.Tensor[] {
  const given = call.listed ? (Object.values(inputs) as unknown as tf.NamedTensorMap) : inputs;
  const result = tf.engine().runKernel(call.kernel, given, call.attrs) as tf.Tensor | tf.Tensor[];
  return Array.isArray(result) ? result : [result];
}

/** Runs `call` on `backend`; returns every output's shape and all their values. */
export async function runOn(
  backend: string,
  call: KernelCall,
): Promise<{ shapes: number[][]; data: Float32Array }> {
  await tf.setBackend(backend);
  const inputs = inputsFor(call);
  const outputs = replay(call, inputs);
  try {
    const data = await Promise.all(outputs.map((t) => t.data()));
    return {
      shapes: outputs.map((t) => t.shape),
      data: Float32Array.from(data.flatMap((d) => Array.from(d))),
    };
  } finally {
    tf.dispose([outputs, Object.values(inputs)]);
  }
}

/** The distinct calls among `calls` (by `callKey`), each with how often it was made. */
export function distinctCalls(calls: readonly KernelCall[]) {
  const distinct = new Map<string, { call: KernelCall; count: number }>();
  for (const call of calls) {
    const key = callKey(call);
    distinct.set(key, { call, count: (distinct.get(key)?.count ?? 0) + 1 });
  }
  return distinct;
}

/** One line per distinct call: kernel, input shapes and attributes. */
export function callKey(call: KernelCall): string {
  const shapes = Object.entries(call.inputs).map(
    ([name, i]) => `${name}${JSON.stringify(i.shape)}`,
  );
  return `${call.kernel} ${shapes.join(' ')} ${JSON.stringify(call.attrs)}`;
}
