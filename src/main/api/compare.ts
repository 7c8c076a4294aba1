import type { compareCalls } from '../../shared/api/compare';
import { computeComparison } from '../compare/compute';
import { comparisonCsv } from '../compare/csv';
import { comparisonReport } from '../compare/report';
import {
  deleteComparison,
  getComparison,
  insertComparison,
  listComparisons,
} from '../store/comparisons';
import type { Handlers } from './index';

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
      content: format === 'html' ? await comparisonReport(result) : comparisonCsv(result),
    };
  },
};
