// One delivery of a `workspace-sync` message, start to finish: the job record's life cycle,
// the workspace lease, latest-wins (the branch head now, not the message's commit), the three
// phases, the manifest, the "synced" event and the connection's LastSync* fields. The queue
// function calls this and nothing else; tests call it the same way.

import { setMaxListeners } from 'node:events';
import { statfs } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import type { ContainerClient } from '@azure/storage-blob';
import type { ConnectionStore } from '../jobs/connectionStore.js';
import type { JobPatch, JobStore } from '../jobs/jobStore.js';
import type { EventQueue, SyncQueue } from '../jobs/queues.js';
import { ABANDONED } from '../jobs/sweep.js';
import type { Connection, JobCounts, SyncJob, SyncMessage } from '../jobs/types.js';
import { tokenFor, validateRepositoryUrl } from '../github/repository.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';
import type { WorkspaceStore } from '../workspace/store.js';
import { applyPlan } from './apply.js';
import { countingStore } from './countingStore.js';
import { cloneBranch } from '../git/clone.js';
import { listChanged, walkAll } from './listing.js';
import { SyncError } from './errors.js';
import { redact, type GitAuth } from '../git/gitAuth.js';
import { tryAcquireLease, type HeldLease } from '../blobLease.js';
import { allSettled } from '../limit.js';
import { editsDrained } from '../workspace/editLock.js';
import { readManifest, writeManifest, type Manifest } from './manifest.js';
import { backUpBeforeSync, type BackupStore } from './backup.js';
import { countsOf, hasChanges, planSync } from './plan.js';
import { lsRemoteHead } from '../git/remote.js';

export interface SyncSettings {
  /** The token for the connection (sent only where tokenFor allows). */
  token?: string;
  /** GITHUB_HOSTS: where a repository may live and the token may go. */
  hosts: string[];
  allowLocalRepos: boolean;
  exclude: string[];
  concurrency: number;
  tempDir?: string;
  /** Workspace lease duration, 15–60 s (15 by default: a dead worker's sync is taken over soon). */
  leaseSeconds?: number;
  /** How long to wait for edits in flight once the lease is held (tests shorten it). */
  editDrainMs?: number;
  /** How long a message that met a held lease waits before it is tried again. */
  busyRetrySeconds?: number;
}

export type SyncLogger = (event: string, fields: Record<string, unknown>) => void;

export interface SyncDependencies {
  jobs: Pick<JobStore, 'get' | 'update'>;
  connections: Pick<ConnectionStore, 'get' | 'recordSync'>;
  syncQueue: Pick<SyncQueue, 'enqueue'>;
  events: Pick<EventQueue, 'publish'>;
  /** State container: the manifest blob, which is also the lease blob. */
  state: ContainerClient;
  store: WorkspaceStore;
  /**
   * Where files a sync would destroy that git cannot give back are copied first. Services always
   * supply it; absent only where a test of something else builds the dependencies itself.
   */
  backups?: BackupStore;
  settings: SyncSettings;
  /** The connection's own token (given at connect time) when it has one; settings.token otherwise. */
  connectionToken?(connection: Pick<Connection, 'tokenSource'>): Promise<string | undefined>;
  log?: SyncLogger;
}

export interface QueueDelivery {
  /** How many times the queue has handed this message out, this time included. */
  dequeueCount: number;
  /** host.json's maxDequeueCount: the last delivery before the poison queue. */
  maxDequeueCount: number;
}

export type MessageOutcome =
  | 'succeeded'
  | 'skipped'
  /** Another worker holds the workspace; the message was re-queued with a delay. */
  | 'busy'
  /** The job had already finished: a duplicate delivery. */
  | 'duplicate'
  | 'unknown-job'
  | 'invalid-message';

const FINISHED = new Set(['succeeded', 'failed', 'skipped']);

/** How long a sync that holds the workspace waits for edits already in flight before trying later. */
const EDIT_DRAIN_MS = 30_000;

/** The trigger hands over parsed JSON, or a string when the body did not parse as JSON. */
export function parseSyncMessage(raw: unknown): SyncMessage | undefined {
  let value = raw;
  if (typeof raw === 'string') {
    try {
      value = JSON.parse(raw);
    } catch {
      return undefined;
    }
  }
  const candidate = value as Partial<SyncMessage> | null;
  if (typeof candidate?.jobId !== 'string' || typeof candidate.trigger !== 'string') return undefined;
  return { jobId: candidate.jobId, trigger: candidate.trigger, commit: candidate.commit };
}

function jobError(error: unknown, auth: GitAuth): { code: string; message: string } {
  const code = (error as { code?: unknown }).code;
  const message = error instanceof Error ? error.message : String(error);
  return {
    code: typeof code === 'string' && /^[A-Z_]+$/.test(code) ? code : 'SYNC_FAILED',
    message: redact(message, auth),
  };
}

