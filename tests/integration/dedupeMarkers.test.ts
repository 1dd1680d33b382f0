// Dedupe markers (src/jobs/dedupe.ts) and push intake (src/jobs/intake.ts) against Azurite when
// things happen in between: another intake releasing or taking over a marker between two of our
// requests, the sweep meeting a marker rewritten under it, and storage faults. The interleavings
// are made deterministic by running the other party's real request at the exact point in between
// (a TableClient whose one method does that first); faults are a real client that cannot reach
// the service, or tests/support/tableFaults.ts answering chosen writes with InternalError.
// DESIGN.md: dedupe markers per delivery and per commit, in the job's transaction.

import { randomBytes, randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, inject, it } from 'vitest';
import { Dedupe, type Marker } from '../../src/jobs/dedupe.js';
import { acceptPush, ORPHANED_AFTER_MS, type IntakeDeps } from '../../src/jobs/intake.js';
import { JOB_PARTITION, JobStore, MARKER_PREFIX } from '../../src/jobs/jobStore.js';
import { SyncQueue } from '../../src/jobs/queues.js';
import { ABANDONED } from '../../src/jobs/sweep.js';
import type { Connection } from '../../src/jobs/types.js';
import { startTableFaultProxy, type TableFaultProxy } from '../support/tableFaults.js';

const REPO_URL = 'https://github.com/Acme/Site.git';
/** One try per request: a fault is seen once, not after the SDK's backed-off retries. */
const CLIENT = { allowInsecureConnection: true, retryOptions: { maxRetries: 0 } };

let faults: TableFaultProxy;
let tableName: string;
/** The jobs table, straight to Azurite. */
let table: TableClient;

beforeAll(async () => {
  faults = await startTableFaultProxy(inject('azuriteConnectionString'));
});
afterAll(async () => {
  await faults?.stop();
});

beforeEach(async () => {
  tableName = `dedupe${randomBytes(6).toString('hex')}`;
  table = TableClient.fromConnectionString(inject('azuriteConnectionString'), tableName, CLIENT);
  await table.createTable();
  faults.failWritesMatching(undefined);
});

const sha = () => randomBytes(20).toString('hex');
const commitMarker = (): Marker => ({ kind: 'commit', key: `acme/site#main#${sha()}` });

async function markerHolders(): Promise<string[]> {
  const holders: string[] = [];
  for await (const row of table.listEntities<{ jobId: string }>()) {
    if (row.rowKey!.startsWith(MARKER_PREFIX)) holders.push(row.jobId);
  }
  return holders;
}

async function onlyMarkerKey(): Promise<string> {
  for await (const row of table.listEntities()) if (row.rowKey!.startsWith(MARKER_PREFIX)) return row.rowKey!;
  throw new Error('no marker row');
}

/** Another party rewriting the marker unconditionally: a takeover that landed first. */
async function rewriteMarker(rowKey: string, jobId: string) {
  await table.updateEntity({ partitionKey: JOB_PARTITION, rowKey, jobId }, 'Replace');
}

/** The jobs table, where `method` first runs `before` (the other party's request), then the real call. */
function tableWhere<K extends 'getEntity' | 'deleteEntity'>(
  method: K,
  before: (rowKey: string) => Promise<void>,
): TableClient {
  const racing = Object.create(table) as TableClient;
  const real = table[method].bind(table) as (...args: unknown[]) => Promise<unknown>;
  (racing as unknown as Record<string, unknown>)[method] = async (...args: unknown[]) => {
    await before(args[1] as string);
    return real(...args);
  };
  return racing;
}

/** The jobs table, where `method` goes to a real client whose requests meet a closed loopback port. */
function tableFailing(method: 'createEntity' | 'getEntity' | 'updateEntity'): TableClient {
  const unreachable = TableClient.fromConnectionString(
    inject('azuriteConnectionString').replace(
      /TableEndpoint=[^;]+/,
      'TableEndpoint=http://127.0.0.1:1/devstoreaccount1',
    ),
    tableName,
    CLIENT,
  );
  const faulty = Object.create(table) as TableClient;
  (faulty as unknown as Record<string, unknown>)[method] = unreachable[method].bind(unreachable);
  return faulty;
}

