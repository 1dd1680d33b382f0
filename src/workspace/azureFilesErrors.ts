// Turns @azure/storage-file-share failures (RestError: HTTP status + x-ms-error-code) into
// StoreErrors, keeping the service's own code in `storageCode` for job records and logs.

import { StoreError, type StoreErrorCode } from './store.js';

const CODES: Record<string, StoreErrorCode> = {
  ResourceNotFound: 'NOT_FOUND',
  ParentNotFound: 'PARENT_NOT_FOUND',
  ResourceAlreadyExists: 'ALREADY_EXISTS',
  ResourceTypeMismatch: 'ALREADY_EXISTS',
  DirectoryNotEmpty: 'DIRECTORY_NOT_EMPTY',
};

interface RestErrorLike {
  statusCode?: number;
  code?: string;
  details?: { errorCode?: string };
}

/** The service's error code: from the XML body (`code`) or, for HEAD requests, the x-ms-error-code header. */
export function azureErrorCode(error: unknown): string | undefined {
  if (typeof error !== 'object' || error === null || (error as Error).name !== 'RestError') return undefined;
  const rest = error as RestErrorLike;
  return rest.details?.errorCode ?? rest.code ?? (rest.statusCode ? `HTTP${rest.statusCode}` : undefined);
}

/** A StoreError for a RestError; anything else (aborts, body stream errors) passes through unchanged. */
export function toStoreError(error: unknown, path: string, action: string): unknown {
  if (error instanceof StoreError) return error;
  const storageCode = azureErrorCode(error);
  if (storageCode === undefined) return error;
  const status = (error as RestErrorLike).statusCode;
  const where = path || 'the workspace root';
  const message = `Cannot ${action} ${where}: ${storageCode}${status ? ` (HTTP ${status})` : ''}`;
  return new StoreError(CODES[storageCode] ?? 'STORAGE_ERROR', path, message, storageCode);
}
