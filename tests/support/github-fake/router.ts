// The REST routes the app uses, answered as api.github.com answers them
// (https://docs.github.com/rest/repos/repos#get-a-repository, /rest/repos/webhooks, /rest/repos/webhooks#list-deliveries-for-a-repository-webhook):
// status codes, bodies, and the headers GitHub adds to every response (request id, rate limit,
// token scopes and expiry, accepted permissions).

import { randomBytes } from 'node:crypto';
import { acceptedPermissions, acceptedScopes, decide, type Action } from './access.js';
import {
  deliveryItemBody,
  errorBody,
  hookBody,
  outageBody,
  repositoryBody,
  validationFailed,
  type Urls,
} from './bodies.js';
import { customError, hookConflict, parseConfig } from './hookRules.js';
import type { FakeHook, FakeRepository, FakeTokenConfig, FakeWorld } from './state.js';

const DOCS = {
  repo: 'https://docs.github.com/rest/repos/repos#get-a-repository',
  listHooks: 'https://docs.github.com/rest/repos/webhooks#list-repository-webhooks',
  createHook: 'https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook',
  updateHook: 'https://docs.github.com/rest/repos/webhooks#update-a-repository-webhook',
  getHook: 'https://docs.github.com/rest/repos/webhooks#get-a-repository-webhook',
  rateLimit:
    'https://docs.github.com/rest/using-the-rest-api/rate-limits-for-the-rest-api#about-secondary-rate-limits',
  rest: 'https://docs.github.com/rest',
};

export interface Reply {
  status: number;
  body?: unknown;
  headers?: Record<string, string>;
}

export interface Request {
  method: string;
  /** Path below the API root, without the query. */
  path: string;
  query: URLSearchParams;
  authorization: string | undefined;
  body: Buffer;
}

/** What the router asks of the server around it: deliveries run outside the request. */
export interface RouterHooks {
  urls: Urls;
  maxPerPage: number;
  onHookCreated(repository: FakeRepository, hook: FakeHook): void;
  onPing(repository: FakeRepository, hook: FakeHook): void;
}

type Token = (FakeTokenConfig & { rate: { limit: number; used: number; reset: number } }) | undefined;

function requestId(): string {
  const hex = (bytes: number) => randomBytes(bytes).toString('hex').toUpperCase();
  return `${hex(2)}:${hex(3)}:${hex(4)}:${hex(4)}:${hex(4)}`;
}

/** GitHub's expiry header format, e.g. `2026-12-01 10:00:00 UTC`. */
export function formatExpiry(date: Date): string {
  return date
    .toISOString()
    .replace('T', ' ')
    .replace(/\.\d{3}Z$/, ' UTC');
}

function tokenOf(authorization: string | undefined): string | undefined {
  const match = authorization?.match(/^(?:token|bearer)\s+(\S+)$/i);
  return match?.[1];
}

function perPage(query: URLSearchParams, cap: number): number {
  const asked = Number(query.get('per_page') ?? 30);
  return Math.max(1, Math.min(Number.isFinite(asked) ? asked : 30, 100, cap));
}

/** RFC 8288 Link header as GitHub formats it: `<url?page=2&per_page=30>; rel="next", <…>; rel="last"`. */
function linkHeader(base: string, rels: Record<string, Record<string, string>>): string {
  return Object.entries(rels)
    .map(([rel, params]) => `<${base}?${new URLSearchParams(params)}>; rel="${rel}"`)
    .join(', ');
}

export class Router {
  constructor(
    private readonly world: FakeWorld,
    private readonly hooks: RouterHooks,
  ) {}

  handle(request: Request): Reply {
    const raw = tokenOf(request.authorization);
    const token = raw === undefined ? undefined : this.world.tokens.get(raw);
    const headers = this.commonHeaders(token);
    const reply = this.outage() ?? this.authenticate(raw, token) ?? this.route(request, token);
    return { ...reply, headers: { ...headers, ...reply.headers } };
  }

  private commonHeaders(token: Token): Record<string, string> {
    const headers: Record<string, string> = {
      'x-github-request-id': requestId(),
      'x-github-api-version-selected': '2022-11-28',
      'x-github-media-type': 'github.v3; format=json',
    };
    if (token) {
      token.rate.used += 1;
      const remaining = token.rateLimited ? 0 : Math.max(0, token.rate.limit - token.rate.used);
      Object.assign(headers, {
        'x-ratelimit-limit': String(token.rate.limit),
        'x-ratelimit-remaining': String(remaining),
        'x-ratelimit-reset': String(token.rate.reset),
        'x-ratelimit-used': String(token.rateLimited ? token.rate.limit : token.rate.used),
        'x-ratelimit-resource': 'core',
      });
      if (token.scopes !== undefined) headers['x-oauth-scopes'] = token.scopes.join(', ');
      if (token.expiresAt) headers['github-authentication-token-expiration'] = formatExpiry(token.expiresAt);
    }
    return headers;
  }

