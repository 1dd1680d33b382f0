// Issue 11 §3 and issue 10 item 7: the poll timer's work. A push whose webhook never came is
// found by ls-remote; drift is found from a listing; one pending job is enough; jobs left
// `running` by a dead worker, or `queued` for ever, are swept to failed ABANDONED and still run
// if their message comes back; day-old dedupe markers go. Real Azurite, real git, local store.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isLeased, tryAcquireLease } from '../../src/blobLease.js';
import { Dedupe } from '../../src/jobs/dedupe.js';
import { sweepAbandonedJobs, type SweepTimes } from '../../src/jobs/sweep.js';
import { WORKSPACE_LEASE_BLOB } from '../../src/storage-names.js';
import { pollRepository, type PollDeps } from '../../src/sync/poll.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';
import { storageClients } from './syncDeps.js';

let h: SyncHarness;
let poll: PollDeps;

const TIMES: SweepTimes = { leaseMs: 15_000, retryDelayMs: 30_000, functionTimeoutMs: 30 * 60_000 };

beforeAll(async () => {
  h = await createSyncHarness();
  poll = { ...h.deps, syncQueue: h.deps.syncQueue as PollDeps['syncQueue'] } as PollDeps;
  // The first sync, so the workspace is at the head.
  await h.enqueue('connect', await h.repo.head());
  expect(await h.deliver()).toEqual(['succeeded']);
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.syncQueue.clearMessages();
});

const sweep = (now?: number) =>
  sweepAbandonedJobs(
    {
      jobs: h.deps.jobs,
      workspaceLeased: () => isLeased(h.deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB)),
    },
    TIMES,
    now,
  );

/** Settles every unfinished job, so each test starts with none pending. */
async function settlePending() {
  for (const { job } of await h.deps.jobs.listUnfinished(new Date(0))) {
    await h.deps.jobs.update(job.id, { status: 'skipped' });
  }
}

describe('poll', () => {
  beforeEach(settlePending);

  it('finds nothing to do when the workspace is at the head', async () => {
    expect(await pollRepository(poll)).toMatchObject({ kind: 'up-to-date', head: await h.repo.head() });
    expect(await h.deliver()).toEqual([]);
  });

  it('syncs a push whose webhook never arrived', async () => {
    await h.repo.write('missed/push.txt', 'never delivered\n');
    const commit = await h.repo.commitAndPush('a push GitHub failed to deliver');
    const result = await pollRepository(poll);
    expect(result).toMatchObject({ kind: 'queued', reason: 'head-moved', head: commit });
    expect(await h.deliver()).toEqual(['succeeded']);
    const jobId = (result as { jobId: string }).jobId;
    expect(await h.job(jobId)).toMatchObject({ trigger: 'poll', status: 'succeeded', commitSynced: commit });
    await h.expectStoreEquals(commit, []);
  });

  it('repairs drift found from the listing alone', async () => {
    const head = await h.repo.head();
    await h.store.write('drift.txt', Buffer.from('added outside sync\n'));
    expect(await pollRepository(poll)).toMatchObject({ kind: 'queued', reason: 'drift', head });
    expect(await h.deliver()).toEqual(['succeeded']);
    await h.expectStoreEquals(head, []);
  });

  it('queues nothing while a job is already pending', async () => {
    const pending = await h.enqueue('manual');
    await h.repo.write('pending.txt', 'x\n');
    await h.repo.commitAndPush('moved while a job waits');
    expect(await pollRepository(poll)).toMatchObject({ kind: 'job-pending', jobId: pending });
    expect(await h.deliver()).toEqual(['succeeded']); // the one pending job syncs the new head
    expect(await pollRepository(poll)).toMatchObject({ kind: 'up-to-date' });
  });

  it('does nothing when disconnected', async () => {
    await h.deps.connections.disconnect();
    try {
      expect(await pollRepository(poll)).toEqual({ kind: 'not-connected' });
    } finally {
      await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
    }
  });
});

describe('abandoned-job sweep', () => {
  beforeEach(settlePending);

  it('fails a running job with no live lease once the lease and a retry delay have passed', async () => {
    const jobId = await h.createJob('push', await h.repo.head());
    const startedAt = new Date(Date.now() - 60_000).toISOString();
    await h.deps.jobs.update(jobId, { status: 'running', startedAt, attempt: 1 });
    expect(await sweep(Date.now() - 30_000)).toEqual([]); // 30 s after start: a retry may still come
    expect(await sweep()).toEqual([jobId]);
    expect(await h.job(jobId)).toMatchObject({ status: 'failed', error: { code: 'ABANDONED' } });
  });

  it('leaves jobs alone while a sync holds the workspace', async () => {
    const jobId = await h.createJob('push', await h.repo.head());
    await h.deps.jobs.update(jobId, { status: 'running', startedAt: new Date(0).toISOString(), attempt: 1 });
    const lease = await tryAcquireLease(h.deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB));
    try {
      expect(await sweep()).toEqual([]);
    } finally {
      await lease!.release();
    }
    expect(await h.job(jobId)).toMatchObject({ status: 'running' });
  });

  it('fails a job queued longer than a whole sync could have kept it waiting', async () => {
    const jobId = await h.createJob('push', await h.repo.head());
    expect(await sweep(Date.now() + TIMES.functionTimeoutMs)).toEqual([]);
    expect(await sweep(Date.now() + TIMES.functionTimeoutMs + TIMES.retryDelayMs + 1000)).toEqual([jobId]);
    expect(await h.job(jobId)).toMatchObject({ status: 'failed', error: { code: 'ABANDONED' } });
  });

  it('still runs an abandoned job whose message comes back', async () => {
    await h.repo.write('revived.txt', 'late message\n');
    const commit = await h.repo.commitAndPush('revived');
    const jobId = await h.enqueue('push', commit);
    expect(await sweep(Date.now() + TIMES.functionTimeoutMs + TIMES.retryDelayMs + 1000)).toEqual([jobId]);
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(jobId);
    expect(job).toMatchObject({ status: 'succeeded', commitSynced: commit });
    expect(job.error).toBeUndefined();
  });

  it('never overwrites an outcome recorded after the listing', async () => {
    const jobId = await h.createJob('push', await h.repo.head());
    const [listed] = (await h.deps.jobs.listUnfinished(new Date(0))).filter((j) => j.job.id === jobId);
    await h.deps.jobs.update(jobId, { status: 'succeeded' });
    expect(await h.deps.jobs.failIfUnchanged(jobId, listed!.etag, { code: 'ABANDONED', message: 'x' })).toBe(
      false,
    );
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded' });
  });
});

describe('dedupe marker sweep', () => {
  it('deletes markers written before the cut-off and nothing else', async () => {
    const table = storageClients(h.spec).jobsTable;
    const dedupe = new Dedupe(table);
    const jobId = await h.createJob('push', await h.repo.head());
    const markers = [
      { kind: 'delivery' as const, key: 'old-delivery' },
      { kind: 'commit' as const, key: 'a'.repeat(40) },
    ];
    expect(await dedupe.claimOneByOne(markers, jobId)).toBeUndefined();
    expect(await dedupe.sweep(new Date(Date.now() - 60_000))).toBe(0);
    expect(await dedupe.sweep(new Date(Date.now() + 60_000))).toBe(2);
    expect(await h.job(jobId)).toMatchObject({ id: jobId }); // jobs are not markers
  });
});
