// Repository URLs a connection may name, and the "full name" a push is matched against.

import { AppError } from '../errors.js';

const LOOPBACK_HOSTS = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks a repository URL against policy: https, or file:// and loopback http when local repos are allowed. */
export function validateRepositoryUrl(raw: unknown, allowLocalRepos: boolean): string {
  if (typeof raw !== 'string' || raw.trim() === '') {
    throw new AppError(400, 'INVALID_REPOSITORY_URL', 'repositoryUrl must be a non-empty string');
  }
  let url: URL;
  try {
    url = new URL(raw.trim());
  } catch {
    throw new AppError(400, 'INVALID_REPOSITORY_URL', 'repositoryUrl is not an absolute URL');
  }
  if (url.username || url.password) {
    // Credentials in a URL end up in logs and process lists; the token setting is the way.
    throw new AppError(
      400,
      'INVALID_REPOSITORY_URL',
      'repositoryUrl must not contain credentials; use GITHUB_TOKEN',
    );
  }
  if (url.search || url.hash) {
    throw new AppError(400, 'INVALID_REPOSITORY_URL', 'repositoryUrl must not have a query or fragment');
  }
  const local = url.protocol === 'file:' || (url.protocol === 'http:' && LOOPBACK_HOSTS.has(url.hostname));
  if (url.protocol === 'https:' || (local && allowLocalRepos)) {
    if (fullName(url.href) === undefined) {
      throw new AppError(400, 'INVALID_REPOSITORY_URL', 'repositoryUrl must end in <owner>/<repository>');
    }
    return url.href;
  }
  throw new AppError(
    400,
    'INVALID_REPOSITORY_URL',
    local
      ? 'Local repositories are disabled (set SYNC_ALLOW_LOCAL_REPOS=true for development)'
      : 'repositoryUrl must use https://',
  );
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
    throw new AppError(400, 'INVALID_BRANCH', 'branch is not a valid git branch name');
  }
  return raw;
}
