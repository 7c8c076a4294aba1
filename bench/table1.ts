// Table 1 of docs/results.md (section 9): for each 512 px target, network and loss, the
// test IoU of the 64 px resize beside native-resolution patches on the same seeds, with
// paired tests of native against resize (t-test across seeds, Wilcoxon across test
// images), Holm-adjusted over every test the table shows. Both experiments' runs are
// scored at the photographs' own size, so their test images pair one to one.
//
//   npx tsx bench/table1.ts <store folder> <resize experiment id> <native experiment id>
//
// `jaccard experiments --db <store folder>` lists the ids. Cells missing from either
// experiment are left out of their pair and counted in the table's n. Two more arguments
// name the arms for another pair of experiments over the same cells, e.g. the sampling
// control: <native id> <uniform id> "native, half the crops on the target" "uniform crops".
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { LOSS_LABELS, MODEL_LABELS } from '../src/shared/ids';
import type { TestOutcome } from '../src/shared/api/compare';
import { computeComparison } from '../src/main/compare/compute';
import { adjustFamily } from '../src/main/compare/holm';
import { createContext } from '../src/main/context';
import { experimentCells } from '../src/main/experiment/cells';
import { getExperimentRecord } from '../src/main/store/experiments';

const [store, resizeId, nativeId, resizeName = '64 px resize', nativeName = 'native patches'] =
  process.argv.slice(2);
if (!store || !resizeId || !nativeId) {
  process.stderr.write(
    'usage: npx tsx bench/table1.ts <store folder> <resize id> <native id> [<names of the two>]\n',
  );
  process.exit(2);
}
if (!existsSync(join(store, 'jaccard.db'))) {
  process.stderr.write(`${store} holds no jaccard.db.\n`);
  process.exit(2);
}
const ctx = createContext(store);

const finishedRuns = (id: string) => {
  const record = getExperimentRecord(ctx.db, Number(id));
  return experimentCells(ctx.db, record).filter((c) => c.run?.status === 'finished');
};
const resize = finishedRuns(resizeId);
const native = finishedRuns(nativeId);
const key = (c: { datasetName: string; model: string; loss: string }) =>
  `${c.datasetName}/${c.model}/${c.loss}`;

interface Row {
  key: string;
  seeds: number;
  resize: number | null;
  native: number | null;
  difference: number | null;
  acrossSeeds: TestOutcome;
  acrossImages: TestOutcome;
}
const rows: Row[] = [];
for (const group of [...new Set(native.map(key))]) {
  const a = resize.filter((c) => key(c) === group);
  const b = native.filter((c) => key(c) === group);
  if (!a.length || !b.length) continue;
  const result = await computeComparison(
    ctx,
    [...a, ...b].map((c) => c.run!.id),
  );
  // Arms in the order given: resize first, so differences are resize − native; the table
  // says native − resize.
  const test = result.tests[0]!;
  const flip = (v: number | null) => (v === null ? null : -v);
  rows.push({
    key: group,
    seeds: test.acrossSeeds.n,
    resize: test.acrossSeeds.meanA,
    native: test.acrossSeeds.meanB,
    difference: flip(test.acrossSeeds.meanDifference),
    acrossSeeds: test.acrossSeeds.tTest,
    acrossImages: test.acrossImages.wilcoxon,
  });
}
const tests = adjustFamily(rows.flatMap((r) => [r.acrossSeeds, r.acrossImages]));

const num = (v: number | null, digits = 3) => (v === null ? '–' : v.toFixed(digits));
const signed = (v: number | null) =>
  v === null ? '–' : `${v >= 0 ? '+' : '−'}${Math.abs(v).toFixed(3)}`;
const p = (o: TestOutcome) => {
  if (!o.testable) return 'not testable';
  const f = (v: number) => (v < 0.001 ? '< 0.001' : v < 0.01 ? v.toFixed(4) : v.toFixed(3));
  return `${f(o.pValue)} (${f(o.holm!.pValue)})`;
};
const lines = [
  `${nativeName} − ${resizeName}, paired by seed and test image; p raw (Holm over ${tests} tests).`,
  '',
  `| target | network | loss | seeds | ${resizeName} | ${nativeName} | difference | seeds: t-test p (Holm) | images: Wilcoxon p (Holm) |`,
  '| --- | --- | --- | ---: | ---: | ---: | ---: | --- | --- |',
  ...rows.map((r) => {
    const [dataset, model, loss] = r.key.split('/') as [
      string,
      keyof typeof MODEL_LABELS,
      keyof typeof LOSS_LABELS,
    ];
    return `| ${dataset} | ${MODEL_LABELS[model]} | ${loss} | ${r.seeds} | ${num(r.resize)} | ${num(r.native)} | ${signed(r.difference)} | ${p(r.acrossSeeds)} | ${p(r.acrossImages)} |`;
  }),
];
process.stdout.write(`${lines.join('\n')}\n`);
ctx.db.close();
