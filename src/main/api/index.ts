// Binds the contract to handlers. Transports (Electron IPC relay, the loopback bridge)
// call dispatch and nothing else, so validation happens once, here.
import { ApiError } from '#shared/errors';
import { calls, isMethod, type Method, type Output, type ParsedInput } from '#shared/api';
import type { AppContext } from '../context';
import { compareHandlers } from './compare';
import { datasetHandlers } from './datasets';
import { experimentHandlers } from './experiments';
import { predictHandlers } from './predict';
import { folderHandlers } from './folders';
import { queueHandlers } from './queue';
import { runHandlers } from './runs';
import { systemHandlers } from './system';

export type Handler<M extends Method> = (
  input: ParsedInput<M>,
  ctx: AppContext,
) => Promise<Output<M>> | Output<M>;

export type Handlers<K extends Method = Method> = { [M in K]: Handler<M> };

/** Filled by the area modules (datasets, runs, system); TypeScript checks it is complete. */
const handlers: Handlers = {
  ...({} as Handlers),
  ...datasetHandlers,
  ...runHandlers,
  ...queueHandlers,
  ...predictHandlers,
  ...systemHandlers,
  ...folderHandlers,
  ...compareHandlers,
  ...experimentHandlers,
};

export async function dispatch(
  ctx: AppContext,
  method: string,
  rawInput: unknown,
): Promise<unknown> {
  if (!isMethod(method)) throw new ApiError('not-found', `Unknown API call "${method}".`);
  const parsed = calls[method].input.safeParse(rawInput ?? {});
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const where = issue?.path.length ? `${issue.path.join('.')}: ` : '';
    throw new ApiError('invalid', `${method}: ${where}${issue?.message ?? 'invalid input'}`);
  }
  const handler = handlers[method] as Handler<Method>;
  return handler(parsed.data as never, ctx);
}
