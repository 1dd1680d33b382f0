import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { sign } from '../../src/github/signature.js';
import { INTAKE_IN_FLIGHT_MS } from '../../src/jobs/intake.js';
import { JOB_PARTITION, MARKER_PREFIX, newJobId } from '../../src/jobs/jobStore.js';
import { TABLES } from '../../src/storage-names.js';
import { startHarness, type Harness } from '../support/appHarness.js';
import { startTableFaultProxy, type TableFaultProxy } from '../support/tableFaults.js';

const SECRET = 'test-webhook-secret-3f9a';
const REPO_URL = 'https://github.com/Acme/Site.git';
let harness: Harness;
/** The app reaches the Table service through this proxy, so a test can make it fail. */
let tableFaults: TableFaultProxy;
/** The jobs table as it is, read straight from Azurite. */
let jobsTable: TableClient;
let githubWebhook: typeof import('../../src/functions/githubWebhook.js').githubWebhook;
let services: Awaited<ReturnType<typeof import('../../src/functions/services.js').getServices>>;

beforeAll(async () => {
  harness = await startHarness({ GITHUB_WEBHOOK_SECRET: SECRET, GITHUB_TOKEN: 'ghp_tokenvalue' });
  tableFaults = await startTableFaultProxy(harness.azurite.connectionString);
  process.env.AzureWebJobsStorage = tableFaults.connectionString; // read once, on first use below
  jobsTable = TableClient.fromConnectionString(harness.azurite.connectionString, TABLES.jobs, {
    allowInsecureConnection: true,
  });
  ({ githubWebhook } = await import('../../src/functions/githubWebhook.js'));
  services = await (await import('../../src/functions/services.js')).getServices();
  await services.connections.connect(REPO_URL, 'main');
});
afterAll(async () => {
  await tableFaults?.stop();
  await harness?.stop();
});

beforeEach(async () => {
  await new QueueClient(harness.azurite.connectionString, 'workspace-sync').clearMessages();
});

let shaCounter = 0;
const nextSha = () => (++shaCounter).toString(16).padStart(40, '0');

function pushPayload(over: Record<string, unknown> = {}) {
  return {
    ref: 'refs/heads/main',
    before: nextSha(),
    after: nextSha(),
    repository: { full_name: 'acme/site', clone_url: 'https://evil.example/attacker.git' },
    head_commit: { id: 'x', message: 'change' },
    ...over,
  };
}

interface Delivery {
  body?: string | Buffer;
  event?: string;
  id?: string;
  signature?: string | null;
  contentType?: string;
}

async function deliver(d: Delivery) {
  const body = d.body ?? JSON.stringify(pushPayload());
  const headers: Record<string, string> = {
    'content-type': d.contentType ?? 'application/json',
    'x-github-event': d.event ?? 'push',
    'x-github-delivery': d.id ?? randomUUID(),
  };
  const signature = d.signature === undefined ? sign(SECRET, body) : d.signature;
  if (signature !== null) headers['x-hub-signature-256'] = signature;
  const response = await githubWebhook(
    harness.request({
      method: 'POST',
      url: 'http://localhost/api/github/webhook',
      headers,
      body: typeof body === 'string' ? { string: body } : { bytes: body },
    }),
    harness.context(),
  );
  return {
    status: response.status,
    body: response.jsonBody as Record<string, any>,
    headers: response.headers,
  };
}

const queued = () => harness.queueMessages('workspace-sync');

/** Row keys of everything in the jobs' partition: job rows and dedupe markers. */
async function rowKeys(): Promise<Set<string>> {
  const keys = new Set<string>();
  const rows = jobsTable.listEntities({ queryOptions: { filter: `PartitionKey eq '${JOB_PARTITION}'` } });
  for await (const row of rows) keys.add(row.rowKey!);
  return keys;
}

/** The job rows, and the job each new dedupe marker names, written since the `before` snapshot. */
async function rowsAddedSince(before: Set<string>) {
  const added = [...(await rowKeys())].filter((key) => !before.has(key)).sort();
  const markers = added.filter((key) => key.startsWith(MARKER_PREFIX));
  return {
    jobs: added.filter((key) => !key.startsWith(MARKER_PREFIX)),
    markers: await Promise.all(
      markers.map(async (key) => (await jobsTable.getEntity<{ jobId: string }>(JOB_PARTITION, key)).jobId),
    ),
  };
}

