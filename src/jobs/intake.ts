// Turning triggers into queued jobs: a push (deduplicated), a connect, a manual sync.
// Only storage work happens here — no git — so a webhook answers well inside GitHub's 10 s.

import { sameRepository } from '../github/repository.js';
import type { Delivery } from '../github/events.js';
import type { ConnectionStore } from './connectionStore.js';
import type { Dedupe } from './dedupe.js';
import { newJobId, type JobStore } from './jobStore.js';
import type { SyncQueue } from './queues.js';
import type { Connection, JobTrigger, SyncJob } from './types.js';

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
  extra: { id?: string; commitRequested?: string; deliveryId?: string } = {},
): Promise<SyncJob> {
  const job = await deps.jobs.create({
    ...extra,
    trigger,
    repositoryUrl: connection.repositoryUrl,
    branch: connection.branch,
  });
  await deps.syncQueue.enqueue({ jobId: job.id, trigger, commit: extra.commitRequested });
  return job;
}

/**
 * Accepts one verified push delivery. Two markers are claimed with insert-if-absent: the
 * delivery id (GitHub retries and redeliveries: a duplicate forever) and the pushed commit on
 * the connected repository and branch (a duplicate only while its job is still queued, so a
 * later force-push back to an older commit is synced again). Concurrent identical deliveries
 * make exactly one job.
 */
export async function acceptPush(
  deps: IntakeDeps,
  push: Extract<Delivery, { kind: 'push' }>,
  deliveryId: string | undefined,
): Promise<PushOutcome> {
  const connection = await deps.connections.get();
  if (!connection?.enabled) return { kind: 'ignored', reason: 'no repository is connected' };
  if (!sameRepository(connection.repositoryUrl, push.repositoryFullName)) {
    return { kind: 'ignored', reason: 'push is for another repository' };
  }
  if (push.branch !== connection.branch) {
    return { kind: 'ignored', reason: `push is for branch "${push.branch}", not "${connection.branch}"` };
  }

  const jobId = newJobId();
  const claims: { kind: 'delivery' | 'commit'; key: string }[] = [];
  try {
    if (deliveryId) {
      const holder = await deps.dedupe.claim('delivery', deliveryId, jobId);
      if (holder) return { kind: 'duplicate', jobId: holder };
      claims.push({ kind: 'delivery', key: deliveryId });
    }
    const pushKey = `${connection.repositoryUrl}#${connection.branch}#${push.after}`;
    const stillQueued = async (holderId: string) => (await deps.jobs.get(holderId))?.status === 'queued';
    const holder = await deps.dedupe.claim('commit', pushKey, jobId, stillQueued);
    if (holder) {
      // This delivery id must not point at a job that will never exist.
      await releaseAll(deps.dedupe, claims);
      return { kind: 'duplicate', jobId: holder };
    }
    claims.push({ kind: 'commit', key: pushKey });

    await queueJob(deps, connection, 'push', { id: jobId, commitRequested: push.after, deliveryId });
    return { kind: 'queued', jobId };
  } catch (error) {
    // Nothing was queued: give the markers back so a redelivery is not taken for a duplicate.
    await releaseAll(deps.dedupe, claims);
    throw error;
  }
}

function releaseAll(
  dedupe: Dedupe,
  claims: { kind: 'delivery' | 'commit'; key: string }[],
): Promise<unknown> {
  return Promise.all(claims.map((claim) => dedupe.release(claim.kind, claim.key)));
}
