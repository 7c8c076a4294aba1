import { z } from 'zod';
import { call } from './contract';

const id = z.number().int().positive();

/** The engine's training queue: what trains next, and in which order. */
export const queueCalls = {
  /** The queued runs in the order they will train; 'queue.updated' says when it changes. */
  'runs.queue': call<number[]>()(z.object({})),
  /**
   * Puts these queued runs first, in this order; the other queued runs follow in theirs.
   * Answers the new order.
   */
  'runs.reorder': call<number[]>()(z.object({ ids: z.array(id).min(1) })),
};
