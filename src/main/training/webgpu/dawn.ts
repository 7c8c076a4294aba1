// Dawn (the `webgpu` package's Node bindings) as the GPU behind tfjs-backend-webgpu.
// tfjs expects a browser: `navigator.gpu` and the GPU* constants must exist before its
// backend module is imported, or 'webgpu' is never registered and the first op throws.
//
// Which adapter to use is found in a child process (probeDawn): a broken GPU driver can
// crash the process that opens it, and the engine must be able to list backends without
// loading Dawn at all. The child tries Dawn's native backend first (Vulkan, Metal or
// D3D12), then OpenGL ES, which on GL offers only a compatibility-mode adapter; the
// process that trains then opens exactly what the child found.
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';
import type { GpuAdapter } from '#shared/domain';

const require = createRequire(import.meta.url);

export interface DawnAdapter extends GpuAdapter {
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
  /**
   * A CPU rasteriser posing as a GPU (llvmpipe, SwiftShader, ...): it trains correctly
   * but several times slower than wasm, so it is used only when forced.
   */
  software: boolean;
}

/** The adapter's name, as a run records it. */
export function gpuAdapterOf({
  vendor,
  architecture,
  device,
  description,
}: GpuAdapter): GpuAdapter {
  return { vendor, architecture, device, description };
}

/** What the probe found: the adapter and how to open it again. */
interface Found {
  adapter: DawnAdapter;
  flags: string[];
  featureLevel: 'core' | 'compatibility';
}

type Gpu = {
  requestAdapter(options?: Record<string, unknown>): Promise<object | null>;
};

// llvmpipe reports isFallbackAdapter false (Mesa 22.3), so software is recognised by name too.
const SOFTWARE = /llvmpipe|lavapipe|softpipe|swiftshader|microsoft basic render driver/i;

/** Whether Dawn's answer names a software rasteriser. */
export function isSoftwareAdapter(
  info: Pick<GpuAdapter, 'vendor' | 'device' | 'description'>,
  isFallbackAdapter = false,
): boolean {
  return isFallbackAdapter || SOFTWARE.test(`${info.vendor} ${info.device} ${info.description}`);
}

// Run by `node --input-type=module` with the package's entry as argv[1]; prints one JSON
// line: { flags, featureLevel, info, limits } or { error }.
const PROBE = `
const { create, globals } = await import(process.argv[1]);
Object.assign(globalThis, globals);
const tries = [[[], 'core'], [['backend=opengles'], 'compatibility']];
for (const [flags, featureLevel] of tries) {
  const adapter = await create(flags)
    .requestAdapter({ featureLevel, powerPreference: 'high-performance' })
    .catch(() => null);
  if (!adapter) continue;
  const { vendor, architecture, device, description } = adapter.info;
  const fallback = Boolean(adapter.info.isFallbackAdapter ?? adapter.isFallbackAdapter);
  const { maxBufferSize, maxStorageBufferBindingSize } = adapter.limits;
  console.log(JSON.stringify({ flags, featureLevel, fallback,
    info: { vendor, architecture, device, description },
    limits: { maxBufferSize, maxStorageBufferBindingSize } }));
  process.exit(0);
}
console.log(JSON.stringify({ error: 'Dawn found no GPU adapter (tried its native backend and OpenGL ES)' }));
`;

/** Without a display Mesa's EGL must not look for one (here and in the probe's child). */
function surfacelessWithoutDisplay(): void {
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    process.env.EGL_PLATFORM ??= 'surfaceless';
  }
}

let probed: Promise<Found> | undefined;

/**
 * The adapter Dawn offers on this machine, found once per process in a child process.
 * Rejects, saying why, where the package does not load or no adapter exists.
 */
export function probeDawn(): Promise<DawnAdapter> {
  probed ??= probe();
  return probed.then((found) => found.adapter);
}

async function probe(): Promise<Found> {
  let entry: string;
  try {
    entry = require.resolve('webgpu');
  } catch {
    throw new Error('the optional package `webgpu` (Dawn) is not installed');
  }
  surfacelessWithoutDisplay();
  const { stdout, stderr, failure } = await new Promise<{
    stdout: string;
    stderr: string;
    failure: string | null;
  }>((resolve) =>
    execFile(
      process.execPath,
      ['--input-type=module', '-e', PROBE, pathToFileURL(entry).href],
      { timeout: 60_000 },
      (error, stdout, stderr) => {
        const failure = !error
          ? null
          : error.killed
            ? 'timed out after 60 s'
            : error.signal
              ? `crashed (${error.signal})`
              : `exited with code ${String(error.code)}`;
        resolve({ stdout, stderr, failure });
      },
    ),
  );
  const line = stdout.trim().split('\n').pop() ?? '';
  if (failure !== null || !line.startsWith('{')) {
    const why = lastLine(stderr) ?? failure ?? 'no answer';
    throw new Error(`Dawn did not start (${failure ?? 'no answer'}: ${why})`);
  }
  const answer = JSON.parse(line) as
    | { error: string }
    | {
        flags: string[];
        featureLevel: Found['featureLevel'];
        fallback: boolean;
        info: GpuAdapter;
        limits: Pick<DawnAdapter, 'maxBufferSize' | 'maxStorageBufferBindingSize'>;
      };
  if ('error' in answer) throw new Error(answer.error);
  const { flags, featureLevel, fallback, info, limits } = answer;
  return {
    flags,
    featureLevel,
    adapter: { ...info, ...limits, software: isSoftwareAdapter(info, fallback) },
  };
}

function lastLine(text: string): string | undefined {
  const lines = text.trim().split('\n').filter(Boolean);
  return lines.find((l) => /error/i.test(l)) ?? lines.pop();
}

let started: Promise<DawnAdapter> | undefined;

/**
 * Loads Dawn once per process on the adapter probeDawn found, registers tfjs's webgpu
 * backend on it and answers the adapter. Throws, saying why, where the package or an
 * adapter is missing.
 */
export function startDawn(): Promise<DawnAdapter> {
  started ??= open();
  return started;
}

async function open(): Promise<DawnAdapter> {
  const { flags, featureLevel, adapter } = await (probed ??= probe());
  // A variable specifier: the package is optional.
  const specifier: string = 'webgpu';
  const { create, globals } = (await import(specifier)) as {
    create(flags: string[]): Gpu;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, globals);
  const gpu = create(flags);
  // tfjs asks for a default (core) adapter; on OpenGL ES only a compatibility one exists.
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel });
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  if (!(await gpu.requestAdapter({ powerPreference: 'high-performance' }))) {
    throw new Error(`Dawn no longer offers the adapter it found (${adapter.device})`);
  }
  await import('@tensorflow/tfjs-backend-webgpu');
  return adapter;
}
