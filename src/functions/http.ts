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
 * The one place a domain error code becomes an HTTP status (DESIGN.md "Style": only functions/
 * maps codes to statuses). An AppError whose code is missing here is a bug: a logged 500.
 */
const APP_ERROR_STATUS: Record<string, number> = {
  // The request itself is wrong.
  INVALID_BODY: 400,
  INVALID_QUERY: 400,
  INVALID_PAYLOAD: 400,
  INVALID_CONTENT_LENGTH: 400,
  INVALID_REPOSITORY_URL: 400,
  INVALID_BRANCH: 400,
  INVALID_TOKEN: 400,
  HOST_NOT_ALLOWED: 400,
  NOT_A_DIRECTORY: 400,
  WORKSPACE_READ_ONLY: 403,
  NOT_FOUND: 404,
  JOB_NOT_FOUND: 404,
  BACKUP_NOT_FOUND: 404,
  // The workspace's state does not allow it now.
  NOT_CONNECTED: 409,
  IS_DIRECTORY: 409,
  PARENT_NOT_A_DIRECTORY: 409,
  DIRECTORY_NOT_EMPTY: 409,
  ROOT_NOT_DELETABLE: 409,
  EDIT_IN_PROGRESS: 409,
  SYNC_IN_PROGRESS: 409,
  WEBHOOK_NOT_MANAGED: 409,
  NO_TOKEN: 409,
  PRECONDITION_FAILED: 412,
  PAYLOAD_TOO_LARGE: 413,
  RANGE_NOT_SATISFIABLE: 416,
  // What the repository or GitHub said about the request.
  REPOSITORY_UNREACHABLE: 422,
  BRANCH_NOT_FOUND: 422,
  REPOSITORY_NOT_FOUND: 422,
  TOKEN_INVALID: 422,
  TOKEN_FORBIDDEN: 422,
  PRECONDITION_REQUIRED: 428,
  // GitHub or this app cannot answer now.
  HOOKS_FORBIDDEN: 502,
  HOOK_NOT_FOUND: 502,
  GITHUB_VALIDATION_FAILED: 502,
  GITHUB_TIMEOUT: 502,
  GITHUB_ABORTED: 502,
  GITHUB_UNREACHABLE: 502,
  GITHUB_API_URL_INVALID: 502,
  GITHUB_ERROR: 502,
  BUSY: 503,
  GITHUB_RATE_LIMITED: 503,
};

function hintHeaders(error: AppError): Record<string, string> {
  const headers: Record<string, string> = {};
  const { retryAfterSeconds, resourceSize } = error.hints;
  if (retryAfterSeconds !== undefined) headers['Retry-After'] = String(retryAfterSeconds);
  if (resourceSize !== undefined) headers['Content-Range'] = `bytes */${resourceSize}`;
  return headers;
}

/**
 * Turns a thrown error into a response: known errors get their status and keep their code;
 * anything else is a 500 whose details go to the log only.
 */
export function toErrorResponse(error: unknown, context: InvocationContext): HttpResponseInit {
  if (error instanceof AppError && APP_ERROR_STATUS[error.code] !== undefined) {
    return errorResponse(APP_ERROR_STATUS[error.code]!, error.code, error.message, hintHeaders(error));
  }
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
  context.error('Unhandled error', {
    code: (error as { code?: unknown }).code,
    error: error instanceof Error ? error.message : String(error),
  });
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

/** `?top=` of a listing: 1 to 100, 20 when absent; anything else is 400 INVALID_QUERY. */
export function parseTop(raw: string | null): number {
  if (raw === null) return 20;
  const top = Number(raw);
  if (!Number.isInteger(top) || top < 1 || top > 100) {
    throw new AppError('INVALID_QUERY', 'top must be an integer from 1 to 100');
  }
  return top;
}
