// The GitHub REST client the app uses to check a repository and manage its webhook, built on
// @octokit/core. One instance per token; every call times out and can be aborted. Errors are
// GitHubApiError (stable code, message without the token); see apiErrors.ts.

import { Octokit } from '@octokit/core';
import { GitHubApiError, toGitHubApiError, type GitHubErrorCode } from './apiErrors.js';
import { parseScopes, parseTokenExpiration } from './apiHeaders.js';
import { ensureHook, type EnsureHookResult } from './ensureHook.js';

export { GitHubApiError, type GitHubErrorCode } from './apiErrors.js';
export type { EnsureHookResult } from './ensureHook.js';

export const DEFAULT_GITHUB_API_URL = 'https://api.github.com';
const DEFAULT_TIMEOUT_MS = 15_000;
const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

export interface GitHubApiOptions {
  token: string;
  /** `https://api.github.com`, or `https://HOST/api/v3` for GitHub Enterprise Server. */
  baseUrl?: string;
  timeoutMs?: number;
}

export interface CallOptions {
  signal?: AbortSignal;
}

export interface RepositoryCheck {
  fullName: string;
  private: boolean;
  defaultBranch: string;
  /** `permissions.admin`: the token's user administers the repository (needed for hooks). */
  canAdminHooks: boolean;
  /** When the token expires (ISO 8601), if GitHub says. */
  tokenExpiresAt?: string;
  /** A classic token's OAuth scopes; undefined for fine-grained tokens. */
  scopes?: string[];
}

export interface HookConfig {
  url: string;
  secret: string;
}

export interface HookLastResponse {
  code: number | null;
  status: string | null;
  message: string | null;
}

export interface Hook {
  id: number;
  /** The delivery URL (`config.url`). */
  url: string;
  active: boolean;
  events: string[];
  contentType?: string;
  lastResponse: HookLastResponse;
}

export interface GitHubApi {
  checkRepository(owner: string, repo: string, options?: CallOptions): Promise<RepositoryCheck>;
  /** The first hook whose `config.url` is url, across all pages. */
  findHookByUrl(owner: string, repo: string, url: string, options?: CallOptions): Promise<Hook | undefined>;
  /** A push hook with JSON payloads, active, TLS verified. */
  createHook(owner: string, repo: string, config: HookConfig, options?: CallOptions): Promise<Hook>;
  /** Rewrites the hook to the same shape createHook makes (url and secret replaced). */
  updateHook(
    owner: string,
    repo: string,
    id: number,
    config: HookConfig,
    options?: CallOptions,
  ): Promise<Hook>;
  /** True when deleted, false when it was already gone. */
  deleteHook(owner: string, repo: string, id: number, options?: CallOptions): Promise<boolean>;
  /** The hook with its last delivery's result, or undefined when it no longer exists. */
  getHookStatus(owner: string, repo: string, id: number, options?: CallOptions): Promise<Hook | undefined>;
  /** Asks GitHub to send a `ping` delivery to the hook. */
  pingHook(owner: string, repo: string, id: number, options?: CallOptions): Promise<void>;
  /** Creates or repairs this app's hook (found by URL); `manual` when the token may not manage hooks. */
  ensureHook(
    owner: string,
    repo: string,
    url: string,
    secret: string,
    options?: CallOptions,
  ): Promise<EnsureHookResult>;
}

/** The token goes only over https, or plain http to this machine (tests and local fakes). */
function checkedBaseUrl(raw: string): string {
  const url = new URL(raw);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname))) {
    throw new GitHubApiError(
      'GITHUB_API_URL_INVALID',
      'GITHUB_API_URL must use https:// (plain http is allowed for loopback only)',
    );
  }
  return url.href.replace(/\/+$/, '');
}

function toHook(data: {
  id: number;
  active: boolean;
  events: string[];
  config: { url?: string; content_type?: string };
  last_response?: HookLastResponse | null;
}): Hook {
  return {
    id: data.id,
    url: data.config.url ?? '',
    active: data.active,
    events: data.events,
    contentType: data.config.content_type,
    lastResponse: data.last_response ?? { code: null, status: null, message: null },
  };
}

function hookBody(config: HookConfig) {
  return {
    config: { url: config.url, secret: config.secret, content_type: 'json', insecure_ssl: '0' },
    events: ['push'],
    active: true,
  };
}

/**
 * The `rel="next"` target of a Link header (RFC 8288), as GitHub pages its lists. The token goes with
 * the next request, so a link that leaves the API's origin is refused rather than followed.
 */
function nextPageUrl(link: string | undefined, baseUrl: string): string | undefined {
  const next = link?.match(/<([^<>]+)>;\s*rel="next"/)?.[1];
  if (next !== undefined && new URL(next).origin !== new URL(baseUrl).origin) {
    throw new GitHubApiError('GITHUB_ERROR', 'GitHub sent a next-page link to another host; not followed');
  }
  return next;
}

/** A hook someone already deleted on GitHub is an answer (undefined), not a failure. */
async function unlessHookGone<T>(pending: Promise<T>): Promise<T | undefined> {
  try {
    return await pending;
  } catch (error) {
    if (error instanceof GitHubApiError && error.code === 'HOOK_NOT_FOUND') return undefined;
    throw error;
  }
}

