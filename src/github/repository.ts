// Repository URLs a connection may name, and the "full name" a push is matched against.

import { AppError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Where repositories may live: GITHUB_HOSTS, plus local ones when SYNC_ALLOW_LOCAL_REPOS is on. */
export interface RepositoryPolicy {
  /** Host names (optionally host:port), lower case. An entry without a port matches any port. */
  hosts: readonly string[];
  allowLocalRepos: boolean;
}

/** Whether url's host is on the list (`github.com` matches `github.com:443`; `h:8080` only that port). */
export function hostAllowed(url: URL, hosts: readonly string[]): boolean {
  const host = url.host.toLowerCase();
  const hostname = url.hostname.toLowerCase();
  return hosts.some((entry) => entry === host || entry === hostname);
}

/** file:// or plain http to this machine: development and tests only. */
function isLocal(url: URL): boolean {
  return url.protocol === 'file:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
}

/**
 * Checks a repository URL against policy before anything is sent to it: https to a listed host, or
 * (SYNC_ALLOW_LOCAL_REPOS) file:// and loopback http. Any other host is refused without a request,
 * so a caller can neither harvest the token nor use the app to probe addresses (HOST_NOT_ALLOWED).
 */
export function validateRepositoryUrl(raw: unknown, policy: RepositoryPolicy): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new AppError('INVALID_REPOSITORY_URL', 'repositoryUrl must be a non-empty string');
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AppError('INVALID_REPOSITORY_URL', 'repositoryUrl is not an absolute URL');
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and process lists; the token is given separately.
    throw new AppError(
      'INVALID_REPOSITORY_URL',
      'repositoryUrl must not contain credentials; give the token separately',
    );
  }
  if (url.search || url.hash) {
    throw new AppError('INVALID_REPOSITORY_URL', 'repositoryUrl must not have a query or fragment');
  }
  const local = isLocal(url);
  if (local && !policy.allowLocalRepos && !hostAllowed(url, policy.hosts)) {
    throw new AppError(
      'HOST_NOT_ALLOWED',
      'Local repositories are disabled (set SYNC_ALLOW_LOCAL_REPOS=true for development)',
    );
  }
  if (!local) {
    if (url.protocol !== 'https:') {
      throw new AppError('INVALID_REPOSITORY_URL', 'repositoryUrl must use https://');
    }
    if (!hostAllowed(url, policy.hosts)) {
      // The host is not echoed back beyond what the caller sent; no request has been made.
      throw new AppError(
        'HOST_NOT_ALLOWED',
        `Repositories may live only on ${policy.hosts.join(', ') || 'no host'} (GITHUB_HOSTS)`,
      );
    }
  }
  if (fullName(url.href) === undefined) {
    throw new AppError('INVALID_REPOSITORY_URL', 'repositoryUrl must end in <owner>/<repository>');
  }
  return url.href;
}

/**
 * The token for a repository, or undefined when it must not go there: only hosts on GITHUB_HOSTS
 * get it, over https, or plain http on loopback when the loopback host itself is listed (tests).
 */
export function tokenFor(repositoryUrl: string, token: string | undefined, hosts: readonly string[]) {
  if (!token) return undefined;
  let url: URL;
  try {
    url = new URL(repositoryUrl);
  } catch {
    return undefined;
  }
  const transportOk =
    url.protocol === 'https:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  return transportOk && hostAllowed(url, hosts) ? token : undefined;
}

/** `https://github.com/org/repo.git` → `org/repo`: the last two path segments without `.git`. */
export function fullName(repositoryUrl: string): string | undefined {
  let path: string;
  try {
    path = decodeURIComponent(new URL(repositoryUrl).pathname);
  } catch {
    return undefined;
  }
  const segments = path.split('/').filter(Boolean);
  if (segments.length < 2) return undefined;
  const owner = segments[segments.length - 2]!;
  const repo = segments[segments.length - 1]!.replace(/\.git$/i, '');
  return repo ? `${owner}/${repo}` : undefined;
}

export function sameRepository(repositoryUrl: string, payloadFullName: unknown): boolean {
  const name = fullName(repositoryUrl);
  return (
    typeof payloadFullName === 'string' &&
    name !== undefined &&
    name.toLowerCase() === payloadFullName.toLowerCase()
  );
}

/** Branch names git accepts (git check-ref-format, simplified and strict). */
export function validateBranch(raw: unknown): string {
  if (
    typeof raw !== 'string' ||
    raw === '' ||
    raw.length > 255 ||
    // eslint-disable-next-line no-control-regex
    /[\u0000-\u0020\u007f~^:?*[\\]|\.\.|@\{|^[-/.]|\/\.|\/$|\.lock$|\.$|\/\//.test(raw)
  ) {
    throw new AppError('INVALID_BRANCH', 'branch is not a valid git branch name');
  }
  return raw;
}