  /** An outage comes before any check of the caller: GitHub's front end answers for the API. */
  private outage(): Reply | undefined {
    const status = this.world.outage;
    return status === undefined ? undefined : { status, body: outageBody(status) };
  }

  private authenticate(raw: string | undefined, token: Token): Reply | undefined {
    if (raw !== undefined && (!token || token.revoked)) {
      return { status: 401, body: errorBody('Bad credentials', 401) };
    }
    if (token?.rateLimited) {
      const message = `API rate limit exceeded for user ID 583231. If you reach out to GitHub Support for help, please include the request ID.`;
      return { status: 403, body: errorBody(message, 403, DOCS.rateLimit) };
    }
    return undefined;
  }

  private route(request: Request, token: Token): Reply {
    const match = request.path.match(
      /^\/repos\/([^/]+)\/([^/]+)(?:\/hooks(?:\/(\d+)(?:\/(pings|deliveries))?)?)?\/?$/,
    );
    const repository = match && this.world.repository(`${match[1]}/${match[2]}`);
    if (!match || !repository) return { status: 404, body: errorBody('Not Found', 404, DOCS.rest) };
    const isHooks = request.path.includes('/hooks');
    const hookId = match[3] === undefined ? undefined : Number(match[3]);
    const sub = match[4];
    const route = `${request.method} ${isHooks ? 'hooks' : 'repo'}${hookId === undefined ? '' : '/id'}${sub ? `/${sub}` : ''}`;

    switch (route) {
      case 'GET repo':
        return this.guarded(token, repository, 'repository', DOCS.repo, () => ({
          status: 200,
          body: repositoryBody(repository, this.hooks.urls, token ? token.admin !== false : undefined),
        }));
      case 'GET hooks':
        return this.guarded(token, repository, 'hooks:read', DOCS.listHooks, () =>
          this.listHooks(repository, request.query),
        );
      case 'POST hooks':
        return this.guarded(token, repository, 'hooks:write', DOCS.createHook, () =>
          this.withJson(request, (body) => this.createHook(repository, body)),
        );
      case 'GET hooks/id':
        return this.withHook(token, repository, hookId!, 'hooks:read', (hook) => ({
          status: 200,
          body: hookBody(repository, hook, this.hooks.urls),
        }));
      case 'PATCH hooks/id':
        return this.withHook(token, repository, hookId!, 'hooks:write', (hook) =>
          this.withJson(request, (body) => this.updateHook(repository, hook, body)),
        );
      case 'DELETE hooks/id':
        return this.withHook(token, repository, hookId!, 'hooks:delete', (hook) => {
          repository.hooks.delete(hook.id);
          return { status: 204 };
        });
      case 'POST hooks/id/pings':
        return this.withHook(token, repository, hookId!, 'hooks:ping', (hook) => {
          this.hooks.onPing(repository, hook);
          return { status: 204 };
        });
      case 'GET hooks/id/deliveries':
        return this.withHook(token, repository, hookId!, 'hooks:read', (hook) =>
          this.listDeliveries(repository, hook, request.query),
        );
      default:
        return { status: 404, body: errorBody('Not Found', 404, DOCS.rest) };
    }
  }

  private guarded(
    token: Token,
    repository: FakeRepository,
    action: Action,
    docs: string,
    run: () => Reply,
  ): Reply {
    const decision = decide(token, repository, action);
    const headers: Record<string, string> = {};
    if (token?.scopes !== undefined) headers['x-accepted-oauth-scopes'] = acceptedScopes(action);
    else if (token) headers['x-accepted-github-permissions'] = acceptedPermissions(action);
    if (decision.allowed) {
      const reply = run();
      return { ...reply, headers: { ...headers, ...reply.headers } };
    }
    return decision.answer === 'not-found'
      ? { status: 404, body: errorBody('Not Found', 404, docs), headers }
      : {
          status: 403,
          body: errorBody('Resource not accessible by personal access token', 403, docs),
          headers,
        };
  }

  private withHook(
    token: Token,
    repository: FakeRepository,
    id: number,
    action: Action,
    run: (hook: FakeHook) => Reply,
  ): Reply {
    return this.guarded(token, repository, action, DOCS.getHook, () => {
      const hook = repository.hooks.get(id);
      return hook ? run(hook) : { status: 404, body: errorBody('Not Found', 404, DOCS.getHook) };
    });
  }

