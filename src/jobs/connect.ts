// Connecting a repository: check it answers (with the token) before storing anything, then
// make the workspace follow it and queue the first full sync.

import { AppError } from '../errors.js';
import {
  fullName,
  tokenFor,
  validateBranch,
  validateRepositoryUrl,
  type RepositoryPolicy,
} from '../github/repository.js';
import { lsRemoteHead } from '../git/remote.js';
import type { GitAuth } from '../git/gitAuth.js';
import { queueJob, type IntakeDeps } from './intake.js';
import type { Connection, SyncJob } from './types.js';

export interface ConnectOptions extends RepositoryPolicy {
  /** The token to check the repository with; it goes only where tokenFor allows. */
  token?: string;
}

export async function connectRepository(
  deps: Pick<IntakeDeps, 'connections' | 'jobs' | 'syncQueue'>,
  body: Record<string, unknown>,
  options: ConnectOptions,
): Promise<{ connection: Connection; job: SyncJob }> {
  const repositoryUrl = validateRepositoryUrl(body.repositoryUrl, options);
  const branch = validateBranch(body.branch ?? 'main');
  const auth: GitAuth = { token: tokenFor(repositoryUrl, options.token, options.hosts) };
  let head: string | undefined;
  try {
    head = await lsRemoteHead(repositoryUrl, branch, auth);
  } catch (error) {
    throw new AppError(422, 'REPOSITORY_UNREACHABLE', (error as Error).message);
  }
  if (!head) {
    throw new AppError(
      422,
      'BRANCH_NOT_FOUND',
      `Branch "${branch}" does not exist in ${fullName(repositoryUrl)}`,
    );
  }
  const connection = await deps.connections.connect(repositoryUrl, branch);
  const job = await queueJob(deps, connection, 'connect', { commitRequested: head });
  return { connection, job };
}

/** Queues a full reconcile of the connected branch; 409 when nothing is connected. */
export async function requestSync(
  deps: Pick<IntakeDeps, 'connections' | 'jobs' | 'syncQueue'>,
): Promise<SyncJob> {
  const connection = await deps.connections.get();
  if (!connection?.enabled) {
    throw new AppError(409, 'NOT_CONNECTED', 'No repository is connected; PUT /api/github/connection first');
  }
  return queueJob(deps, connection, 'manual');
}
