// Connecting a repository ("Connect with GitHub"): check the repository with the token before
// storing anything, keep the token and a generated webhook secret in the secret store, create or
// repair the repository's webhook, make the workspace follow the branch and queue the first full
// sync (which backs up whatever it would destroy). Disconnecting and rotating the webhook secret
// live here too, so the whole life of a connection reads in one file.

import { AppError } from '../errors.js';
import { GitHubApiError, type GitHubApi } from '../github/api.js';
import {
  fullName,
  hostAllowed,
  tokenFor,
  validateBranch,
  validateRepositoryUrl,
  type RepositoryPolicy,
} from '../github/repository.js';
import { lsRemoteHead } from '../git/remote.js';
import type { ConnectionSecrets } from './connectionSecrets.js';
import { queueJob, type IntakeDeps } from './intake.js';
import type { ActorRef, Connection, ConnectionWebhook, SyncJob } from './types.js';

export interface ConnectDeps extends Pick<IntakeDeps, 'connections' | 'jobs' | 'syncQueue'> {
  secrets: ConnectionSecrets;
  /** A GitHub REST client for a token (GITHUB_API_URL). */
  github(token: string): GitHubApi;
  /** Resolves once no workspace edit is in flight (bounded); a connect waits for them. */
  waitForEdits?(): Promise<void>;
}

export interface ConnectSettings extends RepositoryPolicy {
  /** GITHUB_TOKEN: used when the request gives none. */
  defaultToken?: string;
  /** Where GitHub delivers to: `${publicBaseUrl}/api/github/webhook`; undefined = not known. */
  publicBaseUrl?: string;
  /** GITHUB_API_URL. */
  apiUrl: string;
}

export interface ConnectResult {
  connection: Connection;
  job: SyncJob;
}

const WEBHOOK_PATH = '/api/github/webhook';
const MAX_TOKEN_LENGTH = 1024;

function readToken(raw: unknown): string | undefined {
  if (raw === undefined || raw === null || raw === '') return undefined;
  if (typeof raw !== 'string' || raw.length > MAX_TOKEN_LENGTH || !/^[\x21-\x7e]+$/.test(raw)) {
    throw new AppError('INVALID_TOKEN', 'token must be a GitHub token (printable characters, no spaces)');
  }
  return raw;
}

/** GitHub's answer about a token or repository, as an error that stores nothing. */
function checkFailure(error: unknown): AppError {
  if (!(error instanceof GitHubApiError)) throw error;
  const retry = error.code === 'GITHUB_RATE_LIMITED' ? { retryAfterSeconds: 60 } : {};
  return new AppError(error.code, error.message, retry);
}

function ownerAndRepo(repositoryUrl: string): [string, string] {
  const [owner, repo] = fullName(repositoryUrl)!.split('/') as [string, string];
  return [owner, repo];
}

/**
 * A repository GITHUB_API_URL speaks for: on a GITHUB_HOSTS host, and the API on that host name or
 * on `api.` + it (github.com → api.github.com; GHES serves /api/v3 on its own host). The token is
 * never sent to an API that does not host the repository.
 */
function onGitHub(repositoryUrl: string, settings: ConnectSettings): boolean {
  const url = new URL(repositoryUrl);
  if (url.protocol === 'file:' || !hostAllowed(url, settings.hosts)) return false;
  const apiHost = new URL(settings.apiUrl).hostname.toLowerCase();
  const host = url.hostname.toLowerCase();
  return apiHost === host || apiHost === `api.${host}`;
}

function manualInstructions(why: string, hookUrl: string | undefined): string {
  const where = hookUrl ?? 'https://<this app>/api/github/webhook';
  return (
    `${why} Create the webhook by hand in the repository's settings: payload URL ${where}, ` +
    'content type application/json, just the push event, and the secret set in GITHUB_WEBHOOK_SECRET.'
  );
}

async function setUpWebhook(
  api: GitHubApi | undefined,
  repositoryUrl: string,
  deps: ConnectDeps,
  settings: ConnectSettings,
): Promise<ConnectionWebhook> {
  const url = settings.publicBaseUrl && `${settings.publicBaseUrl}${WEBHOOK_PATH}`;
  if (!url) {
    return {
      status: 'manual',
      instructions: manualInstructions('No public URL is known (set PUBLIC_BASE_URL).', undefined),
    };
  }
  if (!api) {
    return {
      status: 'manual',
      url,
      instructions: manualInstructions('No token can manage webhooks here.', url),
    };
  }
  const [owner, repo] = ownerAndRepo(repositoryUrl);
  try {
    const result = await api.ensureHook(owner, repo, url, await deps.secrets.webhookSecretForHook());
    if (result.status === 'active') return { status: 'active', id: result.id, url };
    return { status: 'manual', url, instructions: manualInstructions(`${result.reason}.`, url) };
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error;
    return {
      status: 'manual',
      url,
      instructions: manualInstructions(`GitHub refused the webhook (${error.message}).`, url),
    };
  }
}

