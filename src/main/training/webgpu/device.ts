// A WebGPU device can fail without the tfjs call at hand saying why. Lost (a driver reset,
// sleep, a removed GPU): reads then reject with an empty message, or on some drivers may
// never settle. An error Dawn reports as an event (out of memory, a refused binding):
// tfjs goes on and reads zeros. The trainer races its run against deviceFailed() and
// checks deviceFailure() between steps, so such a run ends failed with the reason, never
// hangs and never saves zeros as weights.

/** The parts of a GPUDevice watched here. */
export interface WatchedDevice {
  lost: Promise<{ reason: string; message: string }>;
  addEventListener(
    type: 'uncapturederror',
    listener: (event: { error: { message: string; constructor: { name: string } } }) => void,
  ): void;
}

export class WebgpuDeviceFailed extends Error {
  constructor(
    message: string,
    /** The GPU ran out of memory: a smaller batch or size may fit. */
    readonly outOfMemory: boolean,
  ) {
    super(message);
    this.name = 'WebgpuDeviceFailed';
  }
}

interface Watch {
  device: WatchedDevice;
  failure: WebgpuDeviceFailed | null;
  failed: Promise<never>;
}

/** The device the webgpu backend runs on now; a failed one is replaced at the next start. */
let current: Watch | undefined;

/** Starts watching the webgpu backend's device; idempotent. */
export function watchDevice(device: WatchedDevice): void {
  if (current?.device === device) return;
  let reject: (error: WebgpuDeviceFailed) => void = () => undefined;
  const failed = new Promise<never>((_, r) => (reject = r));
  // Nobody may be racing it (an idle engine); the failure is also read by deviceFailure().
  failed.catch(() => undefined);
  const watch: Watch = { device, failure: null, failed };
  const fail = (failure: WebgpuDeviceFailed) => {
    if (watch.failure) return;
    watch.failure = failure;
    reject(failure);
  };
  void device.lost.then(({ reason, message }) =>
    fail(new WebgpuDeviceFailed(`The GPU device was lost (${reason}${said(message)})`, false)),
  );
  device.addEventListener('uncapturederror', ({ error }) => {
    const outOfMemory = error.constructor.name === 'GPUOutOfMemoryError';
    const what = outOfMemory ? 'The GPU ran out of memory' : 'The GPU reported an error';
    fail(new WebgpuDeviceFailed(`${what}${said(error.message)}`, outOfMemory));
  });
  current = watch;
}

const said = (message: string) => {
  const first = message.trim().split('\n')[0];
  return first ? `: ${first}` : '';
};

/** How the current device failed, or null while it works (or none was started). */
export function deviceFailure(): WebgpuDeviceFailed | null {
  return current?.failure ?? null;
}

/** Rejects with the failure once the current device fails; never settles otherwise. */
export function deviceFailed(): Promise<never> {
  return current?.failed ?? new Promise<never>(() => undefined);
}
