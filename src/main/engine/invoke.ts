// The one place a transport turns a call into a reply; IPC and HTTP both use it, so
// errors look the same everywhere and faults are logged once, with their stack.
import type { Reply } from '#shared/api/transport';
import { toWireError, ApiError } from '#shared/errors';
import { dispatch } from '../api';
import type { AppContext } from '../context';

export async function invoke(ctx: AppContext, method: string, input: unknown): Promise<Reply> {
  try {
    return { result: await dispatch(ctx, method, input) };
  } catch (error) {
    if (!(error instanceof ApiError)) console.error(`[engine] ${method} failed:`, error);
    return { error: toWireError(error) };
  }
}
