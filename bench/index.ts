// `npm run bench`: training throughput and inference latency of the reference U-Net on
// every tfjs backend that loads here, side by side with the same network in PyTorch, and
// its inference in ONNX Runtime (the app's own export).
// Contenders are separate processes that take turns, one step each in rotating order,
// so background load hits them alike; medians and interquartile ranges are reported.
import os from 'node:os';
import { parseArgs } from 'node:util';
import { availableBackends } from '../src/main/training/backend';
import { probeDawn } from '../src/main/training/webgpu/dawn';
import { Contender, TORCH_MALLOC_ENV, TimeoutError, findTorchPython } from './contenders';
import { REFERENCE, type Measure, type Workload } from './protocol';
import { type Row, type Report, renderMarkdown } from './report';
import { summarize } from './stats';
import { MODEL_IDS, type ModelId } from '../src/shared/ids';

const USAGE = `Usage: npm run bench -- [options]
  --steps N        measured training steps per contender (default 9)
  --infer-reps N   measured inferences per contender, of each kind: one 512x512 image,
                   one batch of 8 patches of 256x256 (default 5)
  --warmup N       unmeasured training steps first (default ${REFERENCE.warmup})
  --size N         input side (default ${REFERENCE.size}); --batch N (default ${REFERENCE.batch})
  --model M        unet (the reference) or tiramisu (tfjs and ONNX Runtime only)
  --batchnorm      batch norm after every hidden convolution, as the app trains by default
                   (the reference has none; PyTorch builds the same)
  --only a,b       only contenders whose label contains one of these words
  --settle MS      pause between turns (default 500), so one contender's idle threads
                   (OpenMP spins for a while after each step) do not slow the next
  --cpu-budget S   seconds one plain-JS cpu step may take before it is reported as
                   slower than that (default 60; 0 leaves the cpu backend out)
  --json           print the results as JSON instead of a markdown table`;

const SETUP_TIMEOUT_MS = 10 * 60_000;
const STEP_TIMEOUT_MS = 10 * 60_000;