describe('Dedupe.claimOneByOne when another intake acts in between', () => {
  it('a marker released between our conflict and our read is claimed afresh', async () => {
    const marker = commitMarker();
    await new Dedupe(table).claimOneByOne([marker], 'job-a');
    let released = 0;
    const racing = tableWhere('getEntity', async (rowKey) => {
      if (released++ === 0) await table.deleteEntity(JOB_PARTITION, rowKey);
    });
    expect(await new Dedupe(racing).claimOneByOne([marker], 'job-b')).toBeUndefined();
    expect(released).toBeGreaterThan(0);
    expect(await markerHolders()).toEqual(['job-b']);
  });

  it.each<[string, (rowKey: string) => Promise<void>, string | undefined, string[]]>([
    // Our conditional replace then finds no row (404): the marker is free, so it is created for us.
    [
      'released',
      (rowKey) => table.deleteEntity(JOB_PARTITION, rowKey).then(() => undefined),
      undefined,
      ['job-b'],
    ],
    // Our replace then fails its ETag (412): we look again and meet the intake that won.
    ['taken over by a current job', (rowKey) => rewriteMarker(rowKey, 'job-c'), 'job-c', ['job-c']],
  ])(
    'a stale marker %s while we ask about its holder ends as the service decided',
    async (_name, meanwhile, outcome, holders) => {
      const marker = commitMarker();
      await new Dedupe(table).claimOneByOne([marker], 'job-a');
      const rowKey = await onlyMarkerKey();
      const asked: string[] = [];
      const stale: Marker = {
        ...marker,
        holderIsCurrent: async (id) => {
          asked.push(id);
          if (id !== 'job-a') return true;
          await meanwhile(rowKey);
          return false;
        },
      };
      expect(await new Dedupe(table).claimOneByOne([stale], 'job-b')).toBe(outcome);
      expect(asked[0]).toBe('job-a');
      expect(await markerHolders()).toEqual(holders);
    },
  );

  it('gives up after a bounded number of takeover attempts, and says how many it made', async () => {
    const marker = commitMarker();
    await new Dedupe(table).claimOneByOne([marker], 'job-a');
    const rowKey = await onlyMarkerKey();
    let asked = 0;
    // Every holder is stale, and every time another intake takes the marker over first.
    const contested: Marker = {
      ...marker,
      holderIsCurrent: async () => {
        if (++asked > 50) throw new Error('the claim never gives up');
        await rewriteMarker(rowKey, `job-other-${asked}`);
        return false;
      },
    };
    const failure = await new Dedupe(table).claimOneByOne([contested], 'job-b').catch((e: Error) => e);
    expect(failure).toBeInstanceOf(Error);
    const attempts = /^Could not claim a commit marker after (\d+) attempts$/.exec(
      (failure as Error).message,
    );
    expect(attempts).not.toBeNull();
    expect(asked).toBe(Number(attempts![1]));
    expect(asked).toBeLessThanOrEqual(10);
    expect(await markerHolders()).toEqual([`job-other-${asked}`]);
  });
});

describe('Dedupe.claimOneByOne when the Table service fails', () => {
  it.each(['createEntity', 'getEntity', 'updateEntity'] as const)(
    'a %s that cannot reach the service fails the claim with that error, and the marker stays',
    async (method) => {
      const marker = commitMarker();
      await new Dedupe(table).claimOneByOne([marker], 'job-a');
      const faulty = tableFailing(method);
      const stale: Marker = { ...marker, holderIsCurrent: async () => false };
      const failure = await new Dedupe(faulty).claimOneByOne([stale], 'job-b').catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: 'RestError', code: 'ECONNREFUSED' });
      expect(await markerHolders()).toEqual(['job-a']);
    },
  );
});