/**
 * Clone scratch space is the container's local disk, which is bounded: a sync that cannot fit a
 * clone says so (SCRATCH_SPACE_LOW / SCRATCH_SPACE_EXHAUSTED) instead of failing somewhere in git.
 */
export const MIN_SCRATCH_BYTES = 256 * 1024 * 1024;

function scratchFull(dir: string): SyncError {
  return new SyncError(
    'SCRATCH_SPACE_EXHAUSTED',
    `The repository does not fit in the clone scratch space (${dir}); free disk space or point SYNC_TEMP_DIR at a larger local disk`,
  );
}

function branchNotFound(branch: string): SyncError {
  return new SyncError('BRANCH_NOT_FOUND', `Branch "${branch}" does not exist in the repository`);
}

function noSpace(error: unknown): boolean {
  return /ENOSPC|No space left on device/i.test(`${(error as Error)?.message ?? error}`);
}

async function assertScratchSpace(dir: string): Promise<void> {
  const stats = await statfs(dir).catch(() => undefined);
  if (stats && stats.bavail * stats.bsize < MIN_SCRATCH_BYTES) {
    const freeMiB = Math.floor((stats.bavail * stats.bsize) / 1024 / 1024);
    throw new SyncError(
      'SCRATCH_SPACE_LOW',
      `Only ${freeMiB} MiB are free in the clone scratch space (${dir}); a clone needs at least ${MIN_SCRATCH_BYTES / 1024 / 1024} MiB`,
    );
  }
}

/** The synced state after a run: what the job and the connection record. */
export interface Result {
  status: 'succeeded' | 'skipped';
  commit: string;
  counts?: JobCounts;
  skipped?: SyncJob['skippedPaths'];
  error?: { code: string; message: string };
  /** False when there is no connection record to report to. */
  connected?: boolean;
  /** Milliseconds per phase, for the log (and the benchmark). */
  phases?: Record<string, number>;
  backupId?: string;
  /** Bytes of file content written, and store operations made (telemetry). */
  bytesWritten?: number;
  storageRequests?: number;
}

async function timed<T>(phases: Record<string, number>, name: string, step: () => Promise<T>): Promise<T> {
  const start = performance.now();
  try {
    return await step();
  } finally {
    phases[name] = Math.round(performance.now() - start);
  }
}

/** A push lists the whole store (and repairs drift anywhere) when the last full listing is older. */
export const FULL_LISTING_EVERY_MS = 15 * 60_000;

