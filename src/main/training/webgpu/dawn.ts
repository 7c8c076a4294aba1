// Dawn (the `webgpu` package's Node bindings) as the GPU behind tfjs-backend-webgpu.
// tfjs expects a browser: `navigator.gpu` and the GPU* constants must exist before its
// backend module is imported, or 'webgpu' is never registered and the first op throws.
export interface DawnAdapter {
  vendor: string;
  architecture: string;
  device: string;
  description: string;
  maxBufferSize: number;
  maxStorageBufferBindingSize: number;
}

type Gpu = {
  requestAdapter(options?: Record<string, unknown>): Promise<{
    info: { vendor: string; architecture: string; device: string; description: string };
    limits: { maxBufferSize: number; maxStorageBufferBindingSize: number };
  } | null>;
};

let started: Promise<DawnAdapter> | undefined;

/**
 * Loads Dawn once per process, registers tfjs's webgpu backend on it and answers the
 * adapter it found. Throws, saying why, where the package or an adapter is missing.
 */
export function startDawn(): Promise<DawnAdapter> {
  started ??= open();
  return started;
}

async function open(): Promise<DawnAdapter> {
  // Without a display Mesa's EGL must not look for one.
  if (process.platform === 'linux' && !process.env.DISPLAY && !process.env.WAYLAND_DISPLAY) {
    process.env.EGL_PLATFORM ??= 'surfaceless';
  }
  // A variable specifier: the package is optional.
  const specifier: string = 'webgpu';
  const { create, globals } = (await import(specifier)) as {
    create(flags: string[]): Gpu;
    globals: Record<string, unknown>;
  };
  Object.assign(globalThis, globals);
  const gpu = create(['backend=opengles']);
  // On OpenGL ES Dawn only offers a compatibility-mode adapter, which tfjs never asks for.
  const request = gpu.requestAdapter.bind(gpu);
  gpu.requestAdapter = (options = {}) => request({ ...options, featureLevel: 'compatibility' });
  Object.defineProperty(globalThis, 'navigator', { value: { gpu }, configurable: true });
  const adapter = await gpu.requestAdapter();
  if (!adapter) throw new Error('Dawn found no GPU adapter');
  await import('@tensorflow/tfjs-backend-webgpu');
  // GPUAdapterInfo's fields are getters on its prototype: a spread would copy none.
  const { vendor, architecture, device, description } = adapter.info;
  return {
    vendor,
    architecture,
    device,
    description,
    maxBufferSize: adapter.limits.maxBufferSize,
    maxStorageBufferBindingSize: adapter.limits.maxStorageBufferBindingSize,
  };
}
