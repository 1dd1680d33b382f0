// End to end, over real HTTP only: the compiled `npm start` runtime (its own Azurite, the real
// functions from dist/index.js), a repository served by `git http-backend` with token auth,
// signed webhook deliveries from `src/dev/webhook.ts` (what `npm run webhook` sends).

import { readdir, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionStringFor, startAzurite, type RunningAzurite } from '../../src/dev/azurite.js';
import { buildPushPayload, deliver } from '../../src/dev/webhook.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';
import { localAppSettings, startRuntime, waitFor, type Runtime, jsonOf } from './support/runtime.js';
import { describeTree, readTree, readZip, withoutExcluded } from './support/workspace.js';

const TOKEN = 'e2e-token-0123456789';
const SECRET = 'e2e-webhook-secret';

interface Job {
  id: string;
  status: string;
  attempt: number;
  startedAt?: string;
  commitSynced?: string;
  error?: { code: string; message: string };
}

function runtimeEnv(workspace: string, extra: Record<string, string> = {}): Record<string, string> {
  return localAppSettings(
    workspace,
    { webhookSecret: SECRET, token: TOKEN },
    { DEV_QUEUE_VISIBILITY_TIMEOUT_MS: '300', ...extra },
  );
}

async function api(runtime: Runtime, method: string, path: string, init: RequestInit = {}) {
  return fetch(`${runtime.url}/api/${path}`, { method, ...init });
}

async function waitForJob(
  runtime: Runtime,
  jobId: string,
  done = ['succeeded', 'failed', 'skipped'],
  ms = 90_000,
) {
  return waitFor(
    `job ${jobId} to finish`,
    async () => {
      const job = await jsonOf<Job>(await api(runtime, 'GET', `sync/jobs/${jobId}`));
      return done.includes(job.status) ? job : undefined;
    },
    ms,
    250,
  );
}

async function connect(runtime: Runtime, repositoryUrl: string): Promise<string> {
  const res = await api(runtime, 'PUT', 'github/connection', {
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ repositoryUrl, branch: 'main' }),
  });
  const body = await jsonOf<{ jobId: string }>(res);
  expect(res.status, JSON.stringify(body)).toBe(202);
  return body.jobId;
}

async function expectWorkspaceAt(workspace: string, repo: TestRepo, commit: string) {
  const expected = withoutExcluded(await repo.archive(commit));
  expect(describeTree(await readTree(workspace))).toEqual(describeTree(expected));
}

/** The queue connection string of the Azurite the runtime started, read from its banner. */
function runtimeStorage(runtime: Runtime): string {
  const ports = /blob (\d+), queue (\d+), table (\d+)/.exec(runtime.output());
  if (!ports) throw new Error(`no Azurite ports in the banner:\n${runtime.output()}`);
  return connectionStringFor({ blob: Number(ports[1]), queue: Number(ports[2]), table: Number(ports[3]) });
}