export function createGitHubApi(options: GitHubApiOptions): GitHubApi {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const baseUrl = checkedBaseUrl(options.baseUrl ?? DEFAULT_GITHUB_API_URL);
  const client = new Octokit({
    auth: options.token,
    baseUrl,
    userAgent: 'workspace-sync',
    // Octokit's default logger writes deprecation notices to the console; the app has its own telemetry.
    log: { debug: () => {}, info: () => {}, warn: () => {}, error: () => {} },
  });

  /** Runs one operation (all its pages) under one deadline, turning failures into GitHubApiError. */
  async function call<T>(
    operation: string,
    codes: { denied: GitHubErrorCode; notFound: GitHubErrorCode },
    callOptions: CallOptions | undefined,
    run: (signal: AbortSignal) => Promise<T>,
  ): Promise<T> {
    const deadline = AbortSignal.timeout(timeoutMs);
    const caller = callOptions?.signal;
    const signal = caller ? AbortSignal.any([deadline, caller]) : deadline;
    try {
      return await run(signal);
    } catch (error) {
      throw toGitHubApiError(error, {
        operation,
        ...codes,
        token: options.token,
        aborted: caller?.aborted === true,
        timedOut: deadline.aborted,
      });
    }
  }

  const onRepository = { denied: 'TOKEN_FORBIDDEN', notFound: 'REPOSITORY_NOT_FOUND' } as const;
  // A token that may not manage hooks gets 403 (fine-grained) or 404 (classic, or a user who is not admin).
  const onHooks = { denied: 'HOOKS_FORBIDDEN', notFound: 'HOOKS_FORBIDDEN' } as const;
  const onHook = { denied: 'HOOKS_FORBIDDEN', notFound: 'HOOK_NOT_FOUND' } as const;

  const api: GitHubApi = {
    checkRepository(owner, repo, callOptions) {
      return call(`GET /repos/${owner}/${repo}`, onRepository, callOptions, async (signal) => {
        const response = await client.request('GET /repos/{owner}/{repo}', {
          owner,
          repo,
          request: { signal },
        });
        return {
          fullName: response.data.full_name,
          private: response.data.private,
          defaultBranch: response.data.default_branch,
          canAdminHooks: response.data.permissions?.admin === true,
          tokenExpiresAt: parseTokenExpiration(response.headers),
          scopes: parseScopes(response.headers),
        };
      });
    },

    findHookByUrl(owner, repo, url, callOptions) {
      return call(`GET /repos/${owner}/${repo}/hooks`, onHooks, callOptions, async (signal) => {
        // Paged by hand: the paginate plugin drops the per-request signal, so a listing could not be aborted.
        const first = () =>
          client.request('GET /repos/{owner}/{repo}/hooks', {
            owner,
            repo,
            per_page: 100,
            request: { signal },
          });
        type Page = Awaited<ReturnType<typeof first>>;
        let page: Page | undefined = await first();
        while (page) {
          const found = page.data.find((hook) => hook.config.url === url);
          if (found) return toHook(found);
          const next = nextPageUrl(page.headers.link, baseUrl);
          page = next ? ((await client.request(`GET ${next}`, { request: { signal } })) as Page) : undefined;
        }
        return undefined;
      });
    },

    createHook(owner, repo, config, callOptions) {
      return call(`POST /repos/${owner}/${repo}/hooks`, onHooks, callOptions, async (signal) => {
        const response = await client.request('POST /repos/{owner}/{repo}/hooks', {
          owner,
          repo,
          name: 'web',
          ...hookBody(config),
          request: { signal },
        });
        return toHook(response.data);
      });
    },

    updateHook(owner, repo, id, config, callOptions) {
      return call(`PATCH /repos/${owner}/${repo}/hooks/${id}`, onHook, callOptions, async (signal) => {
        const response = await client.request('PATCH /repos/{owner}/{repo}/hooks/{hook_id}', {
          owner,
          repo,
          hook_id: id,
          ...hookBody(config),
          request: { signal },
        });
        return toHook(response.data);
      });
    },

    async deleteHook(owner, repo, id, callOptions) {
      const deleted = call(`DELETE /repos/${owner}/${repo}/hooks/${id}`, onHook, callOptions, (signal) =>
        client.request('DELETE /repos/{owner}/{repo}/hooks/{hook_id}', {
          owner,
          repo,
          hook_id: id,
          request: { signal },
        }),
      );
      return (await unlessHookGone(deleted.then(() => true))) ?? false;
    },

    getHookStatus(owner, repo, id, callOptions) {
      const hook = call(`GET /repos/${owner}/${repo}/hooks/${id}`, onHook, callOptions, async (signal) => {
        const response = await client.request('GET /repos/{owner}/{repo}/hooks/{hook_id}', {
          owner,
          repo,
          hook_id: id,
          request: { signal },
        });
        return toHook(response.data);
      });
      return unlessHookGone(hook);
    },

    async pingHook(owner, repo, id, callOptions) {
      await call(`POST /repos/${owner}/${repo}/hooks/${id}/pings`, onHook, callOptions, (signal) =>
        client.request('POST /repos/{owner}/{repo}/hooks/{hook_id}/pings', {
          owner,
          repo,
          hook_id: id,
          request: { signal },
        }),
      );
    },

    ensureHook(owner, repo, url, secret, callOptions) {
      return ensureHook(api, owner, repo, { url, secret }, callOptions);
    },
  };
  return api;
}
