// Connecting twice must leave one hook: find this app's hook by its delivery URL and rewrite it,
// create it only when there is none. A token that may not manage hooks is an answer ("manual"),
// not a failure: the connection still works with a hook made by hand.

import { GitHubApiError } from './apiErrors.js';
import type { CallOptions, GitHubApi, HookConfig } from './api.js';

export type EnsureHookResult = { status: 'active'; id: number } | { status: 'manual'; reason: string };

/** GitHub's 422 when a hook with the same URL and overlapping events exists (a concurrent connect). */
function alreadyExists(error: unknown): boolean {
  return (
    error instanceof GitHubApiError &&
    error.code === 'GITHUB_VALIDATION_FAILED' &&
    error.details.some((detail) => /already exists/i.test(detail))
  );
}

async function createOrAdopt(
  api: GitHubApi,
  owner: string,
  repo: string,
  config: HookConfig,
  options?: CallOptions,
): Promise<number> {
  try {
    return (await api.createHook(owner, repo, config, options)).id;
  } catch (error) {
    const raced = alreadyExists(error)
      ? await api.findHookByUrl(owner, repo, config.url, options)
      : undefined;
    if (!raced) throw error;
    return (await api.updateHook(owner, repo, raced.id, config, options)).id;
  }
}

export async function ensureHook(
  api: GitHubApi,
  owner: string,
  repo: string,
  config: HookConfig,
  options?: CallOptions,
): Promise<EnsureHookResult> {
  try {
    const existing = await api.findHookByUrl(owner, repo, config.url, options);
    if (existing) {
      try {
        return { status: 'active', id: (await api.updateHook(owner, repo, existing.id, config, options)).id };
      } catch (error) {
        // Deleted between the listing and the update: make it again.
        if (!(error instanceof GitHubApiError && error.code === 'HOOK_NOT_FOUND')) throw error;
      }
    }
    return { status: 'active', id: await createOrAdopt(api, owner, repo, config, options) };
  } catch (error) {
    if (error instanceof GitHubApiError && error.code === 'HOOKS_FORBIDDEN') {
      return { status: 'manual', reason: error.message };
    }
    throw error;
  }
}