describe('npm start, end to end', () => {
  let git: GitHttpServer;
  let repo: TestRepo;
  let runtime: Runtime;
  let workspace: string;
  let firstHead: string;
  let pushDeliveryId: string;
  let pushPayload: Record<string, unknown>;

  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    repo = await createTestRepo(git.root, 'acme/site', {
      initialFiles: {
        'README.md': '# site\n',
        'scripts/run.sh': '#!/bin/sh\necho run\n',
        'data/a/b/c.json': '{"c":1}\n',
        '.github/workflows/ci.yml': 'on: push\n',
      },
    });
    await repo.write('scripts/run.sh', '#!/bin/sh\necho run\n', { executable: true });
    firstHead = await repo.commitAndPush('exec bit');
    workspace = mkdtempSync(join(tmpdir(), 'e2e-ws-'));
    runtime = await startRuntime({ env: runtimeEnv(workspace) });
  });

  afterAll(async () => {
    await runtime?.stop();
    await git?.stop();
    await repo?.cleanup();
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('0. reports healthy from the first request', async () => {
    const health = await api(runtime, 'GET', 'health');
    expect(health.status, await health.clone().text()).toBe(200);
    expect(((await health.json()) as { status: string }).status).toBe('healthy');
  });

  it('1. connects a token-protected repository and syncs the head into the workspace', async () => {
    const jobId = await connect(runtime, git.repoUrl('acme/site'));
    const job = await waitForJob(runtime, jobId);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.commitSynced).toBe(firstHead);
    await expectWorkspaceAt(workspace, repo, firstHead);
  });

  it('2. a signed push webhook syncs the change; files API and ZIP show it', async () => {
    await repo.write('README.md', '# site, changed\n');
    await repo.remove('data/a/b/c.json');
    await repo.write('docs/new.md', 'new\n');
    const head = await repo.commitAndPush('change');
    pushPayload = await buildPushPayload({
      repository: git.repoUrl('acme/site'),
      branch: 'main',
      token: TOKEN,
    });
    expect(pushPayload.after).toBe(head);
    const delivery = await deliver({ url: runtime.url, secret: SECRET, payload: pushPayload });
    pushDeliveryId = delivery.deliveryId;
    expect(delivery.status, delivery.body).toBe(202);
    expect(delivery.jobUrl).toBeDefined();

    const job = await waitForJob(runtime, JSON.parse(delivery.body).jobId);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    await expectWorkspaceAt(workspace, repo, head);

    const file = await api(runtime, 'GET', 'workspace/files/README.md');
    expect(file.status).toBe(200);
    expect(await file.text()).toBe('# site, changed\n');

    const zip = await api(runtime, 'GET', 'workspace/zip');
    expect(zip.status).toBe(200);
    expect(zip.headers.get('content-disposition')).toMatch(
      /attachment; filename="workspace-\d{8}-\d{6}\.zip"/,
    );
    const unzipped = await readZip(Buffer.from(await zip.arrayBuffer()));
    // ZIP entries carry no reliable exec bit through `unzip` of a stream; compare names and bytes.
    expect(describeTree(unzipped, false)).toEqual(describeTree(await readTree(workspace), false));
  });

  it('3. the same delivery again, and an older push, change nothing', async () => {
    const before = describeTree(await readTree(workspace));
    const again = await deliver({
      url: runtime.url,
      secret: SECRET,
      payload: pushPayload,
      deliveryId: pushDeliveryId,
    });
    expect(again.status, again.body).toBe(200);
    expect(JSON.parse(again.body)).toMatchObject({ duplicate: true });

    const older = await buildPushPayload({
      repository: git.repoUrl('acme/site'),
      branch: 'main',
      commit: firstHead,
      token: TOKEN,
    });
    // A push to the connected branch under a new delivery id, of a commit no queued job holds
    // (step 1 synced it through a connect, not a push): not a duplicate, so it is queued (202).
    // Latest wins when it runs: the head is already synced, so the job ends skipped at the head.
    const stale = await deliver({ url: runtime.url, secret: SECRET, payload: older });
    expect(stale.status, stale.body).toBe(202);
    const { jobId } = JSON.parse(stale.body) as { jobId: string };
    const job = await waitForJob(runtime, jobId);
    expect(job, JSON.stringify(job)).toMatchObject({
      status: 'skipped',
      commitSynced: await repo.head(),
      attempt: 1,
    });
    expect(describeTree(await readTree(workspace))).toEqual(before);
  });

  it('4. editing is refused while connected and allowed after disconnecting; the ZIP has the edit', async () => {
    const refused = await api(runtime, 'PUT', 'workspace/files/notes/todo.txt', { body: 'edit' });
    expect(refused.status).toBe(403);
    expect(await jsonOf<{ error: { code: string } }>(refused)).toMatchObject({
      error: { code: 'WORKSPACE_READ_ONLY' },
    });

    const disconnect = await api(runtime, 'DELETE', 'github/connection');
    expect([200, 204]).toContain(disconnect.status);

    const created = await api(runtime, 'PUT', 'workspace/files/notes/todo.txt', { body: 'edit' });
    expect(created.status).toBe(201);
    const replaced = await api(runtime, 'PUT', 'workspace/files/README.md', {
      body: 'edited locally\n',
      headers: { 'If-Match': '*' },
    });
    expect(replaced.status).toBe(204);

    const zip = await api(runtime, 'GET', 'workspace/zip');
    const unzipped = await readZip(Buffer.from(await zip.arrayBuffer()));
    expect(unzipped.get('notes/todo.txt')?.content.toString()).toBe('edit');
    expect(unzipped.get('README.md')?.content.toString()).toBe('edited locally\n');
  });

  it('5. a job for a repository that vanished fails and its message lands on the poison queue', async () => {
    const gone = await createTestRepo(git.root, 'acme/gone');
    const first = await waitForJob(runtime, await connect(runtime, git.repoUrl('acme/gone')));
    expect(first.status, JSON.stringify(first)).toBe('succeeded');
    await rm(gone.barePath, { recursive: true, force: true });

    const res = await api(runtime, 'POST', 'sync');
    const { jobId } = await jsonOf<{ jobId: string }>(res);
    expect(res.status).toBe(202);
    const job = await waitForJob(runtime, jobId, ['failed', 'succeeded', 'skipped'], 60_000);
    expect(job.status, JSON.stringify(job)).toBe('failed');
    expect(job.error?.message).toBeTruthy();

    const poison = new QueueClient(runtimeStorage(runtime), 'workspace-sync-poison');
    const message = await waitFor('the poison message', async () => {
      const peeked = await poison.peekMessages({ numberOfMessages: 32 });
      return peeked.peekedMessageItems.find((m) =>
        Buffer.from(m.messageText, 'base64').toString('utf8').includes(jobId),
      );
    });
    expect(message).toBeDefined();
    await gone.cleanup();
  });
});

