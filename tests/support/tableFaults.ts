// A pass-through HTTP proxy in front of Azurite's Table endpoint that answers chosen writes with a
// storage fault, so a test can make the real service fail between two writes (the app's own
// SDK client, retries and all, sees nothing but a Table service that is having a bad moment).
//
// The fault is what the Table service sends for an internal error: 500 with `x-ms-error-code:
// InternalError` and the OData JSON error body (REST reference, "Status and error codes" and
// "Common REST API error codes": InternalError, 500, "The server encountered an internal error.
// Please retry the request."; "Table service error codes" for the `odata.error` shape).

import { randomUUID } from 'node:crypto';
import { createServer, request, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';

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

function sendInternalError(response: ServerResponse): void {
  const requestId = randomUUID();
  const value = `The server encountered an internal error. Please retry the request.\nRequestId:${requestId}\nTime:${new Date().toISOString()}`;
  response.writeHead(500, {
    'content-type': 'application/json;odata=minimalmetadata;streaming=true;charset=utf-8',
    'x-ms-error-code': 'InternalError',
    'x-ms-request-id': requestId,
    'x-ms-version': '2019-02-02',
  });
  response.end(
    JSON.stringify({ 'odata.error': { code: 'InternalError', message: { lang: 'en-US', value } } }),
  );
}

export async function startTableFaultProxy(connectionString: string): Promise<TableFaultProxy> {
  const endpoint = /(?:^|;)TableEndpoint=([^;]+)/.exec(connectionString)?.[1];
  if (!endpoint) throw new Error('the connection string has no TableEndpoint');
  const target = new URL(endpoint);
  let pattern: RegExp | undefined;
  let faulted = 0;

  const forward = (incoming: IncomingMessage, body: Buffer, response: ServerResponse) => {
    const upstream = request(
      {
        host: target.hostname,
        port: target.port,
        method: incoming.method,
        path: incoming.url,
        headers: { ...incoming.headers, host: target.host },
      },
      (answer) => {
        response.writeHead(answer.statusCode ?? 502, answer.headers);
        answer.pipe(response);
      },
    );
    upstream.on('error', (error) => response.destroy(error));
    upstream.end(body);
  };

  const server = createServer((incoming, response) => {
    void buffer(incoming).then((body) => {
      if (pattern && body.length > 0 && pattern.test(body.toString('utf8'))) {
        faulted++;
        sendInternalError(response);
        return;
      }
      forward(incoming, body, response);
    });
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const { port } = server.address() as AddressInfo;
  const proxied = new URL(endpoint);
  proxied.host = `127.0.0.1:${port}`;

  return {
    connectionString: connectionString.replace(endpoint, proxied.href.replace(/\/$/, '')),
    failWritesMatching(next) {
      pattern = next;
    },
    get faulted() {
      return faulted;
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}