async function sync(
  job: SyncJob,
  deps: SyncDependencies,
  leaseId: string,
  signal: AbortSignal,
): Promise<Result> {
  const { settings } = deps;
  const countedStore = countingStore(deps.store);
  const { store } = countedStore;
  const manifestBlob = deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB);
  const [connection, manifest] = await Promise.all([deps.connections.get(), readManifest(manifestBlob)]);
  // A sync that an earlier attempt began finishes to a consistent tree of the repository it began
  // with, even when the repository was disconnected meanwhile: half of one tree and half of
  // another is the one state nobody wants.
  const source = connection?.enabled ? connection : job.attempt > 0 ? job : undefined;
  if (!source) {
    const error = { code: 'NOT_CONNECTED', message: 'No repository is connected; nothing to sync' };
    return { status: 'skipped', commit: connection?.lastSyncCommit ?? '', error, connected: !!connection };
  }
  // The configured repository, never anything a message or payload named.
  const url = validateRepositoryUrl(source.repositoryUrl, settings);
  const token = (await deps.connectionToken?.(source as Partial<Connection>)) ?? settings.token;
  const auth: GitAuth = { token: tokenFor(url, token, settings.hosts) };
  const { branch } = source;

  const phases: Record<string, number> = {};
  const sameSource = manifest?.repositoryUrl === url && manifest.branch === branch;
  // A push whose head is already in the workspace needs no clone: one ls-remote tells. Other
  // triggers always reconcile (that is how drift is repaired without a new commit), so they go
  // straight to the clone, which fetches the head as it is now.
  if (job.trigger === 'push') {
    const head = await timed(phases, 'lsRemoteMs', () => lsRemoteHead(url, branch, auth));
    if (!head) throw branchNotFound(branch);
    if (sameSource && manifest.commit === head) return { status: 'skipped', commit: head, phases };
  }

  // A push trusts the manifest outside the folders it changes (its cost follows the change),
  // unless the whole store has not been listed for FULL_LISTING_EVERY_MS; manual and connect
  // syncs always list everything. That bounds how long drift anywhere can outlive a push.
  const lastFull = manifest?.fullListingAt ? Date.parse(manifest.fullListingAt) : 0;
  const incremental =
    job.trigger === 'push' && sameSource && !!manifest && Date.now() - lastFull < FULL_LISTING_EVERY_MS;
  const listedAt = new Date().toISOString();

  await assertScratchSpace(settings.tempDir ?? tmpdir());
  // Listing everything needs nothing from the clone, so it runs while git fetches. Settled
  // before the clone's failure is reported, so no request outlives the job.
  const fullListing = incremental ? undefined : timed(phases, 'listMs', () => walkAll(store));
  fullListing?.catch(() => undefined);
  const checkout = await timed(phases, 'cloneMs', () =>
    cloneBranch(url, branch, auth, { tempDir: settings.tempDir, signal }).catch(async (error: unknown) => {
      await fullListing?.catch(() => undefined);
      if (noSpace(error)) throw scratchFull(settings.tempDir ?? tmpdir());
      // git's own words for a single-branch clone of a branch that is not there
      const message = String((error as Error)?.message);
      if (/Remote branch .* not found/i.test(message)) throw branchNotFound(branch);
      // Before anything was fetched: the same answer ls-remote would have given.
      if (
        /Authentication failed|unable to access|Repository not found|repository '.*' not found|returned error: 40[134]/i.test(
          message,
        )
      ) {
        throw new SyncError(
          'REPOSITORY_UNREACHABLE',
          (error as Error).message.replace(/^git clone failed/, 'git fetch failed'),
        );
      }
      throw error;
    }),
  );
  let removal: Promise<void> | undefined;
  try {
    const listing = incremental
      ? await timed(phases, 'listMs', () => listChanged(store, checkout.tree, manifest, settings.exclude))
      : await fullListing!;
    const plan = planSync(checkout.tree, sameSource ? manifest : undefined, listing, {
      exclude: settings.exclude,
    });
    // Before anything is touched: a copy of every file at risk the previous sync did not write.
    // The first attempt's backup holds the workspace as people left it, so the job keeps that id.
    const { backups } = deps;
    const backup =
      backups &&
      (await timed(phases, 'backupMs', () =>
        backUpBeforeSync({
          plan,
          manifest,
          listing,
          store,
          backups,
          reason: job.trigger,
          jobId: job.id,
          concurrency: settings.concurrency,
          signal,
          onPruneError: (error) =>
            deps.log?.('sync.backupPruneFailed', { jobId: job.id, error: String(error) }),
        }),
      ));
    const backupId = job.backupId ?? backup?.id;
    if (backup) {
      await deps.jobs.update(job.id, { backupId });
      deps.log?.('sync.backedUp', {
        jobId: job.id,
        backupId: backup.id,
        files: backup.files,
        bytes: backup.bytes,
      });
    }
    const written = await timed(phases, 'applyMs', () =>
      applyPlan(plan, store, { concurrency: settings.concurrency, source: checkout.content, signal }),
    );
    // Every blob has been read: the clone's folder goes while the manifest is written.
    removal = checkout.remove();
    removal.catch(() => undefined); // awaited in finally
    const counts = countsOf(plan); // before the manifest takes plan.unchanged over
    const next: Manifest = {
      version: 1,
      repositoryUrl: url,
      branch,
      commit: checkout.commit,
      fullListingAt: incremental ? manifest?.fullListingAt : listedAt,
      // In place: a copy of 100,000 unchanged entries would cost megabytes for nothing.
      files: Object.assign(plan.unchanged, written),
    };
    signal.throwIfAborted();
    // The files are written: the event is true whatever happens to the manifest, so both go at once.
    const { added, updated, deleted } = counts;
    await allSettled([
      writeManifest(manifestBlob, next, leaseId),
      hasChanges(plan) &&
        deps.events.publish({
          type: 'synced',
          jobId: job.id,
          commit: checkout.commit,
          added,
          updated,
          deleted,
          by: job.requestedBy,
        }),
    ]);
    const bytesWritten = plan.writes.reduce((sum, write) => sum + write.size, 0);
    return {
      status: 'succeeded',
      commit: checkout.commit,
      counts,
      skipped: plan.skipped,
      phases,
      backupId,
      bytesWritten,
      storageRequests: countedStore.count(),
    };
  } finally {
    await (removal ?? checkout.remove());
  }
}

/**
 * The workspace lease, once no edit is in flight (editLock.ts has the other half of the handshake:
 * an edit that starts now sees the lease and is refused). Undefined when another sync holds it or
 * edits are still running after EDIT_DRAIN_MS.
 */
async function acquireWorkspace(deps: SyncDependencies): Promise<HeldLease | undefined> {
  const lease = await tryAcquireLease(deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB), {
    durationSeconds: deps.settings.leaseSeconds,
  });
  if (!lease) return undefined;
  try {
    if (await editsDrained(deps.state, deps.settings.editDrainMs ?? EDIT_DRAIN_MS, lease.signal))
      return lease;
  } catch (error) {
    await lease.release();
    throw error;
  }
  await lease.release();
  return undefined;
}

