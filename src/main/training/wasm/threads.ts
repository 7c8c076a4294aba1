// Runs tfjs-backend-wasm's threaded-SIMD build under Node, where tfjs 4.22 refuses to.
// Two things block it, and both are worked around here, only while the module starts:
//
// 1. tfjs hard-codes WASM_HAS_MULTITHREAD_SUPPORT to false under Node (tfjs issue 3830):
//    emscripten starts its pthread workers from blob: URLs (the worker script and the
//    module factory are inlined into the bundle as strings), and Node's worker_threads
//    rejects blob: URLs (ERR_WORKER_PATH) while its importScripts shim reads files only.
//    Fix: a Worker class that hands the blob to an eval'd bootstrap, which evaluates the
//    worker script, then feeds emscripten's "load" message the main script's text.
// 2. The C++ side caps XNNPACK's thread pool at navigator.hardwareConcurrency / 2 (it
//    assumes two hyper-threads per core), which under Node is os.cpus().length / 2: one
//    thread on a 2-vCPU machine. Fix: os.cpus() reports twice the wanted count while the
//    module's static constructors run.
//
// The factory text refers to a few of the bundle's own module variables (require$$0 for
// fs, ...); the bootstrap defines them. They are pinned by the exact tfjs version in
// package.json; if an upgrade renames them, start-up fails and the caller falls back to
// one thread.
import os from 'node:os';
import { resolveObjectURL } from 'node:buffer';
import { Worker, type WorkerOptions } from 'node:worker_threads';
import * as tf from '@tensorflow/tfjs';

type WasmModule = typeof import('@tensorflow/tfjs-backend-wasm');

/** Emscripten's pool holds eight workers; XNNPACK cannot use more. */
export const MAX_WASM_THREADS = 8;

const MAIN_SCRIPT = 'jaccard:wasm-main-script';

const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
const fs = require('node:fs');
let mainScript = '';
let queue = (async () => {
  Object.assign(globalThis, {
    require$$0: fs,
    require$$1: require('node:path'),
    require$$3: require('node:perf_hooks'),
    require$$4: require('node:os'),
    commonjsGlobal: globalThis,
  });
  (0, eval)(await workerData.script.text());
  // Emscripten's worker listens itself and would get the main script as an unreadable
  // blob; route every message through deliver() instead, in arrival order.
  parentPort.removeAllListeners('message');
  parentPort.on('message', (data) => { queue = queue.then(() => deliver(data)); });
  globalThis.importScripts = (file) =>
    (0, eval)(file === ${JSON.stringify(MAIN_SCRIPT)} ? mainScript : fs.readFileSync(file, 'utf8'));
})();
async function deliver(data) {
  if (data && data.cmd === 'load' && typeof data.urlOrBlob !== 'string') {
    mainScript = await data.urlOrBlob.text();
    data.urlOrBlob = ${JSON.stringify(MAIN_SCRIPT)};
  }
  globalThis.onmessage({ data });
}
parentPort.on('message', (data) => { queue = queue.then(() => deliver(data)); });
`;

class BlobUrlWorker extends Worker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const href = String(url);
    const script = href.startsWith('blob:') ? resolveObjectURL(href) : undefined;
    // execArgv: [] keeps the parent's flags (--import tsx, --input-type=module) out of
    // the bootstrap, which is plain CommonJS needing only Node's own modules.
    if (script) super(BOOTSTRAP, { ...options, eval: true, execArgv: [], workerData: { script } });
    else super(url, options);
    this.unref();
  }

  /**
   * Emscripten refs a worker while it runs a pthread, and XNNPACK's pool threads run
   * (idle) forever, so a finished process would never exit. The pool only computes
   * while the main thread waits for it, so it never needs to keep the process alive.
   */
  override ref(): void {}
}

/**
 * Starts the wasm backend (via `start`, i.e. tf.setBackend('wasm')) with `threads`
 * XNNPACK threads. Returns whatever `start` returns; on false the caller should start
 * again single-threaded with `disableWasmThreads`.
 */
export async function startWasmThreaded(
  wasm: WasmModule,
  threads: number,
  start: () => Promise<boolean>,
): Promise<boolean> {
  const count = Math.min(threads, MAX_WASM_THREADS);
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(count);
  // Emscripten assigns globalThis.Worker = worker_threads.Worker when it starts; keep ours.
  Object.defineProperty(globalThis, 'Worker', {
    configurable: true,
    get: () => BlobUrlWorker,
    set: () => {},
  });
  const cpus = os.cpus;
  os.cpus = () => Array.from({ length: 2 * count }, () => cpus()[0] as os.CpuInfo);
  // The unref'd workers must not let Node exit while start-up waits on them.
  const keepAlive = setInterval(() => {}, 1000);
  try {
    return await start();
  } finally {
    clearInterval(keepAlive);
    os.cpus = cpus;
  }
}

export function disableWasmThreads(wasm: WasmModule): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
}
