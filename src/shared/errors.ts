// One error type crosses every transport, so the UI can tell a user's mistake
// (bad input, a missing record) from a fault without parsing messages.

export type ApiErrorCode = 'invalid' | 'not-found' | 'conflict' | 'busy' | 'io' | 'internal';

export class ApiError extends Error {
  constructor(
    readonly code: ApiErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

export interface WireError {
  code: ApiErrorCode;
  message: string;
}

export function isWireError(value: unknown): value is WireError {
  return !!value && typeof value === 'object' && 'code' in value && 'message' in value;
}

export function toWireError(error: unknown): WireError {
  if (error instanceof ApiError) return { code: error.code, message: error.message };
  const message = error instanceof Error ? error.message : String(error);
  return { code: 'internal', message };
}
