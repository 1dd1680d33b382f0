// The HTTP front door: matches a request against the registered routes and invokes the function
// through the app's programming model, the two ways the Functions host does.
//
// - Streaming (`app.setup({ enableHttpStream: true })`): the library runs its own HTTP proxy
//   server and reports its address as the `HttpUri` capability. As the host does, we forward the
//   request (body streamed) to that address with `x-ms-invocation-id` and `x-forwarded-*`
//   headers, pass headers and route values in the trigger metadata, and stream the proxy's
//   response back to the client. The relay keeps the client's pace (pipe), but the library
//   writes the function's body into its proxy response without waiting for 'drain'
//   (azure-functions-nodejs-library issue 294): a slow client's backlog builds up in the worker
//   process, under the real host too, since it is the library's code.
// - Otherwise: the whole request goes in the invocation as RPC HTTP data and the response comes
//   back in the return value.
//
// Keys are not checked (`authLevel` is shown in the banner only), as with `func start`.

import { randomUUID } from 'node:crypto';
import http, { type IncomingMessage, type ServerResponse } from 'node:http';
import type { CoreRegistry, HttpData, InvocationResponse, TypedData } from './coreShim.js';
import { invoke } from './invoke.js';
import type { Logger } from './log.js';
import { matchRoute, type HttpRoute, type RouteMatch } from './routes.js';

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
]);

export interface HttpHostOptions {
  registry: CoreRegistry;
  routes: HttpRoute[];
  logger: Logger;
  /** The library's proxy address when HTTP streaming is on. */
  streamUri?: string;
}

export interface HttpHost {
  server: http.Server;
}

function flatHeaders(req: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(req.headers)) {
    if (value !== undefined) headers[name] = Array.isArray(value) ? value.join(', ') : value;
  }
  return headers;
}

function triggerMetadata(req: IncomingMessage, url: URL, match: RouteMatch): Record<string, TypedData> {
  const metadata: Record<string, TypedData> = {
    Headers: { json: JSON.stringify(flatHeaders(req)) },
    Query: { json: JSON.stringify(Object.fromEntries(url.searchParams)) },
  };
  for (const [name, value] of Object.entries(match.params)) metadata[name] = { string: value };
  return metadata;
}

function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  if (res.headersSent) {
    res.destroy();
    return;
  }
  res.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify({ error: { code, message } }));
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** Forwards the request to the library's proxy and relays its response; settles when the reply is done. */
function forwardToProxy(
  streamUri: string,
  agent: http.Agent,
  invocationId: string,
  req: IncomingMessage,
  res: ServerResponse,
): { done: Promise<void>; abort: () => void } {
  const headers = { ...req.headers };
  for (const name of HOP_BY_HOP) delete headers[name];
  const proxyReq = http.request(new URL(req.url ?? '/', streamUri), {
    method: req.method,
    agent,
    headers: {
      ...headers,
      'x-ms-invocation-id': invocationId,
      'x-forwarded-host': req.headers.host ?? '127.0.0.1',
      'x-forwarded-proto': 'http',
    },
  });
  const done = new Promise<void>((resolve) => {
    proxyReq.on('response', (proxyRes) => {
      const outHeaders: Record<string, string | string[]> = {};
      for (const [name, value] of Object.entries(proxyRes.headers)) {
        if (value !== undefined && !HOP_BY_HOP.has(name) && name !== 'x-ms-invocation-id')
          outHeaders[name] = value;
      }
      res.writeHead(proxyRes.statusCode ?? 500, outHeaders);
      proxyRes.pipe(res);
      proxyRes.on('end', resolve);
      proxyRes.on('error', () => resolve());
    });
    proxyReq.on('error', () => resolve());
    res.on('close', () => {
      proxyReq.destroy();
      resolve();
    });
  });
  req.pipe(proxyReq);
  return { done, abort: () => proxyReq.destroy() };
}

function writeRpcResponse(res: ServerResponse, response: InvocationResponse): void {
  const data: HttpData | null | undefined = response.returnValue?.http;
  if (!data) {
    res.writeHead(204).end();
    return;
  }
  const body = data.body?.bytes ? Buffer.from(data.body.bytes) : Buffer.from(data.body?.string ?? '');
  res.writeHead(Number(data.statusCode ?? 200), data.headers ?? {});
  res.end(body);
}

export function createHttpHost(options: HttpHostOptions): HttpHost {
  const { registry, routes, logger, streamUri } = options;
  const agent = new http.Agent({ keepAlive: true });

  const handle = async (req: IncomingMessage, res: ServerResponse) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    let match: RouteMatch | undefined;
    try {
      match = matchRoute(routes, req.method ?? 'GET', url.pathname);
    } catch {
      return sendError(res, 400, 'BAD_REQUEST_PATH', 'The request path is not valid percent-encoding');
    }
    if (!match) return sendError(res, 404, 'NOT_FOUND', `No function serves ${req.method} ${url.pathname}`);

    const { route } = match;
    const invocationId = randomUUID();
    const started = Date.now();
    const metadata = triggerMetadata(req, url, match);
    const name = route.registration.metadata.name;
    logger.info(`${name} (${invocationId.slice(0, 8)}) ${req.method} ${url.pathname}${url.search}`);

    const proxy = streamUri ? forwardToProxy(streamUri, agent, invocationId, req, res) : undefined;
    try {
      let http: HttpData = {};
      if (!proxy) {
        const body = await readBody(req);
        http = {
          method: req.method,
          url: `http://${req.headers.host ?? '127.0.0.1'}${req.url}`,
          headers: flatHeaders(req),
          query: Object.fromEntries(url.searchParams),
          params: match.params,
          body: { bytes: body },
        };
      }
      const response = await invoke(
        registry,
        route.registration,
        { invocationId, inputData: [{ name: route.triggerName, data: { http } }], triggerMetadata: metadata },
        logger,
      );
      if (proxy) await proxy.done;
      else writeRpcResponse(res, response);
      logger.info(`${name} (${invocationId.slice(0, 8)}) ${res.statusCode} in ${Date.now() - started} ms`);
    } catch (error) {
      proxy?.abort();
      logger.error(
        `${name} (${invocationId.slice(0, 8)}) failed: ${(error as Error)?.stack ?? String(error)}`,
      );
      // The host answers a failed invocation with a bare 500.
      if (!res.headersSent) res.writeHead(500).end();
      else res.destroy();
    }
  };

  const server = http.createServer((req, res) => void handle(req, res));
  server.on('close', () => agent.destroy());
  return { server };
}
