// A GitHub fake for tests: the REST routes the app uses (repository, hooks, pings, deliveries) on
// 127.0.0.1, and GitHub's delivery side (signed POSTs to every active hook). Plain node:http, in-memory
// state, per-token behaviour (scopes, expiry, admin or not, revoked, rate-limited), outages (5xx).
// Optionally under a path prefix, as GitHub Enterprise Server serves its API under /api/v3.
// Its answers are checked against GitHub's OpenAPI description in tests/unit/github-fake-openapi.test.ts.

import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { deliver } from './delivery.js';
import { pingPayload, pushPayload, type PushEvent } from './payloads.js';
import { Router } from './router.js';
import {
  FakeWorld,
  type DeliveryRecord,
  type FakeHook,
  type FakeRepository,
  type FakeTokenConfig,
  type OutageStatus,
} from './state.js';

export type { PushCommit, PushEvent } from './payloads.js';
export type { DeliveryRecord, FakeHook, FakeRepository, FakeTokenConfig, OutageStatus } from './state.js';
export { formatExpiry } from './router.js';

export interface GitHubFakeOptions {
  /** `/api/v3` to look like GitHub Enterprise Server; default none (api.github.com). */
  pathPrefix?: string;
  /** Caps `per_page` below GitHub's 100, so paging can be tested with a few items. */
  maxPerPage?: number;
  /** GitHub pings a hook right after creating it; default true. */
  pingOnCreate?: boolean;
}

export interface FakeRequestLog {
  method: string;
  /** Path below the API root, with the query. */
  path: string;
  status: number;
}

export interface GitHubFake {
  /** The API root to give a client: http://127.0.0.1:<port>[/api/v3] */
  url: string;
  /** The web root (html_url, compare links): http://127.0.0.1:<port> */
  webUrl: string;
  addRepository(
    fullName: string,
    options?: { private?: boolean; defaultBranch?: string; cloneUrl?: string },
  ): FakeRepository;
  addToken(token: string, config?: FakeTokenConfig): void;
  /** The repository's hooks as stored (secrets in clear, for assertions), oldest first. */
  hooks(fullName: string): FakeHook[];
  /** Every delivery attempt to the repository's hooks, oldest first. */
  deliveries(fullName: string): DeliveryRecord[];
  /** Sends a push event to every active hook subscribed to it, as GitHub does after a push. */
  deliverPush(fullName: string, event: PushEvent): Promise<DeliveryRecord[]>;
  /** Off: GitHub "fails" to deliver anything (pushes, pings) and records nothing. */
  setDeliveryEnabled(enabled: boolean): void;
  /** GitHub failing (500 or 503 to every API call) until called again with undefined. */
  setOutage(status: OutageStatus | undefined): void;
  /** Every API request answered, in order. */
  requests: FakeRequestLog[];
  /** Resolves when no delivery is in flight (pings after create run in the background). */
  idle(): Promise<void>;
  stop(): Promise<void>;
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => resolve(Buffer.concat(chunks)));
    req.on('error', reject);
  });
}

function subscribed(hook: FakeHook, event: string): boolean {
  return hook.active && (hook.events.includes(event) || hook.events.includes('*'));
}

export async function startGitHubFake(options: GitHubFakeOptions = {}): Promise<GitHubFake> {
  const world = new FakeWorld();
  const prefix = (options.pathPrefix ?? '').replace(/\/+$/, '');
  const urls = { api: '', web: '' };
  const requests: FakeRequestLog[] = [];
  const inFlight = new Set<Promise<unknown>>();
  let deliveryEnabled = true;

  function send(repository: FakeRepository, hook: FakeHook, event: string, payload: Record<string, unknown>) {
    const pending = deliver(hook, repository, event, payload, () => world.newId());
    inFlight.add(pending);
    void pending.finally(() => inFlight.delete(pending));
    return pending;
  }

  function ping(repository: FakeRepository, hook: FakeHook) {
    if (deliveryEnabled) void send(repository, hook, 'ping', pingPayload(repository, hook, urls));
  }

  const router = new Router(world, {
    urls,
    maxPerPage: options.maxPerPage ?? 100,
    onHookCreated: (repository, hook) => {
      if (options.pingOnCreate !== false) ping(repository, hook);
    },
    onPing: ping,
  });

  const server = createServer((req, res) => {
    void (async () => {
      const url = new URL(req.url ?? '/', 'http://127.0.0.1');
      const inPrefix = url.pathname === prefix || url.pathname.startsWith(`${prefix}/`);
      const reply = inPrefix
        ? router.handle({
            method: req.method ?? 'GET',
            path: url.pathname.slice(prefix.length),
            query: url.searchParams,
            authorization: req.headers.authorization,
            body: await readBody(req),
          })
        : { status: 404, body: { message: 'Not Found' }, headers: {} };
      requests.push({
        method: req.method ?? 'GET',
        path: `${url.pathname.slice(prefix.length)}${url.search}`,
        status: reply.status,
      });
      const headers: Record<string, string> = { ...reply.headers };
      if (reply.body !== undefined) headers['content-type'] = 'application/json; charset=utf-8';
      res.writeHead(reply.status, headers);
      res.end(reply.body === undefined ? undefined : JSON.stringify(reply.body));
    })().catch(() => res.destroy());
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  urls.api = `${origin}${prefix}`;
  urls.web = origin;

  const repositoryOrThrow = (fullName: string) => {
    const repository = world.repository(fullName);
    if (!repository) throw new Error(`the fake has no repository ${fullName}`);
    return repository;
  };

  const idle = async () => {
    while (inFlight.size) await Promise.allSettled([...inFlight]);
  };

  return {
    url: urls.api,
    webUrl: urls.web,
    addRepository: (fullName, repositoryOptions) => world.addRepository(fullName, repositoryOptions),
    addToken: (token, config) => world.addToken(token, config),
    hooks: (fullName) => [...repositoryOrThrow(fullName).hooks.values()],
    deliveries: (fullName) =>
      [...repositoryOrThrow(fullName).hooks.values()]
        .flatMap((hook) => hook.deliveries)
        .sort((a, b) => a.id - b.id),
    async deliverPush(fullName, event) {
      const repository = repositoryOrThrow(fullName);
      repository.pushedAt = new Date();
      if (!deliveryEnabled) return [];
      const payload = pushPayload(repository, urls, event);
      const hooks = [...repository.hooks.values()].filter((hook) => subscribed(hook, 'push'));
      return Promise.all(hooks.map((hook) => send(repository, hook, 'push', payload)));
    },
    setDeliveryEnabled(enabled) {
      deliveryEnabled = enabled;
    },
    setOutage(status) {
      world.outage = status;
    },
    requests,
    idle,
    async stop() {
      await idle();
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeAllConnections();
      await closed;
    },
  };
}
