import { spawnSync } from 'node:child_process';
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';
import * as tf from '@tensorflow/tfjs';
import { getThreadsCount } from '@tensorflow/tfjs-backend-wasm';
import { afterEach, describe, expect, it } from 'vitest';
import { availableBackends, initBackend, wasmThreadCount } from '../../src/main/training/backend';
import { MAX_WASM_THREADS } from '../../src/main/training/wasm/threads';
import { WASM_TRAINING_KERNELS } from '../../src/main/training/wasm';
import { probeDawn } from '../../src/main/training/webgpu/dawn';
import { BACKEND_IDS } from '../../src/shared/ids';
import { repoRoot } from '../paths';

const require = createRequire(import.meta.url);
const backendModule = new URL('../../src/main/training/backend.ts', import.meta.url).href;
const BACKEND_MODULE = path.join(repoRoot, 'src/main/training/backend.ts');

function resolves(specifier: string, from?: string): string | undefined {
  try {
    return require.resolve(specifier, from ? { paths: [from] } : undefined);
  } catch {
    return undefined;
  }
}

describe('availableBackends', () => {
  it('lists what loads here, fastest first, always ending with wasm and cpu', async () => {
    const ids = await availableBackends();
    expect(ids).toEqual(BACKEND_IDS.filter((id) => ids.includes(id)));
    expect(ids.slice(-2)).toEqual(['wasm', 'cpu']);
    // Where a native package is not even installed it cannot be listed.
    if (!resolves('@tensorflow/tfjs-node')) expect(ids).not.toContain('tensorflow');
    if (!resolves('@tensorflow/tfjs-node-gpu')) expect(ids).not.toContain('tensorflow-gpu');
  });
});

