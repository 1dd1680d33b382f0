// Clauses of the connection and sync routes (DESIGN.md "HTTP contract", docs/api.md "GitHub" and "Sync")
// that no other test pinned down, found while writing docs/testing.md: disconnecting or rotating with
// nothing connected, a token or a body the connect refuses before storing anything, rotating a webhook
// made by hand, POST /sync's Location, and the jobs listing's default and largest page. The real
// handlers against Azurite and a real git repository reached over file:// (SYNC_ALLOW_LOCAL_REPOS).

import { QueueClient } from '@azure/storage-queue';
import type { HttpResponseInit } from '@azure/functions';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { QUEUES } from '../../src/storage-names.js';
import { startHarness, type Harness } from '../support/appHarness.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';

let harness: Harness;
let root: string;
let repo: TestRepo;
let fns: typeof import('../../src/functions/githubConnection.js') &
  typeof import('../../src/functions/syncJobs.js');

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'contract-connection-'));
  repo = await createTestRepo(root, 'acme/scripts');
  // No PUBLIC_BASE_URL: the app cannot make a webhook, so the connection's hook is `manual`.
  harness = await startHarness({ SYNC_ALLOW_LOCAL_REPOS: 'true', GITHUB_WEBHOOK_SECRET: 'hand-made' });
  fns = {
    ...(await import('../../src/functions/githubConnection.js')),
    ...(await import('../../src/functions/syncJobs.js')),
  };
});
afterAll(async () => {
  await harness?.stop();
  await repo?.cleanup();
  if (root) await rm(root, { recursive: true, force: true });
});
beforeEach(async () => {
  await new QueueClient(harness.azurite.connectionString, QUEUES.sync).clearMessages();
});

type Handler = (typeof fns)['githubConnection'];

async function call(handler: Handler, method: string, path: string, body?: string, headers = {}) {
  const response: HttpResponseInit = await handler(
    harness.request({
      method,
      url: `http://127.0.0.1/api/${path}`,
      headers,
      body: body === undefined ? undefined : { string: body },
    }),
    harness.context(),
  );
  return {
    status: response.status,
    body: response.jsonBody as Record<string, any>,
    headers: response.headers as Record<string, string>,
  };
}

const connection = (method: string, body?: unknown) =>
  call(
    fns.githubConnection,
    method,
    'github/connection',
    body === undefined ? undefined : JSON.stringify(body),
  );
const rotate = () => call(fns.rotateSecret as Handler, 'POST', 'github/connection/rotate-secret');
const repositoryUrl = () => `file://${repo.barePath}`;

describe('with nothing connected', () => {
  it('DELETE /github/connection is 404 NOT_CONNECTED', async () => {
    expect(await connection('DELETE')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_CONNECTED' } },
    });
  });

  it('POST /github/connection/rotate-secret is 409 NOT_CONNECTED', async () => {
    expect(await rotate()).toMatchObject({ status: 409, body: { error: { code: 'NOT_CONNECTED' } } });
  });
});

describe('PUT /github/connection refuses before storing anything', () => {
  it.each([
    ['a token with a space', 'ghp_has space'],
    ['a token over 1024 characters', `ghp_${'a'.repeat(1021)}`],
    ['a token that is not a string', 42],
  ])('answers 400 INVALID_TOKEN for %s', async (_name, token) => {
    const res = await connection('PUT', { repositoryUrl: repositoryUrl(), branch: 'main', token });
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'INVALID_TOKEN' } } });
    expect((await connection('GET')).status).toBe(404);
    expect(await harness.queueMessages(QUEUES.sync)).toEqual([]);
  });

  it('answers 413 PAYLOAD_TOO_LARGE for a JSON body over 64 KiB, declared or not', async () => {
    const body = JSON.stringify({
      repositoryUrl: repositoryUrl(),
      branch: 'main',
      pad: 'x'.repeat(64 * 1024),
    });
    const declared = await call(fns.githubConnection, 'PUT', 'github/connection', body, {
      'content-length': String(Buffer.byteLength(body)),
    });
    expect(declared).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    const undeclared = await call(fns.githubConnection, 'PUT', 'github/connection', body);
    expect(undeclared).toMatchObject({ status: 413, body: { error: { code: 'PAYLOAD_TOO_LARGE' } } });
    expect((await connection('GET')).status).toBe(404);
    expect(await harness.queueMessages(QUEUES.sync)).toEqual([]);
  });
});

describe('connected to a repository whose webhook was made by hand', () => {
  beforeAll(async () => {
    const res = await connection('PUT', { repositoryUrl: repositoryUrl(), branch: 'main' });
    expect(res.status).toBe(202);
    expect(res.body.connection.webhook.status).toBe('manual');
  });

  it('rotate-secret is 409 WEBHOOK_NOT_MANAGED', async () => {
    expect(await rotate()).toMatchObject({ status: 409, body: { error: { code: 'WEBHOOK_NOT_MANAGED' } } });
  });

  it('POST /sync answers 202 {jobId} with Location: /api/sync/jobs/{id}, and the job is a queued manual one', async () => {
    const res = await call(fns.startSync as Handler, 'POST', 'sync');
    expect(res.status).toBe(202);
    expect(res.headers.Location).toBe(`/api/sync/jobs/${res.body.jobId}`);
    expect(await harness.queueMessages(QUEUES.sync)).toEqual([
      // No commit: a reconcile syncs whatever the branch head is when it runs (latest wins).
      { jobId: res.body.jobId, trigger: 'manual' },
    ]);
  });

  it('GET /sync/jobs pages 20 by default and up to 100 with ?top=, newest first, with a continuation token', async () => {
    const made: string[] = [];
    for (let i = 0; i < 21; i++) made.push((await call(fns.startSync as Handler, 'POST', 'sync')).body.jobId);
    const first = await call(fns.listSyncJobs as Handler, 'GET', 'sync/jobs');
    expect(first.status).toBe(200);
    expect(first.body.jobs).toHaveLength(20);
    expect(first.body.jobs.map((j: { id: string }) => j.id)).toEqual(made.slice(-20).reverse());
    expect(first.body.continuationToken).toEqual(expect.any(String));

    const all = await call(fns.listSyncJobs as Handler, 'GET', 'sync/jobs?top=100');
    const ids = all.body.jobs.map((j: { id: string }) => j.id);
    // 21 manual jobs, the one above and the connect job: every one on one page.
    expect(ids).toHaveLength(23);
    expect(ids.slice(0, 21)).toEqual([...made].reverse());
    expect(all.body.continuationToken).toBeUndefined();
  });
});