  private withJson(request: Request, run: (body: Record<string, unknown>) => Reply): Reply {
    let body: unknown;
    try {
      body = request.body.length ? JSON.parse(request.body.toString('utf8')) : {};
    } catch {
      return { status: 400, body: errorBody('Problems parsing JSON', 400, DOCS.rest) };
    }
    if (typeof body !== 'object' || body === null || Array.isArray(body)) {
      return { status: 400, body: errorBody('Body should be a JSON object', 400, DOCS.rest) };
    }
    return run(body as Record<string, unknown>);
  }

  private listHooks(repository: FakeRepository, query: URLSearchParams): Reply {
    const all = [...repository.hooks.values()].sort((a, b) => a.id - b.id);
    const size = perPage(query, this.hooks.maxPerPage);
    const last = Math.max(1, Math.ceil(all.length / size));
    const page = Math.max(1, Number(query.get('page') ?? 1) || 1);
    const items = all.slice((page - 1) * size, page * size);
    const at = (n: number) => ({ page: String(n), per_page: String(size) });
    const rels: Record<string, Record<string, string>> = {};
    if (page > 1) Object.assign(rels, { prev: at(page - 1), first: at(1) });
    if (page < last) Object.assign(rels, { next: at(page + 1), last: at(last) });
    const base = `${this.hooks.urls.api}/repos/${repository.fullName}/hooks`;
    return {
      status: 200,
      body: items.map((hook) => hookBody(repository, hook, this.hooks.urls)),
      headers: Object.keys(rels).length ? { link: linkHeader(base, rels) } : undefined,
    };
  }

  /** Newest first, cursor-paged (the cursor is opaque to callers; here it is the next delivery id). */
  private listDeliveries(repository: FakeRepository, hook: FakeHook, query: URLSearchParams): Reply {
    const size = perPage(query, this.hooks.maxPerPage);
    const wanted = query.get('status');
    const cursor = query.get('cursor');
    const all = [...hook.deliveries]
      .reverse()
      .filter(
        (d) => wanted === null || (wanted === 'success') === (d.statusCode >= 200 && d.statusCode < 300),
      )
      .filter((d) => cursor === null || d.id <= Number(cursor));
    const items = all.slice(0, size);
    const next = all[size];
    const base = `${this.hooks.urls.api}/repos/${repository.fullName}/hooks/${hook.id}/deliveries`;
    return {
      status: 200,
      body: items.map((record) => deliveryItemBody(record, repository)),
      headers: next
        ? { link: linkHeader(base, { next: { per_page: String(size), cursor: String(next.id) } }) }
        : undefined,
    };
  }

  private createHook(repository: FakeRepository, body: Record<string, unknown>): Reply {
    if (body.name !== undefined && body.name !== 'web') {
      return this.invalid(DOCS.createHook, { resource: 'Hook', code: 'invalid', field: 'name' });
    }
    const config = parseConfig(body.config, undefined);
    if (typeof config === 'string') return this.invalid(DOCS.createHook, customError(config));
    const events = Array.isArray(body.events) ? body.events.map(String) : ['push'];
    const conflict = hookConflict(repository, config.url, events, undefined);
    if (conflict) return this.invalid(DOCS.createHook, customError(conflict));
    const now = new Date();
    const hook: FakeHook = {
      id: this.world.newId(),
      active: body.active === undefined ? true : body.active === true,
      events,
      config,
      createdAt: now,
      updatedAt: now,
      lastResponse: { code: null, status: 'unused', message: null },
      deliveries: [],
    };
    repository.hooks.set(hook.id, hook);
    this.hooks.onHookCreated(repository, hook);
    return {
      status: 201,
      body: hookBody(repository, hook, this.hooks.urls),
      headers: { location: `${this.hooks.urls.api}/repos/${repository.fullName}/hooks/${hook.id}` },
    };
  }

  /** PATCH replaces `config` whole: a secret left out is removed, as GitHub documents. */
  private updateHook(repository: FakeRepository, hook: FakeHook, body: Record<string, unknown>): Reply {
    const config = body.config === undefined ? hook.config : parseConfig(body.config, hook.config);
    if (typeof config === 'string') return this.invalid(DOCS.updateHook, customError(config));
    let events = Array.isArray(body.events) ? body.events.map(String) : hook.events;
    if (Array.isArray(body.add_events)) events = [...new Set([...events, ...body.add_events.map(String)])];
    const removed = Array.isArray(body.remove_events) ? body.remove_events.map(String) : [];
    events = events.filter((event) => !removed.includes(event));
    const conflict = hookConflict(repository, config.url, events, hook.id);
    if (conflict) return this.invalid(DOCS.updateHook, customError(conflict));
    Object.assign(hook, {
      config,
      events,
      active: body.active === undefined ? hook.active : body.active === true,
      updatedAt: new Date(),
    });
    return { status: 200, body: hookBody(repository, hook, this.hooks.urls) };
  }

  private invalid(docs: string, error: Record<string, string>): Reply {
    return { status: 422, body: validationFailed([error], docs) };
  }
}
