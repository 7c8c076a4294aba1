// ONNX Runtime behind the runtime seam: an exported model file (onnx/export.ts) run by
// onnxruntime-node, on a GPU where one of its GPU providers really starts, else on the CPU.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type * as Ort from 'onnxruntime-node';
import { ApiError } from '#shared/errors';
import { INPUT_NAME, OUTPUT_NAME } from '../onnx/export';
import type { Runtime } from './runtime';

type OrtModule = typeof Ort;

let loading: Promise<OrtModule | Error> | undefined;

/** onnxruntime-node, or why it cannot load here (not installed, no build for this platform). */
function loadOrt(): Promise<OrtModule | Error> {
  // Imported on demand: the native library is large, and most commands never predict.
  loading ??= import('onnxruntime-node').then(
    (module) => ((module as { default?: OrtModule }).default ?? module) as OrtModule,
    (error: unknown) => (error instanceof Error ? error : new Error(String(error))),
  );
  return loading;
}

export async function onnxRuntimeLoads(): Promise<boolean> {
  return !((await loadOrt()) instanceof Error);
}

/**
 * GPU providers in order of preference, for the platforms whose onnxruntime-node build
 * carries them. WebGPU (Dawn, over Vulkan/Metal/D3D12) is bundled on Linux and Windows but
 * needs a real adapter; CUDA and TensorRT are listed but usable only after the opt-in
 * download (README), which puts their provider library beside the binding: trying them
 * without it only logs a native error.
 */
function gpuProviders(ort: OrtModule): string[] {
  const usable = new Set(
    ort
      .listSupportedBackends()
      .filter((b) => b.bundled || existsSync(join(bindingFolder(), providerLibrary(b.name))))
      .map((b) => b.name),
  );
  const order = process.platform === 'win32' ? ['cuda', 'dml', 'webgpu'] : ['cuda', 'webgpu'];
  return order.filter((name) => usable.has(name) && (name !== 'webgpu' || webgpuMayStart()));
}

/**
 * On Linux, Dawn reaches a GPU through the Vulkan loader; without one installed it cannot
 * start, and trying prints a native warning on every prediction. No loader, no attempt.
 */
function webgpuMayStart(): boolean {
  if (process.platform !== 'linux') return true;
  const dirs = [
    `/usr/lib/${process.arch === 'arm64' ? 'aarch64' : 'x86_64'}-linux-gnu`,
    '/usr/lib64',
    '/usr/lib',
    '/usr/local/lib',
  ];
  return dirs.some((dir) => existsSync(join(dir, 'libvulkan.so.1')));
}

function bindingFolder(): string {
  const root = dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
  return join(root, 'bin', 'napi-v6', process.platform, process.arch);
}

function providerLibrary(name: string): string {
  return process.platform === 'win32'
    ? `onnxruntime_providers_${name}.dll`
    : `libonnxruntime_providers_${name}.so`;
}

/** Providers that failed to start in this process: each is tried once, not per model. */
const failedProviders = new Set<string>();

export interface OnnxRuntimeOptions {
  /** Intra-op threads; 0 (default) lets ONNX Runtime use one per physical core. */
  threads?: number;
  /** 'cpu' skips the GPU providers; 'auto' tries them first. */
  device?: 'auto' | 'cpu';
}

/**
 * A runtime for an exported model (a file path or its bytes) taking `size` x `size`
 * inputs. Rejects with a clear error where onnxruntime-node does not load.
 */
export async function onnxRuntime(
  model: string | Uint8Array,
  size: number,
  options: OnnxRuntimeOptions = {},
): Promise<Runtime> {
  const ort = await loadOrt();
  if (ort instanceof Error) {
    throw new ApiError(
      'invalid',
      `ONNX Runtime does not load here (${ort.message}); use --runtime tfjs, or reinstall onnxruntime-node.`,
    );
  }
  const base: Ort.InferenceSession.SessionOptions = {
    intraOpNumThreads: options.threads ?? 0,
    graphOptimizationLevel: 'all',
    // Errors only: a GPU provider warns about every node it leaves to the CPU.
    logSeverityLevel: 3,
  };
  const bytes = typeof model === 'string' ? await readFile(model) : model;
  const create = (provider: string) =>
    ort.InferenceSession.create(bytes, { ...base, executionProviders: [provider] });

  let session: Ort.InferenceSession | undefined;
  let provider = 'cpu';
  if ((options.device ?? 'auto') === 'auto') {
    for (const gpu of gpuProviders(ort)) {
      if (failedProviders.has(gpu)) continue;
      try {
        session = await create(gpu);
        provider = gpu;
        break;
      } catch {
        failedProviders.add(gpu);
      }
    }
  }
  session ??= await create('cpu');
  const open = session;

  return {
    id: `onnxruntime-${provider}`,
    size,
    async forward(x, n) {
      if (x.length !== n * size * size * 3) {
        throw new Error(`Expected ${n} x ${size} x ${size} x 3 values, got ${x.length}.`);
      }
      const input = new ort.Tensor('float32', x, [n, size, size, 3]);
      const outputs = await open.run({ [INPUT_NAME]: input });
      // On the CPU the output's data is already a JS array; a GPU output is downloaded.
      return (await outputs[OUTPUT_NAME]!.getData(true)) as Float32Array;
    },
    dispose() {
      void open.release();
    },
  };
}
