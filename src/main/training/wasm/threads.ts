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

/** Seconds the threaded module may take to start before we give up on it. */
const START_TIMEOUT_MS = 60_000;

/** Set while the threaded module starts: where a failing worker reports to. */
let starting: { fail(error: unknown): void; workers: Set<Worker> } | undefined;

/** Workers of a start-up that failed: their later errors are expected and ignored. */
const abandoned = new WeakSet<Worker>();

class BlobUrlWorker extends Worker {
  constructor(url: string | URL, options?: WorkerOptions) {
    const href = String(url);
    const script = href.startsWith('blob:') ? resolveObjectURL(href) : undefined;
    // execArgv: [] keeps the parent's flags (--import tsx, --input-type=module) out of
    // the bootstrap, which is plain CommonJS needing only Node's own modules.
    if (script) super(BOOTSTRAP, { ...options, eval: true, execArgv: [], workerData: { script } });
    else super(url, options);
    this.unref();
    starting?.workers.add(this);
  }

  /**
   * Emscripten refs a worker while it runs a pthread, and XNNPACK's pool threads run
   * (idle) forever, so a finished process would never exit. The pool only computes
   * while the main thread waits for it, so it never needs to keep the process alive.
   */
  override ref(): void {}

  /**
   * Emscripten's 'error' listener rethrows in the main thread, which would kill the
   * process when a worker fails to start; during start-up the failure is reported
   * instead, so that start-up can fall back to one thread (and the other workers of
   * that start-up, failing a moment later, are ignored).
   */
  override on(...[event, listener]: Parameters<Worker['on']>): this {
    if (event !== 'error') return super.on(event, listener);
    return super.on('error', (error: Error) => {
      if (starting) starting.fail(error);
      else if (!abandoned.has(this)) listener(error);
    });
  }
}

/**
 * Starts the wasm backend (via `start`, i.e. tf.setBackend('wasm')) with `threads`
 * XNNPACK threads. Resolves false, with the reason on stderr, when the threaded
 * module cannot start; the caller then starts again single-threaded after
 * `disableWasmThreads` (tfjs ignores the abandoned attempt).
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
  const workers = new Set<Worker>();
  let timer: NodeJS.Timeout | undefined;
  // Also keeps Node from exiting while start-up waits on the unref'd workers.
  const failure = new Promise<unknown>((resolve) => {
    starting = { fail: resolve, workers };
    timer = setTimeout(
      () => resolve(new Error(`no answer within ${START_TIMEOUT_MS / 1000} s`)),
      START_TIMEOUT_MS,
    );
  });
  try {
    const outcome = await Promise.race([start(), failure]);
    if (outcome === true) return true;
    const reason = outcome === false ? 'tfjs reported a failed start' : String(outcome);
    console.warn(`The threaded wasm backend did not start (${reason}); using one thread.`);
    for (const worker of workers) {
      abandoned.add(worker);
      void worker.terminate();
    }
    return false;
  } finally {
    starting = undefined;
    clearTimeout(timer);
    os.cpus = cpus;
  }
}

export function disableWasmThreads(wasm: WasmModule): void {
  tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', false);
  wasm.setThreadsCount(1);
}
