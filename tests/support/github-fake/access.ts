// Who may do what, as GitHub decides it:
// - classic tokens by OAuth scope: `repo` covers private repositories and their hooks;
//   `admin:repo_hook` read/write/ping/delete, `write:repo_hook` read/write/ping, `read:repo_hook` read/ping
//   (https://docs.github.com/apps/oauth-apps/building-oauth-apps/scopes-for-oauth-apps#available-scopes);
// - fine-grained tokens by repository selection and permission: Metadata read for the repository,
//   Webhooks read or write for hooks (x-accepted-github-permissions names what was missing);
// - either way the user must administer the repository to touch its hooks.
// GitHub hides what a caller may not see behind 404 Not Found rather than 403
// (https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api#404-not-found-for-an-existing-resource);
// a fine-grained token that lacks a permission gets 403 "Resource not accessible by personal access token".

import type { FakeRepository, FakeTokenConfig } from './state.js';

export type Action = 'repository' | 'hooks:read' | 'hooks:write' | 'hooks:delete' | 'hooks:ping';

export type Decision =
  | { allowed: true }
  | { allowed: false; answer: 'not-found' }
  | { allowed: false; answer: 'forbidden'; acceptedPermissions: string };

const SCOPES_FOR: Record<Exclude<Action, 'repository'>, string[]> = {
  'hooks:read': ['admin:repo_hook', 'write:repo_hook', 'read:repo_hook'],
  'hooks:ping': ['admin:repo_hook', 'write:repo_hook', 'read:repo_hook'],
  'hooks:write': ['admin:repo_hook', 'write:repo_hook'],
  'hooks:delete': ['admin:repo_hook'],
};

/** The `x-accepted-oauth-scopes` GitHub sends for an action. */
export function acceptedScopes(action: Action): string {
  return action === 'repository' ? 'repo' : ['repo', ...SCOPES_FOR[action]].sort().join(', ');
}

/** The `x-accepted-github-permissions` GitHub sends for an action. */
export function acceptedPermissions(action: Action): string {
  if (action === 'repository') return 'metadata=read';
  return action === 'hooks:write' || action === 'hooks:delete' ? 'webhooks=write' : 'webhooks=read';
}

const NOT_FOUND: Decision = { allowed: false, answer: 'not-found' };
const ALLOWED: Decision = { allowed: true };

function sees(token: FakeTokenConfig | undefined, repository: FakeRepository): boolean {
  if (!token) return !repository.private;
  const selected =
    token.repositories === undefined ||
    token.repositories.some((name) => name.toLowerCase() === repository.fullName.toLowerCase());
  if (!selected) return false;
  if (token.scopes === undefined || !repository.private) return true;
  return token.scopes.includes('repo');
}

export function decide(
  token: FakeTokenConfig | undefined,
  repository: FakeRepository,
  action: Action,
): Decision {
  if (!sees(token, repository)) return NOT_FOUND;
  if (action === 'repository') return ALLOWED;
  if (!token || token.admin === false) return NOT_FOUND;
  if (token.scopes !== undefined) {
    const fullAccess =
      token.scopes.includes('repo') || (token.scopes.includes('public_repo') && !repository.private);
    return fullAccess || SCOPES_FOR[action].some((scope) => token.scopes!.includes(scope))
      ? ALLOWED
      : NOT_FOUND;
  }
  const granted = token.webhooks ?? 'write';
  const needsWrite = action === 'hooks:write' || action === 'hooks:delete';
  if (granted === 'write' || (granted === 'read' && !needsWrite)) return ALLOWED;
  return { allowed: false, answer: 'forbidden', acceptedPermissions: acceptedPermissions(action) };
}
