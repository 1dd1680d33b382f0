// Facts GitHub reports about a token in response headers rather than in bodies.

type Headers = Record<string, string | number | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const value = headers[name];
  return value === undefined ? undefined : String(value);
}

/**
 * `github-authentication-token-expiration: 2026-12-01 10:00:00 UTC` (fine-grained tokens and classic
 * tokens with an expiry; absent for tokens that never expire) → ISO 8601. A numeric offset such as
 * `+0000` instead of `UTC` is accepted too. Anything else is ignored rather than guessed at.
 */
export function parseTokenExpiration(headers: Headers): string | undefined {
  const raw = header(headers, 'github-authentication-token-expiration');
  const match = raw?.trim().match(/^(\d{4}-\d{2}-\d{2}) (\d{2}:\d{2}:\d{2}) (UTC|[+-]\d{2}:?\d{2})$/);
  if (!match) return undefined;
  const zone = match[3] === 'UTC' ? 'Z' : match[3]!.replace(/^([+-]\d{2}):?(\d{2})$/, '$1:$2');
  const time = new Date(`${match[1]}T${match[2]}${zone}`);
  return Number.isNaN(time.getTime()) ? undefined : time.toISOString();
}

/** `x-oauth-scopes: repo, admin:repo_hook` (classic tokens only; fine-grained tokens send none). */
export function parseScopes(headers: Headers): string[] | undefined {
  const raw = header(headers, 'x-oauth-scopes');
  if (raw === undefined) return undefined;
  return raw
    .split(',')
    .map((scope) => scope.trim())
    .filter(Boolean);
}

/** When a rate-limited token may call again: `x-ratelimit-reset` (epoch seconds) or `retry-after` (seconds). */
export function rateLimitResetAt(headers: Headers, now = Date.now()): string | undefined {
  const reset = Number(header(headers, 'x-ratelimit-reset'));
  if (header(headers, 'x-ratelimit-remaining') === '0' && Number.isFinite(reset) && reset > 0) {
    return new Date(reset * 1000).toISOString();
  }
  const retryAfter = Number(header(headers, 'retry-after'));
  return Number.isFinite(retryAfter) && retryAfter >= 0
    ? new Date(now + retryAfter * 1000).toISOString()
    : undefined;
}
