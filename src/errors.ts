// Errors that carry a stable code and a human message. Domain code throws them without knowing
// HTTP: only src/functions/http.ts maps a code to a status.

export interface ErrorHints {
  /** How long a client should wait before trying again (becomes Retry-After). */
  retryAfterSeconds?: number;
  /** The size of the resource a byte range missed (becomes Content-Range: bytes *∕size). */
  resourceSize?: number;
}

export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly hints: ErrorHints = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
