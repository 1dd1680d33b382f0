// Turning triggers into queued jobs: a push (deduplicated), a connect, a manual sync.
// Only storage work happens here — no git — so a webhook answers well inside GitHub's 10 s.

import { sameRepository } from '../github/repository.js';
import type { PushEvent } from '../github/events.js';
import type { ConnectionStore } from './connectionStore.js';
import type { Dedupe, Marker } from './dedupe.js';
import { isJobId, jobIdTime, newJobId, type JobStore } from './jobStore.js';
import type { SyncQueue } from './queues.js';
import type { ActorRef, Connection, JobTrigger, SyncJob } from './types.js';
import { httpStatusOf } from '../azureStorage.js';

export interface IntakeDeps {
  jobs: JobStore;
  connections: ConnectionStore;
  dedupe: Dedupe;
  syncQueue: SyncQueue;
}

export type PushOutcome =
  | { kind: 'queued'; jobId: string }
  | { kind: 'duplicate'; jobId: string }
  | { kind: 'ignored'; reason: string };

/** Creates the job record, then the message; the record exists before any worker can see the message. */
export async function queueJob(
  deps: Pick<IntakeDeps, 'jobs' | 'syncQueue'>,
  connection: Pick<Connection, 'repositoryUrl' | 'branch'>,
  trigger: JobTrigger,
  extra: { id?: string; commitRequested?: string; deliveryId?: string; requestedBy?: ActorRef } = {},
): Promise<SyncJob> {
  const job = await deps.jobs.create({
    ...extra,
    trigger,
    repositoryUrl: connection.repositoryUrl,
    branch: connection.branch,
  });
  await enqueue(deps, job);
  return job;
}

/** Queues the job's message; a job whose message could not be queued is marked failed, not left queued for good. */
async function enqueue(
  deps: Pick<IntakeDeps, 'jobs' | 'syncQueue'>,
  job: Pick<SyncJob, 'id' | 'trigger' | 'commitRequested'>,
): Promise<void> {
  try {
    await deps.syncQueue.enqueue({ jobId: job.id, trigger: job.trigger, commit: job.commitRequested });
  } catch (error) {
    const failed = { code: 'QUEUE_UNAVAILABLE', message: 'The job could not be queued' };
    await deps.jobs.update(job.id, { status: 'failed', error: failed }).catch(() => undefined);
    throw error;
  }
}

/**
 * A job still `queued` and never started this long after it was queued lost its message (the
 * intake died between writing the job and queueing it); a redelivery may replace it. A job that
 * is merely waiting for another sync's lease and gets replaced costs one skipped run.
 */
export const ORPHANED_AFTER_MS = 10 * 60_000;

/**
 * A marker's holder with no job row yet may be an intake between its two writes: after taking a
 * marker over, it writes the job. Taking the marker from it then would queue a second job for one
 * push, so a missing job counts as gone only once its id (which carries its birth time) is older
 * than any intake takes; an intake that died half-way frees its markers after this.
 */
export const INTAKE_IN_FLIGHT_MS = 60_000;

function isOrphaned(job: SyncJob, now = Date.now()): boolean {
  return job.status === 'queued' && job.attempt === 0 && now - Date.parse(job.queuedAt) > ORPHANED_AFTER_MS;
}

/**
 * Accepts one verified push delivery. Two markers are claimed with insert-if-absent: the
 * delivery id (GitHub retries and redeliveries: a duplicate for as long as its job exists) and
 * the pushed commit on the connected repository and branch (a duplicate only while its job is
 * still queued, so a later force-push back to an older commit is synced again). A marker whose
 * job never came to be (the intake died half-way) is taken over. Concurrent identical
 * deliveries make exactly one job.
 */
/**
 * How stale the webhook's view of the connection may be. Safe because every job syncs the
 * connection as it is when the job runs: a push queued just after a disconnect ends skipped,
 * and a connect queues its own full sync of the branch head, so a push ignored just after a
 * connect loses nothing.
 */
export const WEBHOOK_CONNECTION_MAX_AGE_MS = 5_000;

export async function acceptPush(
  deps: IntakeDeps,
  push: PushEvent,
  deliveryId: string | undefined,
): Promise<PushOutcome> {
  const connection = await deps.connections.getRecent(WEBHOOK_CONNECTION_MAX_AGE_MS);
  const ignored = ignoreReason(connection, push);
  if (ignored) return { kind: 'ignored', reason: ignored };

  const holderStands = (stands: (job: SyncJob) => boolean) => async (holderId: string) => {
    const job = await deps.jobs.get(holderId);
    if (!job) return isJobId(holderId) && Date.now() - jobIdTime(holderId) < INTAKE_IN_FLIGHT_MS;
    return !isOrphaned(job) && stands(job);
  };
  const exists = holderStands(() => true);
  const stillQueued = holderStands((job) => job.status === 'queued');
  const markers: Marker[] = [
    ...(deliveryId ? [{ kind: 'delivery' as const, key: deliveryId, holderIsCurrent: exists }] : []),
    {
      kind: 'commit',
      key: `${push.repositoryFullName.toLowerCase()}#${push.branch}#${push.after}`,
      holderIsCurrent: stillQueued,
    },
  ];
  const job = {
    id: newJobId(),
    trigger: 'push' as const,
    repositoryUrl: connection!.repositoryUrl,
    branch: connection!.branch,
    commitRequested: push.after,
    deliveryId,
    requestedBy: push.sender ? { id: `github:${push.sender}`, name: push.sender } : undefined,
  };
  try {
    // The common case: the job and its markers in one transaction (all or nothing).
    await deps.jobs.create(job, deps.dedupe.claimActions(markers, job.id));
  } catch (error) {
    if (httpStatusOf(error) !== 409) throw error;
    // A marker exists: settle them one by one (stale ones are taken over), then write the job.
    const holder = await deps.dedupe.claimOneByOne(markers, job.id);
    if (holder) return { kind: 'duplicate', jobId: holder };
    await deps.jobs.create(job).catch(async (createError: unknown) => {
      await deps.dedupe.releaseAll(markers);
      throw createError;
    });
  }
  try {
    await enqueue(deps, job);
  } catch (error) {
    // Nothing was queued: free the markers, so a redelivery is not taken for a duplicate.
    await deps.dedupe.releaseAll(markers);
    throw error;
  }
  return { kind: 'queued', jobId: job.id };
}

function ignoreReason(connection: Connection | undefined, push: PushEvent) {
  if (!connection?.enabled) return 'no repository is connected';
  if (!sameRepository(connection.repositoryUrl, push.repositoryFullName))
    return 'push is for another repository';
  if (push.branch !== connection.branch)
    return `push is for branch "${push.branch}", not "${connection.branch}"`;
  return undefined;
}
