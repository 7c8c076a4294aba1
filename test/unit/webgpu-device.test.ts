import { describe, expect, it } from 'vitest';
import { backendFailure } from '../../src/main/training/backend-errors';
import {
  deviceFailed,
  deviceFailure,
  watchDevice,
  type WatchedDevice,
} from '../../src/main/training/webgpu/device';
import { ApiError } from '../../src/shared/errors';

class GPUOutOfMemoryError {
  constructor(readonly message: string) {}
}

/** A device whose loss and error events the test fires. */
function fakeDevice() {
  let lose: (info: { reason: string; message: string }) => void = () => undefined;
  const listeners: ((event: { error: GPUOutOfMemoryError }) => void)[] = [];
  const device: WatchedDevice = {
    lost: new Promise((resolve) => (lose = resolve)),
    addEventListener: (_type, listener) => listeners.push(listener),
  };
  const error = (e: GPUOutOfMemoryError) => listeners.forEach((l) => l({ error: e }));
  return { device, lose, error };
}

describe('watchDevice', () => {
  it('turns an out-of-memory event into a failure that says what to shrink', async () => {
    const gpu = fakeDevice();
    watchDevice(gpu.device);
    expect(deviceFailure()).toBeNull();
    gpu.error(new GPUOutOfMemoryError('Out of memory\n - While calling [Device].CreateBuffer'));
    await expect(deviceFailed()).rejects.toThrow('The GPU ran out of memory: Out of memory');
    // The first failure stays: the loss that follows does not replace it.
    gpu.lose({ reason: 'unknown', message: '' });
    const failure = deviceFailure()!;
    expect(failure.outOfMemory).toBe(true);
    expect(backendFailure(failure, { task: 'training', batchSize: 8, size: 256 })).toEqual(
      new ApiError(
        'internal',
        'The GPU ran out of memory: Out of memory. The run keeps its last checkpoint: resume ' +
          'it to continue from there. Use a smaller batch (now 8) or size (now 256), or train ' +
          'on another backend.',
      ),
    );
  });

  it('watches the new device once the backend starts on one', async () => {
    const gpu = fakeDevice();
    watchDevice(gpu.device);
    expect(deviceFailure()).toBeNull();
    gpu.lose({ reason: 'unknown', message: 'Device was lost.' });
    await expect(deviceFailed()).rejects.toThrow(
      'The GPU device was lost (unknown: Device was lost.)',
    );
    expect(deviceFailure()!.outOfMemory).toBe(false);
  });
});
