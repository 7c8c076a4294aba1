// How long the Compare view's metrics table takes to follow its threshold slider: the
// engine's `compare.compute` for 2 runs on fasseg-face's 50 test images (stored 8-bit
// prediction PNGs, see test/integration/compare-fixture.ts), first at a new threshold
// after start-up, then at further new thresholds as a slider drag asks for them.
//
//   node --import tsx bench/compare-threshold.ts [--runs 2] [--images 50]
import { parseArgs } from 'node:util';
import { computeComparison } from '../src/main/compare/compute';
import { faceRuns } from '../test/integration/compare-fixture';

const { values } = parseArgs({
  options: { runs: { type: 'string', default: '2' }, images: { type: 'string', default: '50' } },
});
const fixture = await faceRuns({ runs: Number(values.runs), test: Number(values.images) });
try {
  const ids = fixture.runs.map((r) => r.id);
  const time = async (threshold: number) => {
    const start = performance.now();
    await computeComparison(fixture.ctx, ids, threshold);
    return performance.now() - start;
  };
  const first = await time(0.31);
  const slider: number[] = [];
  for (let t = 0.32; t < 0.7; t += 0.02) slider.push(await time(Math.round(t * 100) / 100));
  slider.sort((a, b) => a - b);
  const at = (q: number) => slider[Math.min(slider.length - 1, Math.floor(q * slider.length))]!;
  console.log(
    `${ids.length} runs x ${fixture.truths.size} images: first ${first.toFixed(0)} ms; ` +
      `${slider.length} new thresholds: median ${at(0.5).toFixed(1)} ms, ` +
      `max ${slider.at(-1)!.toFixed(1)} ms`,
  );
} finally {
  fixture.dispose();
}
