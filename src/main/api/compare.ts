import type { compareCalls } from '#shared/api/compare';
import type * as Compute from '../compare/compute';
import { comparisonCsv } from '../compare/csv';
import type * as Report from '../compare/report';
import {
  deleteComparison,
  getComparison,
  insertComparison,
  listComparisons,
} from '../store/comparisons';
import type { Handlers } from './index';

// The paired tests (@stdlib) and the report's charts (vega) load on first use rather
// than with the engine, which imports every handler module at start.
const computeComparison: typeof Compute.computeComparison = async (...args) =>
  (await import('../compare/compute')).computeComparison(...args);
const comparisonReport: typeof Report.comparisonReport = async (...args) =>
  (await import('../compare/report')).comparisonReport(...args);

export const compareHandlers: Handlers<keyof typeof compareCalls> = {
  'compare.compute': ({ runIds, threshold }, ctx) => computeComparison(ctx, runIds, threshold),
  'compare.save': async ({ name, runIds, threshold }, ctx) =>
    insertComparison(ctx.db, { name, result: await computeComparison(ctx, runIds, threshold) }),
  'compare.list': (_input, ctx) => listComparisons(ctx.db),
  'compare.get': ({ id }, ctx) => getComparison(ctx.db, id),
  'compare.delete': ({ id }, ctx) => deleteComparison(ctx.db, id),
  'compare.report': async ({ runIds, threshold, format }, ctx) => {
    const result = await computeComparison(ctx, runIds, threshold);
    const suffix = threshold === 0.5 ? '' : `-t${threshold}`;
    return {
      filename: `comparison-runs-${runIds.join('-')}${suffix}.${format}`,
      content: format === 'html' ? await comparisonReport(result, ctx) : comparisonCsv(result),
    };
  },
};
