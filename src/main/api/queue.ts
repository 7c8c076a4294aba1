import type { queueCalls } from '#shared/api/queue';
import { runManager } from '../training/run-manager';
import type { Handlers } from './index';

export const queueHandlers: Handlers<keyof typeof queueCalls> = {
  'runs.queue': (_input, ctx) => runManager(ctx).order,
  'runs.reorder': ({ ids }, ctx) => runManager(ctx).reorder(ids),
};