describe('Dedupe.claimOneByOne leaves no marker behind when a later claim fails', () => {
  it('gives back the markers it already claimed, so a redelivery is not the duplicate of a job never written', async () => {
    const commit = commitMarker();
    await new Dedupe(table).claimOneByOne([commit], 'job-a');
    const faulty = tableFailing('getEntity');
    const delivery: Marker = { kind: 'delivery', key: randomUUID() };
    const stale: Marker = { ...commit, holderIsCurrent: async () => false };
    const failure = await new Dedupe(faulty)
      .claimOneByOne([delivery, stale], 'job-b')
      .catch((e: unknown) => e);
    expect(failure).toMatchObject({ name: 'RestError', code: 'ECONNREFUSED' });
    expect(await markerHolders()).toEqual(['job-a']);
  });
});

describe('Dedupe.sweep', () => {
  it('keeps a marker that another intake rewrote between the sweep reading it and deleting it', async () => {
    const marker = commitMarker();
    await new Dedupe(table).claimOneByOne([marker], 'job-a');
    const racing = tableWhere('deleteEntity', (rowKey) => rewriteMarker(rowKey, 'job-b'));
    expect(await new Dedupe(racing).sweep(new Date(Date.now() + 60_000))).toBe(0);
    expect(await markerHolders()).toEqual(['job-b']);
  });
});

describe('acceptPush', () => {
  let queue: QueueClient;
  let deps: (tableClient: TableClient) => IntakeDeps;

  beforeEach(async () => {
    queue = new QueueClient(inject('azuriteConnectionString'), tableName);
    await queue.create();
    const connection = { enabled: true, repositoryUrl: REPO_URL, branch: 'main' } as Connection;
    deps = (tableClient) => ({
      jobs: new JobStore(tableClient),
      dedupe: new Dedupe(tableClient),
      syncQueue: new SyncQueue(queue),
      connections: { getRecent: async () => connection } as unknown as IntakeDeps['connections'],
    });
  });
  const push = () => ({
    kind: 'push' as const,
    branch: 'main',
    after: sha(),
    repositoryFullName: 'acme/site',
  });

  it('a storage fault on the job-and-markers transaction fails the push and writes nothing', async () => {
    const proxied = TableClient.fromConnectionString(faults.connectionString, tableName, CLIENT);
    // Only the batch (a multipart body of changesets) fails; single-row writes would go through.
    faults.failWritesMatching(/changeset_/);
    const before = faults.faulted;
    const failure = await acceptPush(deps(proxied), push(), randomUUID()).catch((e: unknown) => e);
    faults.failWritesMatching(undefined);
    expect(faults.faulted).toBe(before + 1);
    expect(failure).toMatchObject({ name: 'RestError', statusCode: 500 });
    const rows = [];
    for await (const row of table.listEntities()) rows.push(row.rowKey);
    expect(rows).toEqual([]);
    expect((await queue.receiveMessages()).receivedMessageItems).toEqual([]);
  });

  it('a redelivery of a push whose job the sweep marked ABANDONED (never started) is still its duplicate', async () => {
    const event = push();
    const delivery = randomUUID();
    const first = await acceptPush(deps(table), event, delivery);
    expect(first.kind).toBe('queued');
    const jobId = (first as { jobId: string }).jobId;
    // Queued long ago, never started (attempt 0), then marked failed by the sweep.
    await new JobStore(table).update(jobId, {
      status: 'failed',
      error: { code: ABANDONED, message: 'never started' },
      queuedAt: new Date(Date.now() - ORPHANED_AFTER_MS - 60_000).toISOString(),
    });
    expect(await acceptPush(deps(table), event, delivery)).toEqual({ kind: 'duplicate', jobId });
  });
});
