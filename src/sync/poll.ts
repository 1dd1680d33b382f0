// The poll timer's question, asked without a clone: has the branch moved, or has the workspace
// drifted from what the last sync wrote? Either one queues a `poll` job (a full reconcile), unless
// a job is already queued or running: every job syncs the branch head as it is when it runs, so
// one waiting job covers any head. A push whose webhook never arrived is synced within one interval.

import type { ContainerClient } from '@azure/storage-blob';
import { lsRemoteHead } from '../git/remote.js';
import { tokenFor, validateRepositoryUrl } from '../github/repository.js';
import type { ConnectionStore } from '../jobs/connectionStore.js';
import { queueJob } from '../jobs/intake.js';
import type { JobStore } from '../jobs/jobStore.js';
import type { SyncQueue } from '../jobs/queues.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';
import type { WorkspaceStore } from '../workspace/store.js';
import { walkAll } from './listing.js';
import { readManifest, type Manifest } from './manifest.js';
import { hasChanges, planSync } from './plan.js';
import type { SyncDependencies, SyncSettings } from './runJob.js';

export interface PollDeps {
  connections: Pick<ConnectionStore, 'get'>;
  jobs: JobStore;
  syncQueue: SyncQueue;
  state: ContainerClient;
  store: WorkspaceStore;
  settings: Pick<SyncSettings, 'token' | 'hosts' | 'allowLocalRepos' | 'exclude'>;
  connectionToken?: SyncDependencies['connectionToken'];
}

export type PollResult =
  | { kind: 'not-connected' }
  | { kind: 'up-to-date'; head: string }
  | { kind: 'job-pending'; head: string; reason: PollReason; jobId: string }
  | { kind: 'queued'; head: string; reason: PollReason; jobId: string };

export type PollReason = 'head-moved' | 'drift' | 'never-synced';

/** How far back a pending job is looked for; older ones are the abandoned-job sweep's business. */
const PENDING_WINDOW_MS = 24 * 60 * 60_000;

export async function pollRepository(deps: PollDeps): Promise<PollResult> {
  const connection = await deps.connections.get();
  if (!connection?.enabled) return { kind: 'not-connected' };
  const url = validateRepositoryUrl(connection.repositoryUrl, deps.settings);
  const token = (await deps.connectionToken?.(connection)) ?? deps.settings.token;
  const auth = { token: tokenFor(url, token, deps.settings.hosts) };
  const head = await lsRemoteHead(url, connection.branch, auth);
  if (!head) return { kind: 'up-to-date', head: '' }; // a deleted branch: the workspace is kept
  const manifest = await readManifest(deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB));
  const reason = await changeReason(deps, manifest, url, connection.branch, head);
  if (!reason) return { kind: 'up-to-date', head };
  const pending = await deps.jobs.listUnfinished(new Date(Date.now() - PENDING_WINDOW_MS));
  if (pending.length > 0) return { kind: 'job-pending', head, reason, jobId: pending[0]!.job.id };
  const job = await queueJob(deps, connection, 'poll', { commitRequested: head });
  return { kind: 'queued', head, reason, jobId: job.id };
}

async function changeReason(
  deps: PollDeps,
  manifest: Manifest | undefined,
  url: string,
  branch: string,
  head: string,
): Promise<PollReason | undefined> {
  if (!manifest || manifest.repositoryUrl !== url || manifest.branch !== branch) return 'never-synced';
  if (manifest.commit !== head) return 'head-moved';
  // Drift: the manifest is the tree the workspace should hold; plan against a full listing (no
  // file is downloaded: ETags and sizes tell) and see whether anything would change.
  const tree = Object.entries(manifest.files).map(([path, { sha, mode, size }]) => ({
    path,
    sha,
    mode,
    size,
  }));
  const plan = planSync(tree, manifest, await walkAll(deps.store), { exclude: deps.settings.exclude });
  return hasChanges(plan) ? 'drift' : undefined;
}