export async function main(argv: string[]): Promise<number> {
  let options;
  try {
    options = parseArgs({
      args: argv,
      options: {
        steps: { type: 'string', default: '9' },
        'infer-reps': { type: 'string', default: '5' },
        warmup: { type: 'string', default: String(REFERENCE.warmup) },
        size: { type: 'string', default: String(REFERENCE.size) },
        batch: { type: 'string', default: String(REFERENCE.batch) },
        batchnorm: { type: 'boolean', default: false },
        model: { type: 'string', default: REFERENCE.model },
        only: { type: 'string' },
        settle: { type: 'string', default: '500' },
        'cpu-budget': { type: 'string', default: '60' },
        json: { type: 'boolean', default: false },
        help: { type: 'boolean', default: false },
      },
    }).values;
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  if (options.help) {
    console.log(USAGE);
    return 0;
  }
  const count = (name: string, value: string, min: number) => {
    const n = Number(value);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}`);
    return n;
  };
  let steps: number, inferReps: number, cpuBudget: number, settleMs: number;
  let workload: Workload;
  try {
    settleMs = count('settle', options.settle, 0);
    steps = count('steps', options.steps, 1);
    inferReps = count('infer-reps', options['infer-reps'], 0);
    cpuBudget = count('cpu-budget', options['cpu-budget'], 0);
    workload = {
      ...REFERENCE,
      warmup: count('warmup', options.warmup, 0),
      size: count('size', options.size, 8),
      batch: count('batch', options.batch, 1),
      batchNorm: options.batchnorm,
      model: modelId(options.model),
    };
  } catch (error) {
    console.error(`${(error as Error).message}\n${USAGE}`);
    return 2;
  }
  const wanted = (label: string) =>
    !options.only || options.only.split(',').some((word) => label.includes(word.trim()));

  const log = (line: string) => process.stderr.write(`${line}\n`);
  const loadBefore = os.loadavg()[0] as number;
  const backends = await availableBackends();
  const cores = os.availableParallelism();
  const python = findTorchPython();

  const plan: { label: string; start: () => Contender }[] = [];
  for (const id of backends.filter((b) => b !== 'cpu')) {
    plan.push({ label: `tfjs ${id}`, start: () => Contender.tfjs(`tfjs ${id}`, id, workload) });
    // Our training ops (src/main/training/fast-ops.ts) against TensorFlow.js's own, where
    // they differ: batch norm anywhere, ReLU's step on native TensorFlow.
    if (workload.batchNorm || id.startsWith('tensorflow')) {
      const own = `tfjs ${id}, TensorFlow.js's own ops`;
      plan.push({
        label: own,
        start: () => Contender.tfjs(own, id, workload, { JACCARD_FAST_OPS: '0' }),
      });
    }
    if (id === 'wasm' && cores > 1) {
      const label = 'tfjs wasm, 1 thread';
      plan.push({
        label,
        start: () => Contender.tfjs(label, 'wasm', workload, { JACCARD_WASM_THREADS: '1' }),
      });
    }
  }
  for (const threads of cores > 1 ? [cores, 1] : [1]) {
    const label = threads === 1 && cores > 1 ? 'onnxruntime cpu, 1 thread' : 'onnxruntime cpu';
    plan.push({ label, start: () => Contender.onnx(label, threads, workload) });
  }
  const rows: Row[] = [];
  // Listed wherever Dawn finds an adapter; elsewhere the row says why there is none.
  if (!backends.includes('webgpu') && wanted('tfjs webgpu')) {
    const failure = await probeDawn().then(
      () => null,
      (error: Error) => error,
    );
    rows.push({ label: 'tfjs webgpu', skipped: failure?.message ?? 'no WebGPU adapter' });
  }
  if (python) {
    plan.push({
      label: 'pytorch',
      start: () => Contender.torch('pytorch', python, workload, cores, TORCH_MALLOC_ENV),
    });
    if (cores > 1) {
      const label = 'pytorch, 1 thread';
      plan.push({
        label,
        start: () => Contender.torch(label, python, workload, 1, TORCH_MALLOC_ENV),
      });
    }
  } else if (wanted('pytorch')) {
    rows.push({
      label: 'pytorch',
      skipped: 'no python3 here imports torch (Debian: apt-get install python3-torch)',
    });
  }

  const running: {
    contender: Contender;
    row: Row;
    trains: boolean;
    times: Record<Measure, number[]>;
  }[] = [];
  for (const { label, start } of plan.filter((p) => wanted(p.label))) {
    log(`setting up ${label} ...`);
    const contender = start();
    try {
      const hello = await contender.hello(SETUP_TIMEOUT_MS);
      if ('skipped' in hello) {
        rows.push({ label, skipped: hello.skipped });
        contender.close();
        continue;
      }
      const row: Row = {
        label,
        threads: hello.threads,
        params: hello.params,
        version: hello.version,
        setup: hello.setup,
      };
      rows.push(row);
      const times = { train: [], infer: [], 'infer-batch': [] };
      running.push({ contender, row, trains: hello.trains !== false, times });
    } catch (error) {
      rows.push({ label, skipped: (error as Error).message });
      contender.kill();
    }
  }

  // A contender that dies or hangs (the wasm heap's ceiling, say) becomes a row saying so;
  // the others go on.
  const failed = new Set<(typeof running)[number]>();
  const rounds = async (kind: Measure, n: number) => {
    const taking = running.filter((entry) => kind !== 'train' || entry.trains);
    for (let round = 0; round < n; round++) {
      log(`${kind} round ${round + 1}/${n}`);
      for (let i = 0; i < taking.length; i++) {
        const entry = taking[(round + i) % taking.length]!;
        if (failed.has(entry)) continue;
        await new Promise((resolve) => setTimeout(resolve, settleMs));
        try {
          entry.times[kind].push(await entry.contender.time(kind, STEP_TIMEOUT_MS));
        } catch (error) {
          failed.add(entry);
          entry.contender.kill();
          const { label } = entry.row;
          rows.splice(rows.indexOf(entry.row), 1, {
            label,
            skipped: `failed (${kind}): ${(error as Error).message}`,
          });
        }
      }
    }
  };
  try {
    await rounds('train', steps);
    await rounds('infer', inferReps);
    await rounds('infer-batch', inferReps);
  } finally {
    for (const { contender } of running) contender.close();
  }
  for (const { row, times } of running.filter((entry) => !failed.has(entry))) {
    if (times.train.length > 0) {
      row.stepMs = summarize(times.train);
      row.imagesPerSecond = (workload.batch * 1000) / row.stepMs.median;
    }
    if (times.infer.length > 0) row.inferMs = summarize(times.infer);
    if (times['infer-batch'].length > 0) row.inferBatchMs = summarize(times['infer-batch']);
  }

  if (backends.includes('cpu') && cpuBudget > 0 && wanted('tfjs cpu')) {
    rows.push(await cpuRow(workload, cpuBudget, log));
  }

  const torchBest = Math.max(
    0,
    ...rows.filter((r) => r.label.startsWith('pytorch')).map((r) => r.imagesPerSecond ?? 0),
  );
  if (torchBest > 0) {
    for (const row of rows)
      if (row.imagesPerSecond) row.ratioToPytorch = row.imagesPerSecond / torchBest;
  }

  const report: Report = {
    workload,
    steps,
    inferReps,
    settleMs,
    machine: {
      cpu: os.cpus()[0]?.model ?? 'unknown',
      cores,
      memoryGiB: Math.round(os.totalmem() / 2 ** 30),
      node: process.version,
      platform: `${os.platform()} ${os.release()}`,
    },
    loadAverage: { before: loadBefore, after: os.loadavg()[0] as number },
    date: new Date().toISOString(),
    rows,
  };
  console.log(options.json ? JSON.stringify(report, null, 2) : renderMarkdown(report));
  return 0;
}

/**
 * The plain-JS cpu backend needs minutes per reference step; it gets one step within a
 * budget and, if that runs out, is reported as slower than the budget allows.
 */
async function cpuRow(
  workload: Workload,
  budgetS: number,
  log: (line: string) => void,
): Promise<Row> {
  const label = 'tfjs cpu';
  log(`timing one ${label} step (budget ${budgetS} s) ...`);
  const contender = Contender.tfjs(label, 'cpu', { ...workload, warmup: 0, inferSize: 0 });
  try {
    const hello = await contender.hello(SETUP_TIMEOUT_MS);
    if ('skipped' in hello) return { label, skipped: hello.skipped };
    const ms = await contender.time('train', budgetS * 1000);
    contender.close();
    return {
      label,
      threads: hello.threads,
      params: hello.params,
      version: hello.version,
      stepMs: summarize([ms]),
      imagesPerSecond: (workload.batch * 1000) / ms,
    };
  } catch (error) {
    contender.kill();
    if (!(error instanceof TimeoutError)) return { label, skipped: (error as Error).message };
    return {
      label,
      slowerThanMs: budgetS * 1000,
      imagesPerSecondBelow: (workload.batch * 1000) / (budgetS * 1000),
    };
  }
}

function modelId(value: string): ModelId {
  if (!(MODEL_IDS as readonly string[]).includes(value)) {
    throw new Error(`--model must be one of ${MODEL_IDS.join(', ')}`);
  }
  return value as ModelId;
}