describe('POST /api/github/webhook', () => {
  it('answers ping with 200 and queues nothing', async () => {
    const res = await deliver({ event: 'ping', body: JSON.stringify({ zen: 'Keep it simple.' }) });
    expect(res.status).toBe(200);
    expect(await queued()).toEqual([]);
  });

  it('queues a push to the connected branch: 202, job record, one base64 JSON message', async () => {
    const payload = pushPayload();
    const id = randomUUID();
    const res = await deliver({ body: JSON.stringify(payload), id });
    expect(res.status).toBe(202);
    const jobId = res.body.jobId as string;
    expect(res.headers).toMatchObject({ Location: `/api/sync/jobs/${jobId}` });
    expect(await queued()).toEqual([{ jobId, trigger: 'push', commit: payload.after }]);
    const job = await services.jobs.get(jobId);
    expect(job).toMatchObject({
      status: 'queued',
      trigger: 'push',
      commitRequested: payload.after,
      repositoryUrl: REPO_URL,
      branch: 'main',
      deliveryId: id,
    });
  });

  it('accepts the form-encoded content type, signed over the body as sent', async () => {
    const body = `payload=${encodeURIComponent(JSON.stringify(pushPayload()))}`;
    const res = await deliver({ body, contentType: 'application/x-www-form-urlencoded' });
    expect(res.status).toBe(202);
    expect(await queued()).toHaveLength(1);
  });

  it.each([
    ['no signature', null],
    ['an empty signature', ''],
    ['a sha1 signature only', 'sha1=' + 'a'.repeat(40)],
    ['a truncated signature', 'sha256=abc'],
    ['a forged signature', sign('wrong-secret', 'x')],
  ])('answers 401 with one code and queues nothing for %s', async (_name, signature) => {
    const res = await deliver({ signature });
    expect(res.status).toBe(401);
    expect(res.body).toEqual({
      error: { code: 'INVALID_SIGNATURE', message: 'Signature missing or invalid' },
    });
    expect(await queued()).toEqual([]);
  });

  it('checks the signature over the exact bytes: a re-serialised body fails', async () => {
    const body = JSON.stringify(pushPayload(), null, 2);
    const res = await deliver({ body, signature: sign(SECRET, JSON.stringify(JSON.parse(body))) });
    expect(res.status).toBe(401);
  });

  it.each([
    ['an empty body', ''],
    ['invalid JSON', '{"ref": "refs/heads/main",'],
    ['JSON that is not an object', '[1,2,3]'],
    ['a push without ref', JSON.stringify({ ...pushPayload(), ref: undefined })],
    ['a push without after', JSON.stringify({ ...pushPayload(), after: undefined })],
    ['a push without repository', JSON.stringify({ ...pushPayload(), repository: undefined })],
  ])('answers 400 INVALID_PAYLOAD for %s (signed), queueing nothing', async (_name, body) => {
    const res = await deliver({ body });
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('INVALID_PAYLOAD');
    expect(await queued()).toEqual([]);
  });

  it.each([
    ['another branch', { ref: 'refs/heads/develop' }, 'branch "develop"'],
    ['a unicode branch', { ref: 'refs/heads/fëature/✓' }, 'fëature/✓'],
    ['a tag', { ref: 'refs/tags/v1.0.0' }, 'tag push'],
    ['a branch deletion', { deleted: true, after: '0'.repeat(40) }, 'deleted'],
    ['another repository', { repository: { full_name: 'acme/other' } }, 'another repository'],
  ])('ignores a push to %s with 200 and a reason', async (_name, over, reason) => {
    const res = await deliver({ body: JSON.stringify(pushPayload(over)) });
    expect(res.status).toBe(200);
    expect(res.body.ignored).toContain(reason);
    expect(await queued()).toEqual([]);
  });

  it('ignores unknown events with 200', async () => {
    const res = await deliver({ event: 'workflow_run', body: '{}' });
    expect(res).toMatchObject({ status: 200, body: { ignored: 'event "workflow_run" is not handled' } });
  });

  it('answers 413 for a body over 25 MiB without queueing', async () => {
    const body = Buffer.alloc(26 * 1024 * 1024, 0x20);
    const res = await deliver({ body });
    expect(res.status).toBe(413);
    expect(res.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    expect(await queued()).toEqual([]);
  });

  it('turns 20 concurrent identical deliveries into exactly one job row, its two markers and one message', async () => {
    const before = await rowKeys();
    const body = JSON.stringify(pushPayload());
    const id = randomUUID();
    const results = await Promise.all(Array.from({ length: 20 }, () => deliver({ body, id })));
    const jobIds = new Set(results.map((r) => r.body.jobId));
    expect(jobIds.size).toBe(1);
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(results.filter((r) => r.status === 200 && r.body.duplicate === true)).toHaveLength(19);
    expect(await queued()).toHaveLength(1);
    const [jobId] = jobIds;
    expect(await rowsAddedSince(before)).toEqual({ jobs: [jobId], markers: [jobId, jobId] });
  });

  it('treats the same push under a new delivery id as a duplicate of the first job', async () => {
    const before = await rowKeys();
    const body = JSON.stringify(pushPayload());
    const first = await deliver({ body });
    const again = await deliver({ body });
    expect(again).toMatchObject({ status: 200, body: { jobId: first.body.jobId, duplicate: true } });
    expect(await queued()).toHaveLength(1);
    // The duplicate left nothing behind: no job row, and its delivery marker was given back.
    const jobId = first.body.jobId as string;
    expect(await rowsAddedSince(before)).toEqual({ jobs: [jobId], markers: [jobId, jobId] });
  });

  it('treats a push of a commit whose job is still queued as a duplicate, even from another transition', async () => {
    const after = nextSha();
    const first = await deliver({ body: JSON.stringify(pushPayload({ after })) });
    const again = await deliver({ body: JSON.stringify(pushPayload({ after })) });
    expect(again).toMatchObject({ status: 200, body: { jobId: first.body.jobId, duplicate: true } });
  });

  it('queues a force-push back to a commit whose earlier job already finished', async () => {
    const a = nextSha();
    const b = nextSha();
    const first = await deliver({ body: JSON.stringify(pushPayload({ before: a, after: b })) });
    expect(first.status).toBe(202);
    await services.jobs.update(first.body.jobId, { status: 'succeeded' });
    expect((await deliver({ body: JSON.stringify(pushPayload({ before: b, after: a })) })).status).toBe(202);
    const third = await deliver({ body: JSON.stringify(pushPayload({ before: a, after: b })) });
    expect(third.status).toBe(202);
    expect(third.body.jobId).not.toBe(first.body.jobId);
  });

  it('makes one job from 20 concurrent pushes of one finished commit under new delivery ids', async () => {
    const after = nextSha();
    const first = await deliver({ body: JSON.stringify(pushPayload({ after })) });
    await services.jobs.update(first.body.jobId, { status: 'succeeded' });
    await new QueueClient(harness.azurite.connectionString, 'workspace-sync').clearMessages();
    const body = JSON.stringify(pushPayload({ after }));
    const before = await rowKeys();
    const results = await Promise.all(Array.from({ length: 20 }, () => deliver({ body })));
    expect(results.filter((r) => r.status === 202)).toHaveLength(1);
    expect(new Set(results.map((r) => r.body.jobId)).size).toBe(1);
    expect(await queued()).toHaveLength(1);
    // One job row; the winner's delivery marker is new, the commit marker was taken over.
    const jobId = results.find((r) => r.status === 202)!.body.jobId as string;
    expect(await rowsAddedSince(before)).toEqual({ jobs: [jobId], markers: [jobId] });
  });

  it('takes over markers whose job never came to be (the intake died half-way, longer ago than INTAKE_IN_FLIGHT_MS)', async () => {
    const payload = pushPayload();
    const id = randomUUID();
    const markers = [
      { kind: 'delivery' as const, key: id },
      { kind: 'commit' as const, key: `acme/site#main#${payload.after}` },
    ];
    const dead = newJobId(Date.now() - INTAKE_IN_FLIGHT_MS - 1000);
    expect(await services.dedupe.claimOneByOne(markers, dead)).toBeUndefined();
    const res = await deliver({ body: JSON.stringify(payload), id });
    expect(res.status).toBe(202);
    expect(res.body.jobId).not.toBe(dead);
    expect(await queued()).toHaveLength(1);
  });

  it('leaves a marker to an intake that took it over and has not written its job yet: the same commit is its duplicate', async () => {
    const after = nextSha();
    const first = await deliver({ body: JSON.stringify(pushPayload({ after })) });
    await services.jobs.update(first.body.jobId, { status: 'succeeded' });
    await new QueueClient(harness.azurite.connectionString, 'workspace-sync').clearMessages();
    // Another intake is between its two writes: the commit marker is its, its job row not yet.
    const inFlight = newJobId();
    const commitMarker = {
      kind: 'commit' as const,
      key: `acme/site#main#${after}`,
      holderIsCurrent: async () => false,
    };
    expect(await services.dedupe.claimOneByOne([commitMarker], inFlight)).toBeUndefined();
    const res = await deliver({ body: JSON.stringify(pushPayload({ after })) });
    expect(res).toMatchObject({ status: 200, body: { jobId: inFlight, duplicate: true } });
    expect(await queued()).toHaveLength(0);
  });

  it('replaces a job that has sat queued, never started, for longer than ORPHANED_AFTER_MS', async () => {
    const { ORPHANED_AFTER_MS } = await import('../../src/jobs/intake.js');
    const payload = pushPayload();
    const id = randomUUID();
    const first = await deliver({ body: JSON.stringify(payload), id });
    expect((await deliver({ body: JSON.stringify(payload), id })).body.duplicate).toBe(true);
    await services.jobs.update(first.body.jobId, {
      queuedAt: new Date(Date.now() - ORPHANED_AFTER_MS - 1000).toISOString(),
    });
    const again = await deliver({ body: JSON.stringify(payload), id });
    expect(again.status).toBe(202);
    expect(again.body.jobId).not.toBe(first.body.jobId);
  });

  it('writes exactly one job row and its two markers, and the job listing shows jobs only', async () => {
    expect((await deliver({})).status).toBe(202); // an older job, for the listing's order
    const before = await rowKeys();
    const res = await deliver({});
    expect(res.status).toBe(202);
    expect(await rowsAddedSince(before)).toEqual({
      jobs: [res.body.jobId],
      markers: [res.body.jobId, res.body.jobId], // the delivery id's and the commit's
    });
    const { jobs } = await services.jobs.list(100);
    expect(jobs.length).toBeGreaterThan(1);
    expect(jobs.every((job) => /^\d{13}-[0-9a-f]{8}$/.test(job.id) && job.status)).toBe(true);
    expect(jobs[0]!.id).toBe(res.body.jobId); // newest first
  });

  it('writes the job and its markers all or none: a storage fault on the markers leaves no job row either', async () => {
    const payload = pushPayload();
    const id = randomUUID();
    const before = await rowKeys();
    // Every write that carries a dedupe marker fails at the Table service, retries included.
    tableFaults.failWritesMatching(new RegExp(`"RowKey":"${MARKER_PREFIX}`));
    let failed;
    try {
      failed = await deliver({ body: JSON.stringify(payload), id });
    } finally {
      tableFaults.failWritesMatching(undefined);
    }
    expect(tableFaults.faulted).toBeGreaterThan(0);
    expect(failed).toMatchObject({ status: 500, body: { error: { code: 'INTERNAL_ERROR' } } });
    expect(await rowsAddedSince(before)).toEqual({ jobs: [], markers: [] });
    expect(await queued()).toEqual([]);
    // GitHub redelivers under the same id: it is queued, not taken for a duplicate.
    const again = await deliver({ body: JSON.stringify(payload), id });
    expect(again.status).toBe(202);
    expect(await rowsAddedSince(before)).toEqual({
      jobs: [again.body.jobId],
      markers: [again.body.jobId, again.body.jobId],
    });
  });

  it('never logs the secret, the signature or the token', async () => {
    const body = JSON.stringify(pushPayload());
    const signature = sign(SECRET, body);
    await deliver({ body, signature });
    await deliver({ body, signature: signature.replace(/.$/, '0') });
    const text = harness.logs.join('\n');
    expect(text).not.toContain(SECRET);
    expect(text).not.toContain(signature.slice(7));
    expect(text).not.toContain('ghp_tokenvalue');
  });
});

describe('POST /api/github/webhook without a connection', () => {
  it('ignores pushes when nothing is connected, and after a disconnect', async () => {
    await services.connections.disconnect();
    try {
      const res = await deliver({});
      expect(res).toMatchObject({ status: 200, body: { ignored: 'no repository is connected' } });
      expect(await queued()).toEqual([]);
    } finally {
      await services.connections.connect(REPO_URL, 'main');
    }
  });
});
