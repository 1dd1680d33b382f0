// Errors that carry a stable code, an HTTP status and a human message. Domain code throws
// them; the HTTP functions turn them into {"error":{"code","message"}} bodies.

export class AppError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly headers: Record<string, string> = {},
  ) {
    super(message);
    this.name = 'AppError';
  }
}

export function errorBody(code: string, message: string): { error: { code: string; message: string } } {
  return { error: { code, message } };
}
