// The wasm heap guard and what its failures tell the user, on a stand-in for the
// emscripten module, so each way an allocation fails can be produced on demand: the real
// module's outcome depends on where its heap happens to end (the integration test
// wasm-memory.test.ts runs a real one out). The crashes come last: one is recorded for
// the rest of the process.
import { describe, expect, it } from 'vitest';
import { assertBackendUsable, backendFailure } from '../../src/main/training/backend-errors';
import {
  guardWasmHeap,
  WASM_HEAP_LIMIT,
  wasmCrash,
  WasmHeapExhausted,
} from '../../src/main/training/wasm-heap';
import { ApiError } from '../../src/shared/errors';

const GiB = 2 ** 30;
const training = { task: 'training', batchSize: 8, size: 128 } as const;
const prediction = { task: 'prediction', runId: 3, size: 512 } as const;

/** Pointers the stand-in's malloc returns next (8 once they run out), and the sizes asked. */
const results: number[] = [];
const asked: number[] = [];
const module = {
  _malloc: (bytes: number) => (asked.push(bytes), results.shift() ?? 8),
  _free: () => undefined,
  wasmMemory: { buffer: new ArrayBuffer(0) as ArrayBufferLike },
  asm: {},
};
const memoryOf = (bytes: number) => ({ byteLength: bytes }) as ArrayBufferLike;
module.wasmMemory.buffer = memoryOf(GiB);
guardWasmHeap({ wasm: module as never });

/** What `body` throws. */
function thrown(body: () => unknown): unknown {
  try {
    body();
  } catch (error) {
    return error;
  }
  throw new Error('nothing was thrown');
}

describe('the guarded wasm heap', () => {
  it('throws where malloc returns 0, and the module goes on allocating', () => {
    results.push(0);
    const error = thrown(() => module._malloc(16 * 2 ** 20));
    expect(error).toEqual(new WasmHeapExhausted(16 * 2 ** 20));
    expect(wasmCrash()).toBeNull();
    expect(() => assertBackendUsable()).not.toThrow();
    results.push(4096);
    expect(module._malloc(1024)).toBe(4096);
  });

  it('refuses a size past the cap without asking malloc, which would wrap it to 32 bits', () => {
    const before = asked.length;
    expect(() => module._malloc(2 ** 32 + 64)).toThrow(WasmHeapExhausted);
    expect(asked.length).toBe(before);
  });

  it('says which knobs shrink the work, with their values', () => {
    const error = new WasmHeapExhausted(2 ** 24);
    expect(backendFailure(error, training)).toEqual(
      new ApiError(
        'invalid',
        "Training needs more than the wasm backend's memory limit of 4 GiB. Use a smaller " +
          'batch (now 8) or size (now 128), or train with native TensorFlow ' +
          '(@tensorflow/tfjs-node), which has no such limit.',
      ),
    );
    expect((backendFailure(error, { ...training, batchSize: 1 }) as Error).message).toContain(
      'Use a smaller size (now 128), or train with native TensorFlow',
    );
    expect(backendFailure(error, prediction)).toEqual(
      new ApiError(
        'invalid',
        "Predicting with run 3 needs more than the wasm backend's memory limit of 4 GiB. " +
          'Predict with native TensorFlow (@tensorflow/tfjs-node), which has no such limit, ' +
          'or train a run at a smaller size (now 512).',
      ),
    );
    const other = new Error('disk full');
    expect(backendFailure(other, training)).toBe(other);
  });
});

describe('a crashed wasm module', () => {
  // What the module threw where tfjs had written to address 0 (one thread): a trap, then
  // emscripten's abort on the next call.
  const { RuntimeError } = (
    globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } }
  ).WebAssembly;

  it('is recorded when malloc returns a block past the end of memory', () => {
    // The allocator's end pointer wrapped around 4 GiB: it cannot be trusted again.
    results.push(GiB - 512);
    expect(() => module._malloc(1024)).toThrow(WasmHeapExhausted);
    expect(wasmCrash()).toBe('its memory allocator overflowed the 4 GiB heap');
    expect(() => assertBackendUsable()).toThrow(
      new ApiError(
        'internal',
        'The wasm backend crashed earlier (its memory allocator overflowed the 4 GiB heap) ' +
          'and cannot run again; restart Jaccard.',
      ),
    );
  });

  it('is reported as crashed, or as out of memory when its heap is at the cap', () => {
    expect(backendFailure(new RuntimeError('memory access out of bounds'), training)).toEqual(
      new ApiError(
        'internal',
        'The wasm backend crashed (memory access out of bounds). Start the run again; if it ' +
          'crashes again, train with native TensorFlow.',
      ),
    );
    module.wasmMemory.buffer = memoryOf(WASM_HEAP_LIMIT);
    const aborted = new RuntimeError('Aborted(). Build with -sASSERTIONS for more info.');
    expect(backendFailure(aborted, prediction)).toEqual(
      new ApiError(
        'invalid',
        'The wasm backend crashed (Aborted(). Build with -sASSERTIONS for more info.) with ' +
          'its memory at the limit. Predict with native TensorFlow (@tensorflow/tfjs-node), ' +
          'which has no such limit, or train a run at a smaller size (now 512).',
      ),
    );
    // The first cause stays the one reported.
    expect(wasmCrash()).toBe('its memory allocator overflowed the 4 GiB heap');
  });
});
