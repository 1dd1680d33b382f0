// A small Azure Files REST emulator for tests (Azurite has no Files service): node:http on
// 127.0.0.1 (node:https with a test PKI on request), path-style URLs like Azurite's
// (http://127.0.0.1:<port>/devstoreaccount1/<share>/...), in-memory state, latency and fault
// injection, request counts per operation. It implements what @azure/storage-file-share sends for
// the workspace store's calls; see docs/stores.md. Authorization is as strict as the service's:
// Shared Key signatures are verified and bearer tokens follow the Files OAuth rules (auth.ts).

import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { DEV_ACCOUNT, DEV_KEY } from '../../../src/dev/azurite.js';
import type { TestPki } from '../keyvault-emulator/certificate.js';
import { authenticate, type Scope } from './auth.js';
import { FaultPlan, type FaultRule, type Operation } from './faults.js';
import { allowsTrailingDot, assertShareName, normalisePath } from './names.js';
import { operationOf, route, type Reply } from './router.js';
import { Account, ServiceError } from './state.js';
import { errorXml } from './xml.js';

export type { FaultRule, Operation } from './faults.js';

/** Operations that change the share: what "storage writes" means in tests and benchmarks. */
export const WRITE_OPERATIONS = [
  'createDirectory',
  'createFile',
  'putRange',
  'setFileProperties',
  'setFileMetadata',
  'deleteFile',
  'deleteDirectory',
  'renameFile',
  'renameDirectory',
] as const satisfies readonly Operation[];

export function writeRequests(counts: FilesEmulator['counts']): number {
  return WRITE_OPERATIONS.reduce((sum, op) => sum + (counts[op] ?? 0), 0);
}

export interface FilesEmulatorOptions {
  /** The time from a request's arrival to its response, to within EARLY_MS (the emulator's own work happens within it). */
  latencyMs?: number;
  faults?: FaultRule[];
  /** Serve HTTPS with this PKI's server certificate (clients trust `tls.ca`) instead of HTTP. */
  tls?: TestPki;
  /** The bearer token a managed identity would present; bearer requests are refused without it. */
  bearerToken?: string;
}

export interface FilesEmulator {
  /** File service endpoint, path-style: http(s)://127.0.0.1:<port>/devstoreaccount1 */
  url: string;
  connectionString: string;
  /** Live request counts by operation, plus `total`. */
  counts: FaultPlan['counts'];
  resetCounts(): void;
  /**
   * The mean time from a request's arrival to its response since the last resetCounts, in ms: timers
   * on a busy event loop fire late, so it exceeds `latencyMs` by as much as the emulator's own load adds.
   */
  deliveredLatencyMs(): number;
  /** Replaces the fault rules; positions count from this call. */
  setFaults(rules: FaultRule[]): void;
  setLatency(ms: number): void;
  stop(): Promise<void>;
}

/** How much sooner than `latencyMs` an answer may leave (see respondWhenDue). */
export const EARLY_MS = 0.5;

