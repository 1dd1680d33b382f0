// A pass-through HTTP proxy in front of one of Azurite's endpoints (blob, table). A test decides how
// storage answers the requests it cares about (late, never, or with the service's own error) and
// sees every request and every answer, while the real SDK client and Azurite's state stay in play.

import { createServer, request, type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buffer } from 'node:stream/consumers';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';

/** A request as the proxy received it. */
export interface ProxiedRequest {
  method: string;
  /** The request target: path and query. */
  url: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface Answer {
  status: number;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

/** How storage answers one request: `forward` sends it to Azurite and resolves with Azurite's answer. */
export type Handling = (request: ProxiedRequest, forward: () => Promise<Answer>) => Promise<Answer>;

export interface StorageProxy {
  /** The given connection string with the proxied endpoint pointing at the proxy. */
  connectionString: string;
  /** How every request is answered from now on; undefined forwards each one unchanged. */
  handle(handling: Handling | undefined): void;
  /** Calls `listener` for each request as it arrives, and again once its answer has been sent. */
  watch(listener: (request: ProxiedRequest, answered: boolean) => void): void;
  stop(): Promise<void>;
}

export interface BlobProxy extends StorageProxy {
  /** A client of the named container whose requests go through the proxy. */
  container(name: string): ContainerClient;
}

/** A storage error answer, worded as the blob service words one. */
export function refusal(status: number, code: string): Answer {
  return {
    status,
    headers: { 'x-ms-error-code': code, 'content-type': 'application/xml' },
    body: Buffer.from(
      `<?xml version="1.0" encoding="utf-8"?><Error><Code>${code}</Code><Message>${code}</Message></Error>`,
    ),
  };
}

export async function startStorageProxy(
  connectionString: string,
  endpointName: 'BlobEndpoint' | 'TableEndpoint',
): Promise<StorageProxy> {
  const endpoint = new RegExp(`(?:^|;)${endpointName}=([^;]+)`).exec(connectionString)?.[1];
  if (!endpoint) throw new Error(`The connection string names no ${endpointName}`);
  const target = new URL(endpoint);
  const forwardAll: Handling = (_request, forward) => forward();
  let handling = forwardAll;
  const listeners: ((request: ProxiedRequest, answered: boolean) => void)[] = [];
  const tell = (seen: ProxiedRequest, answered: boolean) => {
    for (const listener of listeners) listener(seen, answered);
  };

  const forwarding = (seen: ProxiedRequest) => () =>
    new Promise<Answer>((resolve, reject) => {
      const upstream = request(
        {
          host: target.hostname,
          port: target.port,
          method: seen.method,
          path: seen.url,
          headers: { ...seen.headers, host: target.host },
        },
        (answer) =>
          void buffer(answer).then(
            (data) => resolve({ status: answer.statusCode ?? 502, headers: answer.headers, body: data }),
            reject,
          ),
      );
      upstream.on('error', reject);
      upstream.end(seen.body);
    });

  const server = createServer((incoming, response) => {
    void buffer(incoming)
      .then(async (body) => {
        const seen = {
          method: incoming.method ?? 'GET',
          url: incoming.url ?? '/',
          headers: incoming.headers,
          body,
        };
        tell(seen, false);
        const answer = await handling(seen, forwarding(seen));
        response.writeHead(answer.status, answer.headers);
        response.end(answer.body, () => tell(seen, true));
      })
      .catch(() => response.destroy());
  });
  await new Promise<void>((done) => server.listen(0, '127.0.0.1', done));
  const proxied = new URL(endpoint);
  proxied.host = `127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    connectionString: connectionString.replace(endpoint, proxied.href.replace(/\/$/, '')),
    handle(next) {
      handling = next ?? forwardAll;
    },
    watch(listener) {
      listeners.push(listener);
    },
    stop: () =>
      new Promise<void>((done) => {
        server.closeAllConnections();
        server.close(() => done());
      }),
  };
}

/** The proxy in front of the blob endpoint, with container clients that go through it. */
export async function startBlobProxy(connectionString: string): Promise<BlobProxy> {
  const proxy = await startStorageProxy(connectionString, 'BlobEndpoint');
  const service = BlobServiceClient.fromConnectionString(proxy.connectionString);
  return { ...proxy, container: (name) => service.getContainerClient(name) };
}
