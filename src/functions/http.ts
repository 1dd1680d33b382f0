// Shared shapes for HTTP responses: JSON bodies and the {"error":{"code","message"}} envelope.

import type { HttpResponseInit, InvocationContext } from '@azure/functions';
import { LeaseLostError } from '../blobLease.js';
import { AppError, errorBody } from '../errors.js';
import { InvalidPathError } from '../workspace/paths.js';
import { StoreError, type StoreErrorCode } from '../workspace/store.js';

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
  if (error instanceof LeaseLostError) {
    // The lock under which a write ran was lost (storage stalled or someone broke it): nothing was kept.
    return errorResponse(
      503,
      error.code,
      'The edit lock was lost mid-write; nothing was changed. Try again',
      {
        'Retry-After': '5',
      },
    );
  }
  if (error instanceof StoreError && error.code !== 'STORAGE_ERROR') {
    return errorResponse(STORE_ERROR_STATUS[error.code], error.code, error.message);
  }
  context.error('Unhandled error', { error: error instanceof Error ? error.message : String(error) });
  return errorResponse(500, 'INTERNAL_ERROR', 'The request failed; see the function log for details');
}

/** Store errors a client caused (the path's state); STORAGE_ERROR stays a logged 500. */
const STORE_ERROR_STATUS: Record<Exclude<StoreErrorCode, 'STORAGE_ERROR'>, number> = {
  NOT_FOUND: 404,
  PARENT_NOT_FOUND: 409,
  ALREADY_EXISTS: 409,
  DIRECTORY_NOT_EMPTY: 409,
  IS_DIRECTORY: 409,
  NOT_A_DIRECTORY: 409,
};
