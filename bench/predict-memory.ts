// Peak memory of sliding-window prediction on one huge image (issue 11): a 16000 x 16000
// photo through a patch run's network at full resolution, against the bound the
// predictor is built to: input RGB (3 B/px) + output (1 B/px) + the band of blended rows
// + one batch. Run: node --import tsx bench/predict-memory.ts [side] [patch]
import { readFileSync } from 'node:fs';
import sharp from 'sharp';
import { predictProbabilities } from '../src/main/predict/predict';
import { tfjsRuntime } from '../src/main/predict/tfjs-runtime';
import { initBackend } from '../src/main/training/backend';
import { buildModel } from '../src/main/training/models';

const side = Number(process.argv[2] ?? 16000);
const size = Number(process.argv[3] ?? 256);
const batchSize = 8;

/** Peak resident memory of this process so far (Linux), in bytes. */
function peakRss(): number {
  const line = readFileSync('/proc/self/status', 'utf8').match(/VmHWM:\s+(\d+) kB/);
  return Number(line?.[1] ?? 0) * 1024;
}
const gib = (bytes: number) => `${(bytes / 2 ** 30).toFixed(2)} GiB`;

const backend = await initBackend();
const model = buildModel({
  model: 'unet',
  size,
  channels: 3,
  baseFilters: 4,
  depth: 3,
  batchNorm: true,
  seed: 1,
});
const runtime = tfjsRuntime(model, size);
// A photo-like image: smooth colour, so the PNG is small and decoding is the real cost.
const { data, info } = await sharp({
  create: { width: side, height: side, channels: 3, background: '#806040' },
})
  .composite([
    {
      input: Buffer.from(
        `<svg width="${side}" height="${side}"><circle cx="${side / 2}" cy="${side / 2}" r="${side / 3}" fill="#e0c0a0"/></svg>`,
      ),
    },
  ])
  .raw()
  .toBuffer({ resolveWithObject: true });
const image = {
  data: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  width: info.width,
  height: info.height,
  channels: 3 as const,
};
const before = peakRss();
const started = performance.now();
const prob = await predictProbabilities(runtime, image, {
  input: { mode: 'patches', scale: 1 },
  batchSize,
});
const seconds = (performance.now() - started) / 1000;
const pixels = side * side;
const band = 2 * 4 * size * side;
const batch = batchSize * size * size * (3 + 1) * 4;
console.log(
  JSON.stringify(
    {
      backend,
      side,
      patch: size,
      seconds: Number(seconds.toFixed(1)),
      outputPixels: prob.length,
      peakBeforeBytes: before,
      peakBytes: peakRss(),
      boundBytes: 4 * pixels + band + batch,
      summary: `peak RSS ${gib(peakRss())} (${gib(before)} before predicting: the image itself and tfjs); predictor bound ${gib(4 * pixels + band + batch)} = input 3 B/px + output 1 B/px + band ${gib(band)} + batch`,
    },
    null,
    2,
  ),
);
process.exit(0);
