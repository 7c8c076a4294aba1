// Picks and starts the tfjs backend training and inference run on. Everything imports
// tfjs as `import * as tf from '@tensorflow/tfjs'`; @tensorflow/tfjs-node(-gpu) and
// @tensorflow/tfjs-backend-wasm require that same package (4.22.0, pinned exactly, so npm
// installs one @tensorflow/tfjs-core), and loading them registers their backend into
// the one engine we use. Native TensorFlow is optional: those packages are
// optionalDependencies and are only present where they installed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import type { WebGPUBackend } from '@tensorflow/tfjs-backend-webgpu';
import { BACKEND_IDS, type BackendId } from '#shared/ids';
import { guardWasmHeap } from './wasm-heap';
import { probeDawn, startDawn } from './webgpu/dawn';
import { deviceFailure, watchDevice, type WatchedDevice } from './webgpu/device';

const require = createRequire(import.meta.url);

// Loaded by the first initBackend, not with this module: the engine imports it at start
// to list the backends, which needs neither tfjs nor the wasm glue (seconds to load).
const loadTf = () => import('@tensorflow/tfjs');

const NATIVE_PACKAGES = {
  'tensorflow-gpu': '@tensorflow/tfjs-node-gpu',
  tensorflow: '@tensorflow/tfjs-node',
} as const;
type NativeId = keyof typeof NATIVE_PACKAGES;

/** Both native packages register their backend as 'tensorflow'; one per process. */
let nativeLoaded: NativeId | undefined;

/**
 * Sets tf's backend: the forced one, or the first of BACKEND_IDS (fastest first) that
 * loads and, for webgpu, runs on a hardware adapter. A forced backend that cannot load
 * throws, saying why.
 */
export async function initBackend(forced?: BackendId): Promise<BackendId> {
  const failures: string[] = [];
  for (const id of forced ? [forced] : BACKEND_IDS) {
    try {
      if (id === 'webgpu' && !forced) await assertHardwareAdapter();
      await start(id);
      return id;
    } catch (error) {
      failures.push(`${id}: ${(error as Error).message}`);
    }
  }
  if (forced) throw new Error(`Backend '${forced}' cannot be used here. ${failures[0]}`);
  throw new Error(`No tfjs backend could start:\n${failures.join('\n')}`);
}

/**
 * The backends that load on this machine, fastest first (webgpu on any adapter, as it
 * can be forced). Native packages and Dawn are tried in a child process, so probing
 * never loads them into (or pins the backend of) the caller; the answer is computed once.
 */
export function availableBackends(): Promise<BackendId[]> {
  available ??= (async () => {
    const loads = await Promise.all(BACKEND_IDS.map(loadsHere));
    return BACKEND_IDS.filter((_, i) => loads[i]);
  })();
  return available;
}
let available: Promise<BackendId[]> | undefined;

async function loadsHere(id: BackendId): Promise<boolean> {
  switch (id) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return nativeLoads(NATIVE_PACKAGES[id]);
    case 'webgpu':
      return probeDawn().then(
        () => true,
        (error: Error) => {
          webgpuUnavailable(error);
          return false;
        },
      );
    case 'wasm':
      return 'WebAssembly' in globalThis && existsSync(wasmBinary());
    case 'cpu':
      return true;
  }
}

/** XNNPACK threads for the wasm backend: JACCARD_WASM_THREADS, else every core. */
export function wasmThreadCount(): number {
  const fromEnv = process.env.JACCARD_WASM_THREADS;
  if (fromEnv !== undefined && fromEnv !== '') {
    const n = Number(fromEnv);
    if (!Number.isInteger(n) || n < 1) {
      throw new Error(`JACCARD_WASM_THREADS must be a positive integer, got '${fromEnv}'.`);
    }
    return n;
  }
  return os.availableParallelism();
}

async function start(id: BackendId): Promise<void> {
  switch (id) {
    case 'tensorflow-gpu':
    case 'tensorflow':
      return startNative(id);
    case 'webgpu':
      return startWebgpu();
    case 'wasm':
      return startWasm();
    case 'cpu': {
      const tf = await loadTf();
      // On Node the cpu backend's first tensor prints an "install tfjs-node" banner into
      // CLI output; we already say which backend runs. Production mode is tfjs's switch
      // for its console notes (in 4.x it gates nothing else), set only on this slow path.
      tf.enableProdMode();
      if (!(await tf.setBackend('cpu'))) throw new Error('the cpu backend did not start');
    }
  }
}

async function startNative(id: NativeId): Promise<void> {
  if (nativeLoaded && nativeLoaded !== id) {
    throw new Error(`${NATIVE_PACKAGES[nativeLoaded]} is already loaded in this process`);
  }
  // A variable specifier: the packages are optional and may have no types installed.
  const specifier: string = NATIVE_PACKAGES[id];
  // TensorFlow's C++ INFO lines (oneDNN, CPU features) would land in every CLI's output.
  process.env.TF_CPP_MIN_LOG_LEVEL ??= '1';
  try {
    await import(specifier);
  } catch (error) {
    throw new Error(`${specifier} does not load (${(error as Error).message.split('\n')[0]})`);
  }
  nativeLoaded = id;
  const [tf, { registerNativeStep }] = await Promise.all([loadTf(), import('./tensorflow/step')]);
  if (!(await tf.setBackend('tensorflow'))) throw new Error(`${specifier} did not start`);
  registerNativeStep();
  // Which TensorFlow a run used, for its log: the C library's own version (2.9.1 when
  // npm downloaded it; the wheel's when `npm run setup:tensorflow` built the addon).
  if (!nativeVersionShown) {
    nativeVersionShown = true;
    process.stderr.write(`${nativeVersion()}\n`);
  }
}
let nativeVersionShown = false;

