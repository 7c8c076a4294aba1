// Starting contender processes and exchanging messages with them, one request at a time.
import { type ChildProcess, execFileSync, fork, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import type { BackendId } from '../src/shared/ids';
import type { Command, Hello, Measure, Timing, Workload } from './protocol';

/**
 * glibc malloc settings for PyTorch. With the defaults, large activations are fresh mmaps
 * (or the heap is trimmed after each pass), so their pages fault in again on every pass:
 * slow in a VM. Keeping freed memory (no trim, 1 GiB top pad, mmap only above 32 MiB,
 * the most glibc accepts) made PyTorch's 512x512 inference here 2-4x faster and steady.
 */
export const TORCH_MALLOC_ENV = {
  MALLOC_MMAP_THRESHOLD_: String(32 * 2 ** 20),
  MALLOC_TRIM_THRESHOLD_: String(2 ** 32),
  MALLOC_TOP_PAD_: String(2 ** 30),
};

export class Contender {
  private readonly inbox: unknown[] = [];
  private waiting: ((message: unknown) => void) | undefined;
  private stderr = '';
  private exited = false;

  private constructor(
    readonly label: string,
    private readonly child: ChildProcess,
    private readonly post: (command: Command) => void,
  ) {
    child.stderr?.on('data', (chunk: Buffer) => {
      this.stderr = (this.stderr + chunk.toString()).slice(-4000);
    });
    child.on('exit', () => {
      this.exited = true;
      this.waiting?.(undefined);
    });
  }

  /**
   * A tfjs backend, through the app's own initBackend; `env` may set JACCARD_WASM_THREADS or
   * JACCARD_FAST_OPS.
   */
  static tfjs(label: string, backend: BackendId, workload: Workload, env = {}): Contender {
    const child = fork(
      fileURLToPath(new URL('./tfjs-contender.ts', import.meta.url)),
      [backend, JSON.stringify(workload)],
      {
        execArgv: ['--import', 'tsx'],
        env: { ...process.env, ...env },
        stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      },
    );
    const contender = new Contender(label, child, (command) => child.send(command));
    child.on('message', (message) => contender.deliver(message));
    return contender;
  }

  /** onnxruntime-node on the CPU with `threads` intra-op threads; inference only. */
  static onnx(label: string, threads: number, workload: Workload): Contender {
    const child = fork(
      fileURLToPath(new URL('./onnx-contender.ts', import.meta.url)),
      [String(threads), JSON.stringify(workload)],
      { execArgv: ['--import', 'tsx'], stdio: ['ignore', 'ignore', 'pipe', 'ipc'] },
    );
    const contender = new Contender(label, child, (command) => child.send(command));
    child.on('message', (message) => contender.deliver(message));
    return contender;
  }

  static torch(
    label: string,
    python: string,
    workload: Workload,
    threads: number,
    env: Record<string, string> = {},
  ): Contender {
    const script = fileURLToPath(new URL('./torch_unet.py', import.meta.url));
    const child = spawn(python, [script, JSON.stringify(workload), String(threads)], {
      stdio: ['pipe', 'pipe', 'pipe'],
      env: { ...process.env, ...env },
    });
    const contender = new Contender(label, child, (command) =>
      child.stdin?.write(`${JSON.stringify(command)}\n`),
    );
    createInterface({ input: child.stdout! }).on('line', (line) =>
      contender.deliver(JSON.parse(line)),
    );
    return contender;
  }

  /** Waits for the set-up (model built, warm-up steps done) to finish. */
  hello(timeoutMs: number): Promise<Hello> {
    return this.next(timeoutMs) as Promise<Hello>;
  }

  /** Times one training step or one inference, in milliseconds. */
  async time(cmd: Measure, timeoutMs: number): Promise<number> {
    this.post({ cmd });
    return ((await this.next(timeoutMs)) as Timing).ms;
  }

  close(): void {
    if (this.exited) return;
    this.post({ cmd: 'exit' });
    setTimeout(() => this.child.kill(), 5000).unref();
  }

  kill(): void {
    this.child.kill('SIGKILL');
  }

  private deliver(message: unknown): void {
    if (this.waiting) this.waiting(message);
    else this.inbox.push(message);
  }

  private next(timeoutMs: number): Promise<unknown> {
    if (this.inbox.length > 0) return Promise.resolve(this.inbox.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = undefined;
        reject(new TimeoutError(`${this.label}: no answer within ${timeoutMs / 1000} s`));
      }, timeoutMs);
      this.waiting = (message) => {
        clearTimeout(timer);
        this.waiting = undefined;
        if (message === undefined) {
          reject(new Error(`${this.label} exited: ${lastError(this.stderr)}`));
        } else resolve(message);
      };
      if (this.exited) this.waiting(undefined);
    });
  }
}

export class TimeoutError extends Error {}

/** The first Python that imports torch: JACCARD_PYTHON, Debian's, then the one on PATH. */
export function findTorchPython(): string | undefined {
  const candidates = [process.env.JACCARD_PYTHON, '/usr/bin/python3', 'python3'];
  return candidates.find((python) => {
    if (!python) return false;
    try {
      execFileSync(python, ['-c', 'import torch'], { stdio: 'ignore', timeout: 60_000 });
      return true;
    } catch {
      return false;
    }
  });
}

/**
 * The error a dead child printed: its last "Name: message" line (as Node prints an
 * uncaught error, e.g. "WasmHeapExhausted: The wasm heap has no room …"), else its last lines.
 */
function lastError(stderr: string): string {
  const lines = stderr.trim().split('\n');
  const named = lines.findLast((line) => /^[A-Z][A-Za-z]*: /.test(line.trim()));
  return (named ?? lines.slice(-3).join(' | ')).trim();
}