/** What runs inside the job's lease and bookkeeping: `sync` in this file. */
export type SyncStep = (
  job: SyncJob,
  deps: SyncDependencies,
  leaseId: string,
  signal: AbortSignal,
) => Promise<Result>;

/**
 * Handles one delivery of a sync message. Throws when the sync failed, so the host retries it
 * (or, on the last delivery, after the job is marked failed, moves it to the poison queue).
 * `step` is the sync itself; bench/sync runs the original notes' algorithm there, so that both
 * algorithms are timed inside the same job bookkeeping.
 */
export async function runSyncMessage(
  raw: unknown,
  deps: SyncDependencies,
  delivery: QueueDelivery,
  step: SyncStep = sync,
): Promise<MessageOutcome> {
  const log = deps.log ?? (() => undefined);
  const message = parseSyncMessage(raw);
  if (!message) {
    // Retrying cannot fix a malformed message; say so once and let it go.
    log('sync.invalidMessage', { message: typeof raw === 'string' ? raw.slice(0, 200) : typeof raw });
    return 'invalid-message';
  }
  const job = await deps.jobs.get(message.jobId);
  if (!job) {
    log('sync.unknownJob', { jobId: message.jobId });
    return 'unknown-job';
  }
  // A job the sweep marked ABANDONED whose message came back after all still runs.
  if (FINISHED.has(job.status) && job.error?.code !== ABANDONED) {
    log('sync.duplicate', { jobId: job.id, status: job.status });
    return 'duplicate';
  }

  const { settings } = deps;
  const lease = await acquireWorkspace(deps);
  if (!lease) {
    // Not a failure: don't spend a dequeue attempt, come back when the other sync (or the edits
    // in flight) are done. Short, so a dead worker's expired lease is taken over soon.
    const delaySeconds = settings.busyRetrySeconds ?? 3;
    await deps.syncQueue.enqueue(message, { delaySeconds });
    log('sync.busy', { jobId: job.id, retryInSeconds: delaySeconds });
    return 'busy';
  }

  // Every in-flight storage request listens to the lease's signal.
  setMaxListeners(settings.concurrency * 4 + 16, lease.signal);
  const started = new Date();
  const attempt = job.attempt + 1;
  const finish = async (
    status: SyncJob['status'],
    fields: JobPatch,
    { connected = true, phases, bytesWritten, storageRequests }: Partial<Result> = {},
  ) => {
    const cost = { bytesWritten, storageRequests };
    const finished = new Date();
    const durationMs = finished.getTime() - started.getTime();
    // The job row and the connection's LastSync* fields are independent: written side by side.
    await allSettled([
      deps.jobs.update(job.id, { ...fields, status, finishedAt: finished.toISOString(), durationMs }),
      connected &&
        deps.connections.recordSync({
          lastSyncCommit: fields.commitSynced,
          lastSyncTime: finished.toISOString(),
          lastSyncDurationMs: durationMs,
          lastSyncStatus: status,
          lastSyncError: fields.error?.message,
        }),
    ]);
    const { skippedPaths: _listedOnTheJob, ...logged } = fields;
    log(`sync.${status}`, {
      jobId: job.id,
      trigger: job.trigger,
      attempt,
      durationMs,
      ...logged,
      ...cost,
      phases,
    });
  };

  let result: Result;
  try {
    log('sync.started', { jobId: job.id, attempt, trigger: job.trigger });
    // The job shows `running` while the sync starts, not before it: both settle before anything
    // else is recorded, so a later status never lands first.
    [, result] = await allSettled([
      deps.jobs.update(job.id, { status: 'running', startedAt: started.toISOString(), attempt }),
      step(job, deps, lease.leaseId, lease.signal),
    ]);
  } catch (thrown) {
    const error = jobError(lease.signal.aborted ? lease.signal.reason : thrown, { token: settings.token });
    if (delivery.dequeueCount >= delivery.maxDequeueCount) {
      // The host moves the message to the poison queue after this; the job must not look alive.
      await finish('failed', { error });
    } else {
      await deps.jobs.update(job.id, { status: 'queued', error });
      log('sync.retrying', { jobId: job.id, attempt, error });
    }
    throw new Error(`${error.code}: ${error.message}`); // the host retries, then poisons
  } finally {
    await lease.release();
  }
  // Outside the try: the workspace is done; if recording fails, a redelivery finds it synced.
  await finish(
    result.status,
    {
      commitSynced: result.commit || undefined,
      counts: result.counts,
      skippedPaths: result.skipped,
      skippedTotal: result.skipped?.length,
      error: result.error ?? null,
      backupId: result.backupId,
    },
    result,
  );
  return result.status;
}
