// The bench's results and their markdown rendering (docs/bench.md keeps one).
import type { Summary } from './stats';
import type { ModelId } from '../src/shared/ids';
import type { Workload } from './protocol';

export interface Row {
  label: string;
  /** Why this contender did not run. */
  skipped?: string;
  threads?: number | null;
  params?: number;
  version?: string;
  stepMs?: Summary;
  imagesPerSecond?: number;
  inferMs?: Summary;
  inferBatchMs?: Summary;
  /** How the contender was set up (threads, allocator, providers). */
  setup?: string;
  ratioToPytorch?: number;
  /** One step did not finish within this budget (the plain-JS cpu backend). */
  slowerThanMs?: number;
  imagesPerSecondBelow?: number;
}

export interface Report {
  workload: Workload;
  steps: number;
  inferReps: number;
  settleMs: number;
  machine: { cpu: string; cores: number; memoryGiB: number; node: string; platform: string };
  loadAverage: { before: number; after: number };
  date: string;
  rows: Row[];
}

const fixed = (x: number, digits: number) => x.toFixed(digits);
const spread = (s: Summary, digits = 0) =>
  `${fixed(s.median, digits)} [${fixed(s.q1, digits)}–${fixed(s.q3, digits)}]`;

const ARCHITECTURE: Record<ModelId, string> = {
  unet: 'Reference U-Net (2×2 transposed-conv up, concat skips, 1×1 head)',
  tiramisu: 'FC-DenseNet (dense blocks of 4 layers, 3×3 transposed-conv up, 1×1 head)',
};

export function renderMarkdown(report: Report): string {
  const { workload: w, machine: m } = report;
  const params = [...new Set(report.rows.flatMap((r) => (r.params ? [r.params] : [])))];
  const versions = report.rows
    .filter((r) => r.version)
    .map((r) => `${r.label.split(',')[0]} ${r.version}`)
    .filter((v, i, all) => all.indexOf(v) === i);
  const lines = [
    `${ARCHITECTURE[w.model]}: ${w.size}×${w.size}×3, batch ${w.batch}, ${w.baseFilters} base filters, ` +
      `depth ${w.depth}, ${w.batchNorm ? 'batch norm, ' : ''}soft IoU, Adam; ` +
      `${params.map((p) => p.toLocaleString('en-US')).join(' / ')} parameters` +
      (params.length > 1 ? ' (MISMATCH: the contenders do not build the same network)' : '') +
      '.',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB, ${m.platform}, Node ${m.node}; ` +
      `${versions.join(', ')}. ${report.date.slice(0, 16).replace('T', ' ')} UTC.`,
    '',
    `| Contender | Threads | Train img/s | Step ms, median [IQR] | × PyTorch | Infer ${w.inferSize}² ms, median [IQR] |`,
    '|---|---:|---:|---:|---:|---:|',
  ];
  // ONNX Runtime only infers: it is in the inference table below.
  for (const r of report.rows.filter((row) => !row.label.startsWith('onnx'))) {
    if (r.skipped) {
      lines.push(`| ${r.label} | | skipped: ${r.skipped.replace(/\|/g, '/')} | | | |`);
    } else if (r.slowerThanMs !== undefined) {
      lines.push(
        `| ${r.label} | ${r.threads ?? ''} | < ${fixed(r.imagesPerSecondBelow ?? 0, 2)} | ` +
          `> ${fixed(r.slowerThanMs, 0)} (one step, did not finish) | | not measured |`,
      );
    } else {
      lines.push(
        `| ${r.label} | ${r.threads ?? 'default'} | ${fixed(r.imagesPerSecond ?? 0, 2)} | ` +
          `${r.stepMs ? spread(r.stepMs) : ''} | ${r.ratioToPytorch ? `${fixed(r.ratioToPytorch, 2)}×` : ''} | ` +
          `${r.inferMs ? spread(r.inferMs) : 'not measured'} |`,
      );
    }
  }
  // The GPU a webgpu row ran on says what its numbers mean.
  for (const r of report.rows.filter((row) => row.label.includes('webgpu') && row.setup)) {
    lines.push('', `${r.label}: ${r.setup}.`);
  }
  lines.push('', ...inferenceTable(report), '');
  lines.push(
    `${report.steps} training steps and ${report.inferReps} inferences per contender after ` +
      `${w.warmup} warm-up steps, taken in turns (one each, rotating order, ${report.settleMs} ms ` +
      `apart) so background load hits every contender alike. × PyTorch divides by the ` +
      `faster PyTorch row. ` +
      `1-minute load average ${fixed(report.loadAverage.before, 1)} before, ` +
      `${fixed(report.loadAverage.after, 1)} after, on ${m.cores} cores: ` +
      (Math.max(report.loadAverage.before, report.loadAverage.after) > 1.5
        ? 'other processes competed for the CPU, so read the IQRs as the noise.'
        : 'the machine was otherwise quiet.'),
  );
  return lines.join('\n');
}

/**
 * Inference: one whole image, and a batch of patches as sliding windows send them; the
 * speed-up divides the fastest tfjs row's median by the row's.
 */
function inferenceTable(report: Report): string[] {
  const { workload: w } = report;
  const measured = report.rows.filter((r) => r.inferMs);
  const tfjsBest = Math.min(
    ...measured.filter((r) => r.label.startsWith('tfjs')).map((r) => r.inferMs!.median),
  );
  const lines = [
    `| Inference | Threads | Set-up | ${w.inferSize}² ms, median [IQR] | ` +
      `${w.inferBatch}×${w.inferBatchSize}² ms, median [IQR] | ${w.inferSize}² × fastest tfjs |`,
    '|---|---:|---|---:|---:|---:|',
  ];
  for (const r of measured) {
    lines.push(
      `| ${r.label} | ${r.threads ?? 'default'} | ${r.setup ?? ''} | ${spread(r.inferMs!)} | ` +
        `${r.inferBatchMs ? spread(r.inferBatchMs) : 'not measured'} | ` +
        `${Number.isFinite(tfjsBest) ? `${fixed(tfjsBest / r.inferMs!.median, 1)}×` : ''} |`,
    );
  }
  for (const r of report.rows.filter((row) => row.skipped && row.label.startsWith('onnx'))) {
    lines.push(`| ${r.label} | | skipped: ${r.skipped!.replace(/\|/g, '/')} | | | |`);
  }
  return lines;
}
