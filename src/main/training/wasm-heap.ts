// The wasm backend keeps every tensor in one WebAssembly heap, which wasm32 caps at 4 GiB.
// An allocation past the cap goes wrong in one of two ways, depending on where the heap's
// end is (both measured with tfjs 4.22, threaded and single-threaded builds alike):
// - malloc returns 0, and tfjs (BackendWasm.move) registers the tensor at address 0
//   regardless: the next kernel writes over the allocator's own state, after which the
//   process loops forever inside free() or traps ("memory access out of bounds") and
//   every later call ends in "Aborted()";
// - the allocator's end pointer wraps around 4 GiB and malloc returns a block that runs
//   past the end of memory; the allocator hands out overlapping memory from then on.
// The guard throws at either, before anything is written. After the first the heap is
// intact and the backend usable; after the second, and after any trap or abort, the
// module's state is unknown and nothing may run on it again, which is recorded.
import type * as tf from '@tensorflow/tfjs';
import type { BackendWasm } from '@tensorflow/tfjs-backend-wasm';
import { fastOps } from './fast-ops';

/** Emscripten's heap maximum for wasm32: 4 GiB less one 64 KiB page. */
export const WASM_HEAP_LIMIT = 2 ** 32 - 2 ** 16;

export class WasmHeapExhausted extends Error {
  constructor(readonly bytes: number) {
    super(`The wasm heap has no room left for ${bytes} more bytes.`);
    this.name = 'WasmHeapExhausted';
  }
}

/** The parts of the emscripten module the guard touches. */
interface HeapModule {
  _malloc(bytes: number): number;
  _free(pointer: number): void;
  onAbort?: (what: unknown) => void;
  /** The heap: exported as wasmMemory by the threaded build, as asm.memory by the other. */
  wasmMemory?: { buffer: ArrayBufferLike };
  asm: { memory?: { buffer: ArrayBufferLike } };
}

/** The one wasm module of this process, once guarded. */
let guarded: HeapModule | undefined;
/** Why the module cannot run again, once it trapped, aborted or overflowed its heap. */
let crash: string | null = null;

/** Makes the wasm backend's failed allocations throw WasmHeapExhausted; idempotent. */
export function guardWasmHeap(backend: Pick<BackendWasm, 'wasm'>): void {
  const module = backend.wasm as unknown as HeapModule;
  if (guarded === module) return;
  // Emscripten's _malloc is a stub that replaces itself with the raw export on its first
  // call, which would also replace a wrapper installed before that call.
  module._free(module._malloc(1));
  const malloc = module._malloc;
  module._malloc = (bytes) => {
    // malloc takes a 32-bit size: a larger one would wrap to a small block.
    if (bytes > WASM_HEAP_LIMIT) throw new WasmHeapExhausted(bytes);
    const pointer = malloc(bytes);
    if (bytes === 0) return pointer;
    if (pointer === 0) throw new WasmHeapExhausted(bytes);
    if ((pointer >>> 0) + bytes > heapBytes(module)) {
      crash ??= 'its memory allocator overflowed the 4 GiB heap';
      throw new WasmHeapExhausted(bytes);
    }
    return pointer;
  };
  const onAbort = module.onAbort;
  module.onAbort = (what) => {
    crash ??= `Aborted(${String(what ?? '')})`;
    onAbort?.(what);
  };
  guarded = module;
}

function heapBytes(module: HeapModule): number {
  return (module.wasmMemory ?? module.asm.memory)!.buffer.byteLength;
}

/** WebAssembly.RuntimeError, which Node's types leave out: a trap, or emscripten's abort(). */
const RuntimeError = (globalThis as unknown as { WebAssembly: { RuntimeError: ErrorConstructor } })
  .WebAssembly.RuntimeError;

/**
 * Whether `error` is the wasm module trapping or aborting; if so, records that it cannot
 * run again (a trap does not pass through onAbort).
 */
export function isWasmCrash(error: unknown): error is Error {
  if (!(error instanceof RuntimeError)) return false;
  crash ??= error.message;
  return true;
}

/** Why the wasm module can no longer run in this process, or null while it can. */
export function wasmCrash(): string | null {
  return crash;
}

/** Whether the heap has grown to (within 1% of) its cap. */
export function wasmHeapFull(): boolean {
  return guarded !== undefined && heapBytes(guarded) >= 0.99 * WASM_HEAP_LIMIT;
}

// Peak heap use of one training step (forward, backward, Adam), per byte of the layers'
// outputs: batch norm in training mode keeps about seven tensors of its output's size for
// the gradient, every other layer two or three. Fitted with tfjs 4.22 on two threads to
// where the heap runs out: Tiramisu at 128 px fits with batch 10 (heap 3.95 GiB) and not
// 11, U-Net at 256 px with 10 (4.00 GiB) and not 11. Smaller runs' heaps exceed the
// estimate by the kernels' own buffers (0.05-0.1 GiB: Tiramisu 64/8 0.88 GiB, U-Net 128/8
// 0.85). With JACCARD_FAST_OPS=0, tfjs-layers' own batch norm keeps about ten and a half
// (the same fit, on the code before batch-norm-layer.ts: 8 and 9 were the limits there).
const batchNormFactor = () => (fastOps() ? 7 : 10.5);
const PEAK_PER_OTHER_OUTPUT_BYTE = 2.5;

/** Estimated peak bytes of the wasm heap while training `model` on `batchSize` images. */
export function trainingPeakBytes(model: tf.LayersModel, batchSize: number): number {
  let bytes = 0;
  for (const layer of model.layers) {
    const factor =
      layer.getClassName() === 'BatchNormalization'
        ? batchNormFactor()
        : PEAK_PER_OTHER_OUTPUT_BYTE;
    bytes += factor * outputBytes(layer) * batchSize;
  }
  return bytes;
}

/** Bytes of one image's float32 output of `layer`. */
export function outputBytes(layer: tf.layers.Layer): number {
  const shape = layer.outputShape as (number | null)[];
  return shape.slice(1).reduce<number>((n, d) => n * (d ?? 1), 1) * 4;
}
