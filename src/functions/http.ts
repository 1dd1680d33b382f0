// Shared shapes for HTTP responses: JSON bodies and the {"error":{"code","message"}} envelope.

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { AppError, errorBody } from '../errors.js';
import { InvalidPathError } from '../workspace/paths.js';

export function json(status: number, body: unknown, headers: Record<string, string> = {}): HttpResponseInit {
  return { status, jsonBody: body, headers: { 'Cache-Control': 'no-store', ...headers } };
}

export function errorResponse(
  status: number,
  code: string,
  message: string,
  headers: Record<string, string> = {},
) {
  return json(status, errorBody(code, message), headers);
}

/**
 * Turns a thrown error into a response: known errors keep their status and code; anything
 * else is a 500 whose details go to the log only.
 */
export function toErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof AppError) return errorResponse(error.status, error.code, error.message, error.headers);
  if (error instanceof InvalidPathError) return errorResponse(400, error.code, error.message);
  context.error('Unhandled error', { error: error instanceof Error ? error.message : String(error) });
  return errorResponse(500, 'INTERNAL_ERROR', 'The request failed; see the function log for details');
}