export async function startFilesEmulator(options: FilesEmulatorOptions = {}): Promise<FilesEmulator> {
  const account = new Account();
  const plan = new FaultPlan(options.faults);
  let latencyMs = options.latencyMs ?? 0;
  const delivered = { count: 0, totalMs: 0 };
  let url = '';
  const policy = { accountKey: Buffer.from(DEV_KEY, 'base64'), bearerToken: options.bearerToken };

  const listener = (req: IncomingMessage, res: ServerResponse) => {
    handle(req, res).catch(() => res.destroy());
  };
  const server = options.tls
    ? createTlsServer({ key: options.tls.key, cert: options.tls.cert }, listener)
    : createServer(listener);

  async function handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const parsed = new URL(req.url ?? '/', 'http://127.0.0.1');
    const method = req.method ?? 'GET';
    const path = parsed.pathname.split('/').slice(1).map(decodeURIComponent);
    // The SDK builds a rename's destination URL by replacing the whole path with /<share>/<path>
    // (setURLPath in ShareFileClient.rename), which drops a path-style URL's account segment.
    // Such a request still names the account in its rename source; accept it as addressed to it.
    const renameWithoutAccount =
      path[0] !== DEV_ACCOUNT &&
      new URL(
        req.headers['x-ms-file-rename-source']?.toString() ?? 'x:/',
        'http://127.0.0.1',
      ).pathname.startsWith(`/${DEV_ACCOUNT}/`);
    const [accountName = '', share = '', ...segments] = renameWithoutAccount ? [DEV_ACCOUNT, ...path] : path;
    const operation: Operation = share ? operationOf(method, parsed.searchParams) : 'unsupported';
    const fault = plan.next(operation);
    // The latency is the service's whole response time: the reply leaves `latencyMs` after the
    // request arrived, with this emulator's own work done inside that time rather than added to it.
    const arrived = performance.now();
    const respondWhenDue = async () => {
      // Timers count from the event loop's cached millisecond clock, which lags while the loop is
      // busy, so one can fire early by performance.now(): wait again for what is really left. Not
      // for under half a millisecond, though: the shortest timer is 1 ms, and always waiting again
      // served 5.8 ms for 5 (bench/sync), a slower service than the one modelled. So an answer
      // may leave up to EARLY_MS before `latencyMs` has passed, never earlier.
      const left = () => latencyMs - (performance.now() - arrived);
      for (let wait = left(); wait > EARLY_MS; wait = left()) await sleep(wait);
      if (latencyMs <= 0) return;
      delivered.count++;
      delivered.totalMs += performance.now() - arrived;
    };
    if (fault === 'reset') {
      await respondWhenDue();
      return void req.socket.destroy();
    }
    const body = await readBody(req);

    let reply: Reply;
    try {
      authenticate(
        {
          method,
          rawUrl: req.url ?? '/',
          headers: req.headers,
          accountName,
          scope: scopeOf(share, operation),
        },
        policy,
      );
      if (fault === 'ServerBusy')
        throw new ServiceError(
          503,
          'ServerBusy',
          'The server is currently unable to receive requests. Please retry your request.',
        );
      if (fault === 'InternalError')
        throw new ServiceError(
          500,
          'InternalError',
          'The server encountered an internal error. Please retry the request.',
        );
      assertShareName(share);
      reply = route(account, operation, {
        method,
        query: parsed.searchParams,
        headers: req.headers,
        share,
        segments: normalisePath(
          segments.filter((segment) => segment !== ''),
          allowsTrailingDot(req.headers, 'x-ms-allow-trailing-dot'),
        ),
        body,
        serviceEndpoint: `${url}/`,
      });
    } catch (error) {
      if (!(error instanceof ServiceError)) throw error;
      reply = errorReply(error, req.headers['x-ms-client-request-id']?.toString() ?? randomUUID());
    }
    await respondWhenDue();
    await send(req, res, reply);
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const protocol = options.tls ? 'https' : 'http';
  url = `${protocol}://127.0.0.1:${(server.address() as AddressInfo).port}/${DEV_ACCOUNT}`;
  return {
    url,
    connectionString: `DefaultEndpointsProtocol=${protocol};AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};FileEndpoint=${url};`,
    counts: plan.counts,
    resetCounts: () => {
      plan.resetCounts();
      Object.assign(delivered, { count: 0, totalMs: 0 });
    },
    deliveredLatencyMs: () => (delivered.count ? delivered.totalMs / delivered.count : 0),
    setFaults: (rules) => plan.set(rules),
    setLatency: (ms) => void (latencyMs = ms),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

const SHARE_OPERATIONS: readonly Operation[] = ['createShare', 'getShareProperties', 'deleteShare'];

/** An operation the emulator does not know counts as a file one: the stricter bearer rule. */
function scopeOf(share: string, operation: Operation): Scope {
  if (!share) return 'service';
  return SHARE_OPERATIONS.includes(operation) ? 'share' : 'file';
}

function errorReply(error: ServiceError, requestId: string): Reply {
  return {
    status: error.status,
    headers: { 'x-ms-error-code': error.code, 'Content-Type': 'application/xml', ...error.headers },
    body: errorXml(error.code, error.message, requestId, error.details),
  };
}

async function readBody(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

async function send(req: IncomingMessage, res: ServerResponse, reply: Reply): Promise<void> {
  const body = typeof reply.body === 'string' ? Buffer.from(reply.body) : reply.body;
  res.writeHead(reply.status, {
    'x-ms-request-id': randomUUID(),
    'x-ms-version': req.headers['x-ms-version'] ?? '2025-05-05',
    'x-ms-client-request-id': req.headers['x-ms-client-request-id'] ?? '',
    Date: new Date().toUTCString(),
    Server: 'Windows-Azure-File/1.0 Microsoft-HTTPAPI/2.0 (workspace-sync test emulator)',
    ...(Buffer.isBuffer(body) && !reply.headers?.['Content-Length'] ? { 'Content-Length': body.length } : {}),
    ...reply.headers,
  });
  if (req.method === 'HEAD' || body === undefined) return void res.end();
  if (Buffer.isBuffer(body)) return void res.end(body);
  // Page by page, waiting for the socket to drain: a large sparse file is never one buffer.
  for (const chunk of body) {
    if (res.destroyed) return;
    if (!res.write(chunk)) await once(res, 'drain');
  }
  res.end();
}
