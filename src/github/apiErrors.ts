// What can go wrong when the app talks to the GitHub REST API, as stable codes. This is the one place
// that reads GitHub's HTTP statuses; callers see codes and messages that never contain the token.

import { RequestError } from '@octokit/request-error';
import { rateLimitResetAt } from './apiHeaders.js';

export type GitHubErrorCode =
  | 'TOKEN_INVALID'
  | 'TOKEN_FORBIDDEN'
  | 'REPOSITORY_NOT_FOUND'
  | 'HOOKS_FORBIDDEN'
  | 'HOOK_NOT_FOUND'
  | 'GITHUB_VALIDATION_FAILED'
  | 'GITHUB_RATE_LIMITED'
  | 'GITHUB_TIMEOUT'
  | 'GITHUB_ABORTED'
  | 'GITHUB_UNREACHABLE'
  | 'GITHUB_API_URL_INVALID'
  | 'GITHUB_ERROR';

export class GitHubApiError extends Error {
  constructor(
    readonly code: GitHubErrorCode,
    message: string,
    /** For GITHUB_RATE_LIMITED: when GitHub lets the token call again (ISO 8601). */
    readonly resetAt?: string,
    /** For GITHUB_VALIDATION_FAILED: the `errors[].message` GitHub listed. */
    readonly details: string[] = [],
  ) {
    super(message);
    this.name = 'GitHubApiError';
  }
}

/** What a 403 or 404 means depends on what was asked: a repository, the hooks, or one hook. */
export interface RequestContext {
  /** e.g. `GET /repos/acme/site/hooks`, quoted in messages. */
  operation: string;
  denied: GitHubErrorCode;
  notFound: GitHubErrorCode;
  token: string;
  timedOut: boolean;
  aborted: boolean;
}

interface GitHubErrorBody {
  message?: unknown;
  errors?: unknown;
}

function githubMessage(error: RequestError): string {
  const body = error.response?.data as GitHubErrorBody | undefined;
  return typeof body?.message === 'string' ? body.message : `HTTP ${error.status}`;
}

/** `errors` as GitHub sends them on 422: objects with a `message` or a `code`, or plain strings. */
function validationDetails(error: RequestError): string[] {
  const errors = (error.response?.data as GitHubErrorBody | undefined)?.errors;
  if (!Array.isArray(errors)) return [];
  return errors.map((item) => {
    if (typeof item === 'string') return item;
    const entry = item as Record<string, unknown>;
    return String(entry.message ?? [entry.resource, entry.field, entry.code].filter(Boolean).join(' '));
  });
}

function isRateLimited(error: RequestError): boolean {
  const headers = error.response?.headers ?? {};
  // Primary limit: remaining 0 on a 403 or 429. Secondary limit: a retry-after header.
  // https://docs.github.com/rest/using-the-rest-api/troubleshooting-the-rest-api#rate-limit-errors
  return (
    (error.status === 403 || error.status === 429) &&
    (headers['x-ratelimit-remaining'] === '0' || headers['retry-after'] !== undefined)
  );
}

/** GitHub's text could in principle echo what it was sent; the token must never leave in a message. */
export function redact(text: string, token: string): string {
  return token ? text.split(token).join('[REDACTED]') : text;
}

function classify(error: unknown, context: RequestContext): GitHubApiError {
  if (error instanceof GitHubApiError) return error;
  const { operation } = context;
  if (context.aborted) return new GitHubApiError('GITHUB_ABORTED', `${operation} was aborted`);
  if (context.timedOut) return new GitHubApiError('GITHUB_TIMEOUT', `${operation} timed out`);
  if (!(error instanceof RequestError) || !error.response) {
    const reason = error instanceof Error ? error.message : String(error);
    return new GitHubApiError('GITHUB_UNREACHABLE', `${operation} failed: ${reason}`);
  }
  const said = githubMessage(error);
  if (isRateLimited(error)) {
    const resetAt = rateLimitResetAt(error.response.headers);
    return new GitHubApiError(
      'GITHUB_RATE_LIMITED',
      `GitHub rate limit reached for this token (${said}); retry after ${resetAt ?? 'a while'}`,
      resetAt,
    );
  }
  switch (error.status) {
    case 401:
      return new GitHubApiError('TOKEN_INVALID', `GitHub rejected the token: ${said}`);
    case 403:
      return new GitHubApiError(context.denied, `${operation}: GitHub refused the token: ${said}`);
    case 404:
      return new GitHubApiError(context.notFound, `${operation}: ${said}`);
    case 422: {
      const details = validationDetails(error);
      const suffix = details.length ? ` (${details.join('; ')})` : '';
      return new GitHubApiError(
        'GITHUB_VALIDATION_FAILED',
        `${operation}: ${said}${suffix}`,
        undefined,
        details,
      );
    }
    default:
      return new GitHubApiError('GITHUB_ERROR', `${operation}: GitHub answered ${error.status}: ${said}`);
  }
}

export function toGitHubApiError(error: unknown, context: RequestContext): GitHubApiError {
  const mapped = classify(error, context);
  return new GitHubApiError(
    mapped.code,
    redact(mapped.message, context.token),
    mapped.resetAt,
    mapped.details.map((detail) => redact(detail, context.token)),
  );
}