describe('npm start, killed mid-sync', () => {
  let git: GitHttpServer;
  let repo: TestRepo;
  let azurite: RunningAzurite;
  let workspace: string;
  const runtimes: Runtime[] = [];

  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    const files: Record<string, string> = {};
    // Enough files that the sync is still writing when the runtime is killed.
    for (let i = 0; i < 3000; i++) files[`d${i % 40}/f${i}.txt`] = `${i}\n`.repeat(200);
    repo = await createTestRepo(git.root, 'acme/big', { initialFiles: files });
    azurite = await startAzurite();
    workspace = mkdtempSync(join(tmpdir(), 'e2e-ws-kill-'));
  });

  afterAll(async () => {
    for (const runtime of runtimes) await runtime.stop('SIGKILL');
    await azurite?.stop();
    await git?.stop();
    await repo?.cleanup();
    if (workspace) await rm(workspace, { recursive: true, force: true });
  });

  it('6. finishes the job after a SIGKILL and restart, in under 45 s, with an exact workspace', async () => {
    // Azurite outlives the runtime; a short message lease lets the killed run's message come back soon.
    const env = runtimeEnv(workspace, {
      AzureWebJobsStorage: azurite.connectionString,
      DEV_QUEUE_LEASE_MS: '3000',
    });
    const first = await startRuntime({ env });
    runtimes.push(first);
    const jobId = await connect(first, git.repoUrl('acme/big'));
    // Count names only (reading contents here would be slower than the sync itself).
    const written = async () => (await readdir(workspace, { recursive: true }).catch(() => [])).length;
    await waitFor(
      'the sync to be writing',
      async () => ((await written()) > 20 ? true : undefined),
      60_000,
      5,
    );
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    await first.stop('SIGKILL');
    const partial = await readTree(workspace);
    expect(partial.size).toBeLessThan(3000);

    // The dead worker's workspace lease (15 s, renewed every 5 s) runs out on its own; the retry
    // meets it held, comes back every 5 s, and takes over (issue 10 item 8).
    const second = await startRuntime({ env });
    runtimes.push(second);
    const restartMs = Date.now() - killedAt;
    const job = await waitForJob(second, jobId, ['succeeded', 'failed'], 60_000);
    const totalMs = Date.now() - killedAt;
    const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
    console.log(
      `SIGKILL -> succeeded in ${seconds(totalMs)}: runtime ready again after ${seconds(restartMs)}, ` +
        `retry running after ${seconds(Date.parse(job.startedAt ?? '') - killedAt)}`,
    );
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.attempt).toBeGreaterThanOrEqual(2);
    expect(totalMs).toBeLessThan(45_000);
    await expectWorkspaceAt(workspace, repo, await repo.head());
  });
});