describe('initBackend', () => {
  afterEach(() => {
    delete process.env.JACCARD_WASM_THREADS;
  });

  it('starts the fastest available backend and sets it on tf, adding no error handlers', async () => {
    const handlers = () =>
      ['uncaughtException', 'unhandledRejection'].map((e) => process.listenerCount(e));
    const before = handlers();
    // A software WebGPU adapter (llvmpipe here) is listed, as it can be forced, but never picked.
    const software = (await probeDawn().catch(() => null))?.software;
    const fastest = (await availableBackends()).find((id) => id !== 'webgpu' || !software);
    expect(await initBackend()).toBe(fastest);
    expect(tf.getBackend()).toBe(fastest === 'tensorflow-gpu' ? 'tensorflow' : fastest);
    expect(handlers()).toEqual(before);
  });

  it('switches to a forced backend, and back', async () => {
    expect(await initBackend('cpu')).toBe('cpu');
    expect(tf.getBackend()).toBe('cpu');
    expect(await initBackend('wasm')).toBe('wasm');
    expect(tf.getBackend()).toBe('wasm');
  });

  it('registers our training kernels for wasm, replacing the package’s own', async () => {
    await initBackend('wasm');
    for (const config of WASM_TRAINING_KERNELS) {
      expect(tf.getKernel(config.kernelName, 'wasm'), config.kernelName).toBe(config);
    }
  });

  it('runs XNNPACK on every core (up to its pool of eight)', async () => {
    await initBackend('wasm');
    expect(getThreadsCount()).toBe(Math.min(os.availableParallelism(), MAX_WASM_THREADS));
  });

  /** Runs a script that starts wasm with two threads and convolves, in a fresh Node. */
  function runThreaded(nodeFlags: string[]) {
    const script = [
      `const { initBackend } = await import(${JSON.stringify(backendModule)});`,
      `const tf = await import('@tensorflow/tfjs');`,
      `const { getThreadsCount } = await import('@tensorflow/tfjs-backend-wasm');`,
      `await initBackend('wasm');`,
      `tf.conv2d(tf.ones([1, 8, 8, 2]), tf.ones([3, 3, 2, 2]), 1, 'same').dataSync();`,
      `console.log('threads', getThreadsCount());`,
    ].join('\n');
    return new Promise<{ error: Error | null; stdout: string; stderr: string }>((resolve) =>
      execFile(
        process.execPath,
        [...nodeFlags, '--import', 'tsx', '--input-type=module', '-e', script],
        { timeout: 30_000, env: { ...process.env, JACCARD_WASM_THREADS: '2' } },
        (error, stdout, stderr) => resolve({ error, stdout, stderr }),
      ),
    );
  }

  it('lets a process that used threaded wasm exit by itself', async () => {
    // XNNPACK's pool threads idle forever; they must not hold the process open (the
    // 30 s timeout would kill it and report an error).
    const { error, stdout } = await runThreaded([]);
    expect(error).toBeNull();
    expect(stdout).toContain('threads 2');
  });

  it('falls back to one thread when the threaded build cannot start', async () => {
    // Hardened Node setups forbid eval, which the pthread bootstrap needs.
    const { error, stdout, stderr } = await runThreaded([
      '--disallow-code-generation-from-strings',
    ]);
    expect(error).toBeNull();
    expect(stdout).toContain('threads 1');
    expect(stderr).toMatch(/threaded wasm backend did not start .*using one thread/);
  });

  it.runIf(!resolves('@tensorflow/tfjs-node'))(
    'explains why a forced native backend cannot start',
    async () => {
      await expect(initBackend('tensorflow')).rejects.toThrow(
        /Backend 'tensorflow' cannot be used here.*@tensorflow\/tfjs-node does not load/,
      );
    },
  );

  it('keeps the cpu backend from printing its "install tfjs-node" banner', () => {
    // A fresh process: the banner comes once per process, on the backend's first tensor.
    const firstTensor = (start: string) =>
      spawnSync(
        process.execPath,
        [
          '--import',
          'tsx',
          '--input-type=module',
          '--eval',
          `import * as tf from '@tensorflow/tfjs';
           import { initBackend } from ${JSON.stringify(BACKEND_MODULE)};
           ${start};
           tf.tensor([1]).dataSync();`,
        ],
        { cwd: repoRoot, encoding: 'utf8' },
      );
    expect(firstTensor("await tf.setBackend('cpu')").stderr).toMatch(/tfjs-node/);
    const quiet = firstTensor("await initBackend('cpu')");
    expect(quiet.status).toBe(0);
    expect(quiet.stderr + quiet.stdout).toBe('');
  });

  it('trains on the others where WebGPU finds no adapter, and says why once', () => {
    // No EGL driver for glvnd to load, as on a machine without Mesa (and without Vulkan).
    const child = spawnSync(
      process.execPath,
      [
        '--import',
        'tsx',
        '--input-type=module',
        '--eval',
        `import { availableBackends, initBackend } from ${JSON.stringify(BACKEND_MODULE)};
         console.log(JSON.stringify(await availableBackends()));
         await initBackend();
         await initBackend('webgpu').catch((error) => console.log(error.message));`,
      ],
      {
        cwd: repoRoot,
        encoding: 'utf8',
        env: { ...process.env, __EGL_VENDOR_LIBRARY_FILENAMES: '/nonexistent.json' },
      },
    );
    expect(child.status).toBe(0);
    const [listed, forced] = child.stdout.trim().split('\n');
    expect(JSON.parse(listed!)).not.toContain('webgpu');
    expect(JSON.parse(listed!)).toContain('wasm');
    expect(forced).toMatch(
      /^Backend 'webgpu' cannot be used here\. webgpu: Dawn found no GPU adapter/,
    );
    const said = child.stderr.match(/WebGPU is not available: Dawn found no GPU adapter/g);
    expect(said).toHaveLength(1);
  });

  it('reads the wasm thread count from JACCARD_WASM_THREADS', () => {
    process.env.JACCARD_WASM_THREADS = '1';
    expect(wasmThreadCount()).toBe(1);
    process.env.JACCARD_WASM_THREADS = 'two';
    expect(() => wasmThreadCount()).toThrow(/JACCARD_WASM_THREADS must be a positive integer/);
    delete process.env.JACCARD_WASM_THREADS;
    expect(wasmThreadCount()).toBe(os.availableParallelism());
  });
});

describe('one tfjs-core for every backend package', () => {
  // Backends register into the engine of the tfjs-core they require. The app imports
  // '@tensorflow/tfjs'; the wasm and native packages must find that same tfjs-core.
  it('resolves @tensorflow/tfjs-core to one file from tfjs and every backend package', () => {
    const core = resolves(
      '@tensorflow/tfjs-core',
      path.dirname(require.resolve('@tensorflow/tfjs')),
    );
    expect(core).toBeDefined();
    for (const pkg of [
      '@tensorflow/tfjs-backend-wasm',
      '@tensorflow/tfjs-backend-webgpu',
      '@tensorflow/tfjs-node',
      '@tensorflow/tfjs-node-gpu',
    ]) {
      const entry = resolves(pkg);
      if (entry) expect(resolves('@tensorflow/tfjs-core', path.dirname(entry)), pkg).toBe(core);
    }
  });

  it('has the wasm backend registered in the engine the app imports', async () => {
    await initBackend('wasm');
    expect(tf.findBackend('wasm')).toBe(tf.backend());
  });
});