export async function connectRepository(
  deps: ConnectDeps,
  body: Record<string, unknown>,
  settings: ConnectSettings,
  by: ActorRef,
): Promise<ConnectResult> {
  const repositoryUrl = validateRepositoryUrl(body.repositoryUrl, settings);
  const branch = validateBranch(body.branch ?? 'main');
  const given = readToken(body.token);
  const token = tokenFor(repositoryUrl, given ?? settings.defaultToken, settings.hosts);
  if (given && !token) {
    throw new AppError(
      'HOST_NOT_ALLOWED',
      'A token is only sent to hosts listed in GITHUB_HOSTS, over https',
    );
  }

  // 1. Check everything before storing anything.
  const api = token && onGitHub(repositoryUrl, settings) ? deps.github(token) : undefined;
  let tokenExpiresAt: string | undefined;
  if (api) {
    const [owner, repo] = ownerAndRepo(repositoryUrl);
    const check = await api.checkRepository(owner, repo).catch((error: unknown) => {
      throw checkFailure(error);
    });
    tokenExpiresAt = check.tokenExpiresAt;
  }
  let head: string | undefined;
  try {
    head = await lsRemoteHead(repositoryUrl, branch, { token });
  } catch (error) {
    throw new AppError('REPOSITORY_UNREACHABLE', (error as Error).message);
  }
  if (!head) {
    throw new AppError('BRANCH_NOT_FOUND', `Branch "${branch}" does not exist in ${fullName(repositoryUrl)}`);
  }

  // 2. Keep the secrets, set up the webhook, record the connection, queue the first sync.
  if (given) await deps.secrets.setToken(given);
  const webhook = await setUpWebhook(api, repositoryUrl, deps, settings);
  const connection = await deps.connections.connect(repositoryUrl, branch, {
    by,
    tokenSource: given ? 'connection' : token ? 'setting' : undefined,
    tokenExpiresAt,
    webhook,
  });
  // Edits that began before the connect finish first (the sync would wait for them anyway).
  await deps.waitForEdits?.();
  const job = await queueJob(deps, connection, 'connect', { commitRequested: head, requestedBy: by });
  return { connection, job };
}

/** The token the connection syncs with: the one given at connect time, else GITHUB_TOKEN. */
export async function connectionToken(
  connection: Pick<Connection, 'tokenSource'> | undefined,
  secrets: ConnectionSecrets,
  defaultToken: string | undefined,
): Promise<string | undefined> {
  if (connection?.tokenSource === 'connection') return (await secrets.token()) ?? defaultToken;
  return defaultToken;
}

/** The connection's token where it may go (tokenFor): what the app's GitHub calls for it use. */
export async function apiToken(
  connection: Pick<Connection, 'repositoryUrl' | 'tokenSource'>,
  secrets: ConnectionSecrets,
  settings: Pick<ConnectSettings, 'defaultToken' | 'hosts'>,
): Promise<string | undefined> {
  return tokenFor(
    connection.repositoryUrl,
    await connectionToken(connection, secrets, settings.defaultToken),
    settings.hosts,
  );
}

export interface DisconnectResult {
  connection: Connection;
  /** Whether the app's hook was removed on GitHub (false: none, or GitHub refused; see `webhookError`). */
  webhookRemoved: boolean;
  webhookError?: string;
}

/** Removes the app's webhook (a hook already gone is fine) and the stored secrets; files stay. */
export async function disconnectRepository(
  deps: ConnectDeps,
  settings: ConnectSettings,
  by: ActorRef,
): Promise<DisconnectResult> {
  const existing = await deps.connections.get();
  if (!existing?.enabled) throw new AppError('NOT_CONNECTED', 'No repository is connected');
  let webhookRemoved = false;
  let webhookError: string | undefined;
  const hookId = existing.webhook?.status !== 'manual' ? existing.webhook?.id : undefined;
  const token = await apiToken(existing, deps.secrets, settings);
  if (hookId !== undefined && token) {
    const [owner, repo] = ownerAndRepo(existing.repositoryUrl);
    try {
      await deps.github(token).deleteHook(owner, repo, hookId);
      webhookRemoved = true;
    } catch (error) {
      if (!(error instanceof GitHubApiError)) throw error;
      webhookError = error.message;
    }
  }
  await deps.secrets.deleteAll();
  const connection = (await deps.connections.disconnect(by))!;
  return { connection, webhookRemoved, webhookError };
}

/** A new webhook secret on the app's hook; the old one keeps verifying for 10 minutes. */
export async function rotateWebhookSecret(
  deps: ConnectDeps,
  settings: ConnectSettings,
  by: ActorRef,
): Promise<{ previousValidUntil: string }> {
  const connection = await deps.connections.get();
  if (!connection?.enabled) throw new AppError('NOT_CONNECTED', 'No repository is connected');
  const hook = connection.webhook;
  if (hook?.status === 'manual' || hook?.id === undefined || !hook.url) {
    throw new AppError(
      'WEBHOOK_NOT_MANAGED',
      'The webhook was made by hand; change its secret on GitHub and in GITHUB_WEBHOOK_SECRET',
    );
  }
  const token = await apiToken(connection, deps.secrets, settings);
  if (!token) throw new AppError('NO_TOKEN', 'No token is available to update the webhook');
  const [owner, repo] = ownerAndRepo(connection.repositoryUrl);
  const { secret, commit } = await deps.secrets.prepareRotation();
  // GitHub first: until the store has the new secret, deliveries signed with it fail and are
  // redelivered; the other order would fail deliveries signed with the old one for good.
  await deps
    .github(token)
    .updateHook(owner, repo, hook.id, { url: hook.url, secret })
    .catch((error: unknown) => {
      throw checkFailure(error);
    });
  const previousValidUntil = await commit();
  await deps.connections.update({ updatedBy: by });
  return { previousValidUntil };
}

/** Queues a full reconcile of the connected branch; NOT_CONNECTED when nothing is connected. */
export async function requestSync(
  deps: Pick<IntakeDeps, 'connections' | 'jobs' | 'syncQueue'>,
  by: ActorRef,
): Promise<SyncJob> {
  const connection = await deps.connections.get();
  if (!connection?.enabled) {
    throw new AppError('NOT_CONNECTED', 'No repository is connected; PUT /api/github/connection first');
  }
  return queueJob(deps, connection, 'manual', { requestedBy: by });
}
