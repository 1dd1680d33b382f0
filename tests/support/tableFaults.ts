// A pass-through HTTP proxy in front of Azurite's Table endpoint that answers chosen writes with a
// storage fault, so a test can make the real service fail between two writes (the app's own
// SDK client, retries and all, sees nothing but a Table service that is having a bad moment).
//
// The fault is what the Table service sends for an internal error: 500 with `x-ms-error-code:
// InternalError` and the OData JSON error body (REST reference, "Status and error codes" and
// "Common REST API error codes": InternalError, 500, "The server encountered an internal error.
// Please retry the request."; "Table service error codes" for the `odata.error` shape).

import { randomUUID } from 'node:crypto';
import { startStorageProxy, type Answer } from './storageProxy.js';

export interface TableFaultProxy {
  /** The given connection string with its TableEndpoint pointing at the proxy. */
  connectionString: string;
  /**
   * While set, every request with a body (a write, a batch) whose text matches fails with
   * InternalError; the SDK's retries fail too, as they would while the fault lasts.
   */
  failWritesMatching(pattern: RegExp | undefined): void;
  /** How many requests were answered with the fault. */
  readonly faulted: number;
  stop(): Promise<void>;
}

function internalError(): Answer {
  const requestId = randomUUID();
  const value = `The server encountered an internal error. Please retry the request.\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  return {
    status: 500,
    headers: {
      'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
      'x-ms-error-code': 'InternalError',
      'x-ms-request-id': requestId,
      'x-ms-version': '2019-02-02',
    },
    body: Buffer.from(
      JSON.stringify({ 'odata.error': { code: 'InternalError', message: { lang: 'en-US', value } } }),
    ),
  };
}

export async function startTableFaultProxy(connectionString: string): Promise<TableFaultProxy> {
  const proxy = await startStorageProxy(connectionString, 'TableEndpoint');
  let pattern: RegExp | undefined;
  let faulted = 0;
  proxy.handle(async (request, forward) => {
    if (pattern && request.body.length > 0 && pattern.test(request.body.toString('utf8'))) {
      faulted++;
      return internalError();
    }
    return forward();
  });
  return {
    connectionString: proxy.connectionString,
    failWritesMatching(next) {
      pattern = next;
    },
    get faulted() {
      return faulted;
    },
    stop: () => proxy.stop(),
  };
}
