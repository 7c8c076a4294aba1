// The API contract: every call and event, typed once. Main binds it to ipcMain and the
// loopback bridge; preload and the bridge client expose it to the renderer as JaccardApi.
import type { z } from 'zod';
import { compareCalls } from './compare';
import type { CallSpec } from './contract';
import { datasetCalls } from './datasets';
import type { ApiEvents, EventName } from './events';
import { experimentCalls } from './experiments';
import type { MediaPath } from './media';
import { predictCalls } from './predict';
import { folderCalls } from './folders';
import { queueCalls } from './queue';
import { runCalls } from './runs';
import { systemCalls } from './system';

export const calls = {
  ...systemCalls,
  ...folderCalls,
  ...datasetCalls,
  ...runCalls,
  ...queueCalls,
  ...predictCalls,
  ...compareCalls,
  ...experimentCalls,
};

export type Calls = typeof calls;
export type Method = keyof Calls;
/** What a caller passes (defaults may be left out). */
export type Input<M extends Method> = z.input<Calls[M]['input']>;
/** What a handler receives, after validation filled in defaults. */
export type ParsedInput<M extends Method> = z.output<Calls[M]['input']>;
export type Output<M extends Method> = Calls[M] extends CallSpec<z.ZodType, infer O> ? O : never;

export function isMethod(name: string): name is Method {
  return Object.hasOwn(calls, name);
}

export interface JaccardApi {
  call<M extends Method>(method: M, input: Input<M>): Promise<Output<M>>;
  on<E extends EventName>(event: E, listener: (payload: ApiEvents[E]) => void): () => void;
  mediaUrl(path: MediaPath): string;
}

export type { ApiEvents, EventName } from './events';
export { EVENT_NAMES } from './events';
export type { MediaPath } from './media';
export { mediaPathToString, parseMediaPath } from './media';
export type { SystemInfo } from './system';
export type { RunDetail } from './runs';
export { trainConfigSchema } from './runs';
