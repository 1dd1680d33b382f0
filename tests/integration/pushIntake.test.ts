// Push intake and its dedupe markers (src/jobs/intake.ts, src/jobs/dedupe.ts) as domain calls,
// against Azurite's Table and Queue services: which pushes make a job, which are duplicates or
// ignored, what the job and its message carry, and that a failure leaves no marker that would
// turn a redelivery away. The HTTP face of the same rules is tests/integration/webhook.test.ts.

import { randomBytes, randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { PushEvent } from '../../src/github/events.js';
import { Dedupe, type Marker } from '../../src/jobs/dedupe.js';
import {
  acceptPush,
  ORPHANED_AFTER_MS,
  queueJob,
  WEBHOOK_CONNECTION_MAX_AGE_MS,
  type IntakeDeps,
} from '../../src/jobs/intake.js';
import { JOB_PARTITION, JobStore, MARKER_PREFIX } from '../../src/jobs/jobStore.js';
import { SyncQueue } from '../../src/jobs/queues.js';
import type { Connection, SyncMessage } from '../../src/jobs/types.js';

const REPO_URL = 'https://github.com/Acme/Site.git';

let table: TableClient;
let queue: QueueClient;
let jobs: JobStore;
let dedupe: Dedupe;
let connection: Partial<Connection> | undefined;
let askedMaxAge: number | undefined;
let deps: IntakeDeps;

beforeEach(async () => {
  const connectionString = inject('azuriteConnectionString');
  const name = `intake${randomBytes(6).toString('hex')}`;
  table = TableClient.fromConnectionString(connectionString, name, { allowInsecureConnection: true });
  await table.createTable();
  queue = new QueueClient(connectionString, name);
  await queue.create();
  jobs = new JobStore(table);
  dedupe = new Dedupe(table);
  connection = { enabled: true, repositoryUrl: REPO_URL, branch: 'main' };
  askedMaxAge = undefined;
  deps = {
    jobs,
    dedupe,
    syncQueue: new SyncQueue(queue),
    // The connection record is read through this one call; its store has tests of its own.
    connections: {
      getRecent: async (maxAgeMs: number) => {
        askedMaxAge = maxAgeMs;
        return connection as Connection | undefined;
      },
    } as unknown as IntakeDeps['connections'],
  };
});

const sha = () => randomBytes(20).toString('hex');

function push(overrides: Partial<PushEvent> = {}): PushEvent {
  return { kind: 'push', branch: 'main', after: sha(), repositoryFullName: 'acme/site', ...overrides };
}

async function messages(): Promise<SyncMessage[]> {
  const { receivedMessageItems } = await queue.receiveMessages({ numberOfMessages: 32 });
  return receivedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
}

async function rows(): Promise<{ jobs: string[]; markers: Record<string, string> }> {
  const found = { jobs: [] as string[], markers: {} as Record<string, string> };
  for await (const row of table.listEntities<{ jobId?: string }>()) {
    expect(row.partitionKey).toBe(JOB_PARTITION);
    if (row.rowKey!.startsWith(MARKER_PREFIX)) found.markers[row.rowKey!] = row.jobId!;
    else found.jobs.push(row.rowKey!);
  }
  return found;
}

const queuedId = (outcome: Awaited<ReturnType<typeof acceptPush>>) => {
  expect(outcome.kind).toBe('queued');
  return (outcome as { jobId: string }).jobId;
};

describe('acceptPush: which pushes are ignored', () => {
  const connected = { enabled: true, repositoryUrl: REPO_URL, branch: 'main' };
  it.each<[string, Partial<Connection> | undefined, Partial<PushEvent>, string]>([
    ['nothing connected', undefined, {}, 'no repository is connected'],
    ['a disabled connection', { ...connected, enabled: false }, {}, 'no repository is connected'],
    ['another repository', connected, { repositoryFullName: 'acme/other' }, 'push is for another repository'],
    ['another branch', connected, { branch: 'dev' }, 'push is for branch "dev", not "main"'],
  ])('%s', async (_name, conn, overrides, reason) => {
    connection = conn;
    expect(await acceptPush(deps, push(overrides), randomUUID())).toEqual({ kind: 'ignored', reason });
    expect(await rows()).toEqual({ jobs: [], markers: {} });
    expect(await messages()).toEqual([]);
  });

  it('reads the connection no staler than WEBHOOK_CONNECTION_MAX_AGE_MS (5 s)', async () => {
    await acceptPush(deps, push(), undefined);
    expect(askedMaxAge).toBe(WEBHOOK_CONNECTION_MAX_AGE_MS);
    expect(WEBHOOK_CONNECTION_MAX_AGE_MS).toBe(5_000);
  });
});

describe('acceptPush: a new push', () => {
  it('writes one job, its two markers and one message, the job naming what was pushed and by whom', async () => {
    const event = push({ sender: 'octocat', repositoryFullName: 'ACME/Site' });
    const delivery = randomUUID();
    const jobId = queuedId(await acceptPush(deps, event, delivery));
    expect(await jobs.get(jobId)).toMatchObject({
      id: jobId,
      trigger: 'push',
      status: 'queued',
      attempt: 0,
      repositoryUrl: REPO_URL,
      branch: 'main',
      commitRequested: event.after,
      deliveryId: delivery,
      requestedBy: { id: 'github:octocat', name: 'octocat' },
    });
    const found = await rows();
    expect(found.jobs).toEqual([jobId]);
    expect(Object.values(found.markers)).toEqual([jobId, jobId]);
    expect(
      Object.keys(found.markers)
        .map((key) => key.split('-')[0])
        .sort(),
    ).toEqual([`${MARKER_PREFIX}commit`, `${MARKER_PREFIX}delivery`]);
    expect(await messages()).toEqual([{ jobId, trigger: 'push', commit: event.after }]);
  });

  it('without a delivery id claims only the commit marker, and names no sender it was not given', async () => {
    const jobId = queuedId(await acceptPush(deps, push(), undefined));
    const job = await jobs.get(jobId);
    expect(job?.requestedBy).toBeUndefined();
    expect(job?.deliveryId).toBeUndefined();
    expect(Object.keys((await rows()).markers)).toEqual([expect.stringMatching(/commit-/)]);
  });
});

describe('acceptPush: duplicates', () => {
  it('a redelivery (same delivery id) is the same job, as long as that job exists', async () => {
    const event = push();
    const delivery = randomUUID();
    const jobId = queuedId(await acceptPush(deps, event, delivery));
    await jobs.update(jobId, { status: 'succeeded' });
    expect(await acceptPush(deps, event, delivery)).toEqual({ kind: 'duplicate', jobId });
    expect((await rows()).jobs).toEqual([jobId]);
    expect(await messages()).toHaveLength(1);
  });

  it('the same commit under a new delivery id is a duplicate while its job is still queued', async () => {
    const event = push();
    const jobId = queuedId(await acceptPush(deps, event, randomUUID()));
    expect(await acceptPush(deps, { ...event, repositoryFullName: 'Acme/SITE' }, randomUUID())).toEqual({
      kind: 'duplicate',
      jobId,
    });
    // The loser holds no marker: only the first job's two remain.
    expect(Object.values((await rows()).markers)).toEqual([jobId, jobId]);
  });

  it.each(['running', 'succeeded', 'failed'] as const)(
    'the same commit pushed again after its job is %s makes a new job (a force-push back)',
    async (status) => {
      const event = push();
      const first = queuedId(await acceptPush(deps, event, randomUUID()));
      await jobs.update(first, { status });
      const second = queuedId(await acceptPush(deps, event, randomUUID()));
      expect(second).not.toBe(first);
      const found = await rows();
      expect(found.jobs.sort()).toEqual([first, second].sort());
      // The commit marker was taken over; each delivery marker names its own job.
      expect(Object.values(found.markers).filter((id) => id === second)).toHaveLength(2);
      expect(Object.values(found.markers).filter((id) => id === first)).toHaveLength(1);
    },
  );

  it('a job queued and never started for longer than ORPHANED_AFTER_MS is replaced', async () => {
    const event = push();
    const delivery = randomUUID();
    const first = queuedId(await acceptPush(deps, event, delivery));
    await jobs.update(first, { queuedAt: new Date(Date.now() - ORPHANED_AFTER_MS - 5_000).toISOString() });
    const second = queuedId(await acceptPush(deps, event, delivery));
    expect(second).not.toBe(first);
    expect(ORPHANED_AFTER_MS).toBe(10 * 60_000);
  });

  it('a job queued less than ORPHANED_AFTER_MS ago, or already tried once, is not replaced', async () => {
    const event = push();
    const delivery = randomUUID();
    const first = queuedId(await acceptPush(deps, event, delivery));
    await jobs.update(first, { queuedAt: new Date(Date.now() - ORPHANED_AFTER_MS + 60_000).toISOString() });
    expect(await acceptPush(deps, event, delivery)).toEqual({ kind: 'duplicate', jobId: first });
    await jobs.update(first, {
      attempt: 1,
      queuedAt: new Date(Date.now() - ORPHANED_AFTER_MS - 60_000).toISOString(),
    });
    expect(await acceptPush(deps, event, delivery)).toEqual({ kind: 'duplicate', jobId: first });
  });
});

describe('acceptPush: failures leave nothing that turns a redelivery away', () => {
  it('a message that cannot be queued fails the push, marks the job failed and frees the markers', async () => {
    const event = push();
    const delivery = randomUUID();
    const broken: IntakeDeps = {
      ...deps,
      syncQueue: new SyncQueue(
        new QueueClient(inject('azuriteConnectionString'), `missing${randomBytes(4).toString('hex')}`),
      ),
    };
    await expect(acceptPush(broken, event, delivery)).rejects.toMatchObject({ statusCode: 404 });
    const found = await rows();
    expect(found.markers).toEqual({});
    expect(await jobs.get(found.jobs[0]!)).toMatchObject({
      status: 'failed',
      error: { code: 'QUEUE_UNAVAILABLE', message: 'The job could not be queued' },
    });
    // The redelivery is a new job, not a duplicate of the failed one.
    const jobId = queuedId(await acceptPush(deps, event, delivery));
    expect(await messages()).toEqual([{ jobId, trigger: 'push', commit: event.after }]);
  });

  it('a job that cannot be written after a marker takeover frees the markers it claimed', async () => {
    const event = push();
    const delivery = randomUUID();
    const first = queuedId(await acceptPush(deps, event, delivery));
    await jobs.update(first, { status: 'succeeded' });
    await messages();
    const failingJobs = Object.create(jobs) as JobStore;
    failingJobs.create = async (input, alongside) => {
      if (alongside?.length) return jobs.create(input, alongside);
      throw new Error('table unavailable');
    };
    await expect(acceptPush({ ...deps, jobs: failingJobs }, event, randomUUID())).rejects.toThrow(
      'table unavailable',
    );
    // Only the first job's delivery marker is left; the commit marker it lost is gone too.
    expect(Object.values((await rows()).markers)).toEqual([first]);
  });
});

describe('queueJob', () => {
  it('writes the job, then its message, with what the caller gave', async () => {
    const job = await queueJob(deps, { repositoryUrl: REPO_URL, branch: 'main' }, 'manual', {
      requestedBy: { id: 'u1', name: 'Ann' },
    });
    expect(await jobs.get(job.id)).toMatchObject({
      trigger: 'manual',
      status: 'queued',
      repositoryUrl: REPO_URL,
      branch: 'main',
      requestedBy: { id: 'u1', name: 'Ann' },
    });
    expect(await messages()).toEqual([{ jobId: job.id, trigger: 'manual' }]);
  });

  it('marks the job failed when its message cannot be queued, and rethrows', async () => {
    const broken = new SyncQueue(
      new QueueClient(inject('azuriteConnectionString'), `missing${randomBytes(4).toString('hex')}`),
    );
    await expect(
      queueJob({ jobs, syncQueue: broken }, { repositoryUrl: REPO_URL, branch: 'main' }, 'poll', {
        commitRequested: sha(),
      }),
    ).rejects.toMatchObject({ statusCode: 404 });
    const [id] = (await rows()).jobs;
    expect(await jobs.get(id!)).toMatchObject({ status: 'failed', error: { code: 'QUEUE_UNAVAILABLE' } });
  });
});

describe('Dedupe', () => {
  const markers = (): Marker[] => [
    { kind: 'delivery', key: randomUUID() },
    { kind: 'commit', key: `acme/site#main#${sha()}` },
  ];

  it('claims free markers one by one; the same job claiming again is no conflict', async () => {
    const claim = markers();
    expect(await dedupe.claimOneByOne(claim, 'job-a')).toBeUndefined();
    expect(await dedupe.claimOneByOne(claim, 'job-a')).toBeUndefined();
    expect(Object.values((await rows()).markers)).toEqual(['job-a', 'job-a']);
  });

  it('names the holder of a taken marker and keeps none of the markers it claimed on the way', async () => {
    const [delivery, commit] = markers();
    await dedupe.claimOneByOne([commit!], 'job-a');
    expect(await dedupe.claimOneByOne([delivery!, commit!], 'job-b')).toBe('job-a');
    expect(Object.values((await rows()).markers)).toEqual(['job-a']);
  });

  it('takes a marker over when its holder no longer stands for it, and asks about that holder', async () => {
    const [marker] = markers();
    await dedupe.claimOneByOne([marker!], 'job-a');
    const asked: string[] = [];
    const stale = { ...marker!, holderIsCurrent: async (id: string) => (asked.push(id), false) };
    expect(await dedupe.claimOneByOne([stale], 'job-b')).toBeUndefined();
    expect(asked).toEqual(['job-a']);
    expect(Object.values((await rows()).markers)).toEqual(['job-b']);
    const current = { ...marker!, holderIsCurrent: async () => true };
    expect(await dedupe.claimOneByOne([current], 'job-c')).toBe('job-b');
  });

  it('releases markers, and releasing a missing one is no error', async () => {
    const claim = markers();
    await dedupe.claimOneByOne(claim, 'job-a');
    await dedupe.releaseAll(claim);
    await dedupe.releaseAll(claim);
    expect((await rows()).markers).toEqual({});
  });

  it('sweeps markers written before the cut-off, and nothing else', async () => {
    const old = markers();
    await dedupe.claimOneByOne(old, 'job-a');
    const job = await jobs.create({ trigger: 'manual', repositoryUrl: REPO_URL, branch: 'main' });
    const cutOff = new Date(Date.now() + 60_000); // every row so far was written before it
    expect(await dedupe.sweep(new Date(Date.now() - 60_000))).toBe(0);
    expect(await dedupe.sweep(cutOff)).toBe(2);
    expect(await rows()).toEqual({ jobs: [job.id], markers: {} });
  });
});
