// The GitHub fake's in-memory world: repositories, their hooks and deliveries, and the tokens that
// may call it. What a token may do follows GitHub's documented permission model (access.ts).

export interface FakeTokenConfig {
  /**
   * Classic token scopes (sent back in `x-oauth-scopes`). Leave undefined for a fine-grained token,
   * for which GitHub sends no scopes header.
   */
  scopes?: string[];
  /** Fine-grained "Webhooks" repository permission (default write). Ignored for classic tokens. */
  webhooks?: 'none' | 'read' | 'write';
  /** Whether the token's user administers the repositories (`permissions.admin`); default true. */
  admin?: boolean;
  /** Repositories the token can see (`owner/name`); default all. */
  repositories?: string[];
  /** Sent as `github-authentication-token-expiration`; omitted for tokens without expiry. */
  expiresAt?: Date;
  /** Every call answers 401 Bad credentials (revoked or expired). */
  revoked?: boolean;
  /** Every call answers 403 with `x-ratelimit-remaining: 0`. */
  rateLimited?: boolean;
  /** The user behind the token (sender.login in deliveries); default `octocat`. */
  login?: string;
}

export interface FakeHookConfig {
  url: string;
  content_type: 'json' | 'form';
  insecure_ssl: '0' | '1';
  secret?: string;
}

export interface LastResponse {
  code: number | null;
  status: string;
  message: string | null;
}

export interface DeliveryRecord {
  id: number;
  guid: string;
  event: string;
  deliveredAt: Date;
  /** Seconds, as GitHub reports it. */
  duration: number;
  /** 0 when no HTTP answer came back. */
  statusCode: number;
  status: string;
  requestHeaders: Record<string, string>;
  /** The exact bytes posted (what the signatures cover). */
  requestBody: Buffer;
  payload: Record<string, unknown>;
  responseBody: string;
}

export interface FakeHook {
  id: number;
  active: boolean;
  events: string[];
  config: FakeHookConfig;
  createdAt: Date;
  updatedAt: Date;
  lastResponse: LastResponse;
  /** Oldest first. */
  deliveries: DeliveryRecord[];
}

export interface FakeRepository {
  id: number;
  owner: string;
  name: string;
  fullName: string;
  private: boolean;
  defaultBranch: string;
  /** Where git clones it from (the tests' git server); shown as clone_url. */
  cloneUrl?: string;
  createdAt: Date;
  pushedAt: Date;
  hooks: Map<number, FakeHook>;
}

export interface RateLimitCounter {
  limit: number;
  used: number;
  /** Epoch seconds. */
  reset: number;
}

/** The 5xx answers GitHub's OpenAPI description documents: `internal_error` and `service_unavailable`. */
export type OutageStatus = 500 | 503;

export class FakeWorld {
  readonly repositories = new Map<string, FakeRepository>();
  readonly tokens = new Map<string, FakeTokenConfig & { rate: RateLimitCounter }>();
  /** While set, GitHub is failing: every API call answers this status, whoever asks. */
  outage: OutageStatus | undefined;
  private nextId = 1000;

  newId(): number {
    return this.nextId++;
  }

  addRepository(
    fullName: string,
    options: { private?: boolean; defaultBranch?: string; cloneUrl?: string } = {},
  ): FakeRepository {
    const [owner, name] = fullName.split('/');
    if (!owner || !name) throw new Error(`repository name must be owner/name, got ${fullName}`);
    const now = new Date();
    const repository: FakeRepository = {
      id: this.newId(),
      owner,
      name,
      fullName,
      private: options.private ?? true,
      defaultBranch: options.defaultBranch ?? 'main',
      cloneUrl: options.cloneUrl,
      createdAt: now,
      pushedAt: now,
      hooks: new Map(),
    };
    this.repositories.set(fullName.toLowerCase(), repository);
    return repository;
  }

  repository(fullName: string): FakeRepository | undefined {
    return this.repositories.get(fullName.toLowerCase());
  }

  addToken(token: string, config: FakeTokenConfig = {}): void {
    const rate = { limit: 5000, used: 0, reset: Math.floor(Date.now() / 1000) + 3600 };
    this.tokens.set(token, { ...config, rate });
  }
}