/**
 * 'TensorFlow 2.21.0 (@tensorflow/tfjs-node 4.22.0)' once a native backend started in this
 * process, else undefined.
 */
export function nativeVersion(): string | undefined {
  if (!nativeLoaded) return undefined;
  const specifier = NATIVE_PACKAGES[nativeLoaded];
  const pkg = require(`${specifier}/package.json`) as { version: string };
  const { binding } = require(specifier).backend() as { binding?: { TF_Version?: string } };
  return `TensorFlow ${binding?.TF_Version ?? '?'} (${specifier} ${pkg.version})`;
}

/** Auto selection skips a software adapter, and says once why webgpu is unavailable. */
async function assertHardwareAdapter(): Promise<void> {
  const adapter = await probeDawn().catch((error: Error) => {
    webgpuUnavailable(error);
    throw error;
  });
  if (adapter.software) {
    throw new Error(
      `${adapter.device} is a software adapter, used only when forced (--backend webgpu)`,
    );
  }
}

/** Tells the user once per process why there is no GPU training through WebGPU. */
function webgpuUnavailable(error: Error): void {
  if (webgpuReasonShown) return;
  webgpuReasonShown = true;
  process.stderr.write(`WebGPU is not available: ${error.message}\n`);
}
let webgpuReasonShown = false;

async function startWebgpu(): Promise<void> {
  await startDawn();
  const [tf, { registerWebgpuTrainingKernels }] = await Promise.all([
    loadTf(),
    import('./webgpu/kernels/index'),
  ]);
  // A lost device does not come back: tfjs must make the backend again, on a new device.
  if (deviceFailure()) {
    const factory = tf.findBackendFactory('webgpu');
    tf.removeBackend('webgpu');
    tf.registerBackend('webgpu', factory, WEBGPU_PRIORITY);
  }
  registerWebgpuTrainingKernels();
  // setBackend answers false (and tfjs logs why) when the adapter or device is refused;
  // training must then stop rather than run on whatever backend was current.
  if (!(await tf.setBackend('webgpu'))) throw new Error('the webgpu backend did not start');
  watchDevice((tf.backend() as WebGPUBackend).device as unknown as WatchedDevice);
}
/** tfjs-backend-webgpu's own registration priority. */
const WEBGPU_PRIORITY = 3;

async function startWasm(): Promise<void> {
  const [tf, wasm, { registerWasmTrainingKernels }, { disableWasmThreads, startWasmThreaded }] =
    await Promise.all([
      loadTf(),
      import('@tensorflow/tfjs-backend-wasm'),
      import('./wasm/index'),
      import('./wasm/threads'),
    ]);
  // Explicit paths keep working when the code is bundled away from node_modules.
  if (!wasmPathsSet) {
    wasm.setWasmPaths(`${path.dirname(wasmBinary())}${path.sep}`);
    wasmPathsSet = true;
  }
  registerWasmTrainingKernels();
  const threads = wasmThreadCount();
  const begin = () => tf.setBackend('wasm');
  await withoutEmscriptenHandlers(async () => {
    if (threads > 1 && (await startWasmThreaded(wasm, threads, begin))) return;
    disableWasmThreads(wasm);
    if (!(await begin())) throw new Error('the wasm backend did not start');
  });
  // A failed allocation must throw, not hand out address 0 (see wasm-heap.ts).
  guardWasmHeap(tf.backend() as BackendWasm);
}
let wasmPathsSet = false;

/**
 * Emscripten's Node glue installs process-wide 'uncaughtException' and
 * 'unhandledRejection' handlers that rethrow; Node then prints the whole minified
 * one-line module as the error's source line (hundreds of kilobytes) and the process's
 * own handlers lose control. Remove what the module starts (including an abandoned
 * threaded one) added.
 */
async function withoutEmscriptenHandlers<T>(body: () => Promise<T>): Promise<T> {
  const events = ['uncaughtException', 'unhandledRejection'];
  const listeners = (event: string) => process.listeners(event as 'uncaughtException');
  const before = new Set(events.flatMap(listeners));
  try {
    return await body();
  } finally {
    for (const event of events) {
      for (const listener of listeners(event)) {
        if (!before.has(listener)) process.removeListener(event, listener);
      }
    }
  }
}

function wasmBinary(): string {
  return require.resolve('@tensorflow/tfjs-backend-wasm/dist/tfjs-backend-wasm.wasm');
}

function nativeLoads(specifier: string): Promise<boolean> {
  let resolved: string;
  try {
    resolved = require.resolve(specifier);
  } catch {
    return Promise.resolve(false);
  }
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      ['-e', `require(${JSON.stringify(resolved)})`],
      { timeout: 60_000 },
      (error) => resolve(error === null),
    );
  });
}
