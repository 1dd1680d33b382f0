import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { pathToFileURL } from 'node:url';
import { QueueClient } from '@azure/storage-queue';
import { startHarness, type Harness } from '../support/appHarness.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';
import { startGitHubFake, type GitHubFake } from '../support/github-fake/index.js';

const TOKEN = 'ghp_connectionTestToken123';
let harness: Harness;
let git: GitHttpServer;
let repo: TestRepo;
let github: GitHubFake;
let fns: typeof import('../../src/functions/githubConnection.js') &
  typeof import('../../src/functions/syncJobs.js');

beforeAll(async () => {
  git = await startGitHttpServer({ token: TOKEN });
  repo = await createTestRepo(git.root, 'acme/site');
  // The repository's host is on GITHUB_HOSTS, so the app asks the GitHub API about it first.
  github = await startGitHubFake();
  github.addRepository('acme/site');
  github.addToken(TOKEN);
  harness = await startHarness({
    GITHUB_API_URL: github.url,
    GITHUB_TOKEN: TOKEN,
    GITHUB_HOSTS: 'github.com,127.0.0.1',
    SYNC_ALLOW_LOCAL_REPOS: 'true',
    GITHUB_WEBHOOK_SECRET: 's',
  });
  fns = {
    ...(await import('../../src/functions/githubConnection.js')),
    ...(await import('../../src/functions/syncJobs.js')),
  };
});
afterAll(async () => {
  await harness?.stop();
  await git?.stop();
  await github?.stop();
});
beforeEach(async () => {
  await new QueueClient(harness.azurite.connectionString, 'workspace-sync').clearMessages();
});

async function call(
  handler: (typeof fns)[keyof typeof fns],
  method: string,
  path: string,
  body?: unknown,
  params: Record<string, string> = {},
) {
  const response = await (handler as typeof fns.githubConnection)(
    harness.request({
      method,
      url: `http://localhost/api/${path}`,
      params,
      body:
        body === undefined ? undefined : { string: typeof body === 'string' ? body : JSON.stringify(body) },
    }),
    harness.context(),
  );
  return {
    status: response.status,
    body: response.jsonBody as Record<string, any>,
    headers: response.headers,
  };
}

const connection = (method: string, body?: unknown) =>
  call(fns.githubConnection, method, 'github/connection', body);

describe('connection API', () => {
  it('is 404 before anything is connected, and POST /sync is 409', async () => {
    expect(await connection('GET')).toMatchObject({
      status: 404,
      body: { error: { code: 'NOT_CONNECTED' } },
    });
    expect(await call(fns.startSync, 'POST', 'sync')).toMatchObject({
      status: 409,
      body: { error: { code: 'NOT_CONNECTED' } },
    });
  });

  it.each([
    // Only https (and, with SYNC_ALLOW_LOCAL_REPOS, file:// and loopback http) may name a repository.
    ['an ftp:// URL', { repositoryUrl: 'ftp://127.0.0.1/acme/site.git' }, 400, 'INVALID_REPOSITORY_URL'],
    [
      'credentials in the URL',
      { repositoryUrl: `http://x:${TOKEN}@127.0.0.1:1/a/b.git` },
      400,
      'INVALID_REPOSITORY_URL',
    ],
    ['a bad branch name', { repositoryUrl: 'https://github.com/a/b', branch: '../x' }, 400, 'INVALID_BRANCH'],
    ['a body that is not JSON', '{nope', 400, 'INVALID_BODY'],
    ['a JSON array body', '[]', 400, 'INVALID_BODY'],
  ])('rejects %s', async (_name, body, status, code) => {
    const res = await connection('PUT', body);
    expect(res).toMatchObject({ status, body: { error: { code } } });
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    expect(await harness.queueMessages('workspace-sync')).toEqual([]);
  });

  it('connects a file:// repository, since SYNC_ALLOW_LOCAL_REPOS lets local repositories through', async () => {
    const fileUrl = pathToFileURL(repo.barePath).href;
    const res = await connection('PUT', { repositoryUrl: fileUrl, branch: 'main' });
    expect(res).toMatchObject({
      status: 202,
      body: { connection: { repositoryUrl: fileUrl, branch: 'main', enabled: true, fullName: 'acme/site' } },
    });
    expect(await harness.queueMessages('workspace-sync')).toEqual([
      { jobId: res.body.jobId, trigger: 'connect', commit: await repo.head() },
    ]);
    // Back to the state the tests below start from: nothing connected.
    expect((await connection('DELETE')).status).toBe(200);
  });

  it('answers 422 with the git error, token redacted, for an unreachable repository', async () => {
    // GitHub's API does not know it: refused before git is asked.
    const unknown = await connection('PUT', { repositoryUrl: git.repoUrl('acme/missing'), branch: 'main' });
    expect(unknown).toMatchObject({ status: 422, body: { error: { code: 'REPOSITORY_NOT_FOUND' } } });
    // The API knows it but git cannot reach it.
    github.addRepository('acme/missing');
    const res = await connection('PUT', { repositoryUrl: git.repoUrl('acme/missing'), branch: 'main' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('REPOSITORY_UNREACHABLE');
    expect(res.body.error.message).toMatch(/git ls-remote failed/);
    expect(JSON.stringify(res.body)).not.toContain(TOKEN);
    expect(JSON.stringify(res.body)).not.toContain(Buffer.from(`x-access-token:${TOKEN}`).toString('base64'));
    expect(await harness.queueMessages('workspace-sync')).toEqual([]);
  });

  it('answers 422 BRANCH_NOT_FOUND for a branch the repository lacks', async () => {
    const res = await connection('PUT', { repositoryUrl: git.repoUrl(repo.name), branch: 'nope' });
    expect(res).toMatchObject({ status: 422, body: { error: { code: 'BRANCH_NOT_FOUND' } } });
  });

  it('sends the token as a header, never in the URL', async () => {
    await connection('PUT', { repositoryUrl: git.repoUrl(repo.name), branch: 'main' });
    const gitRequests = git.requests.filter((r) => r.url.includes('acme/site'));
    expect(gitRequests.length).toBeGreaterThan(0);
    expect(gitRequests.every((r) => !r.url.includes(TOKEN))).toBe(true);
    expect(gitRequests.some((r) => r.authorized && r.authorization?.startsWith('Basic '))).toBe(true);
  });

  it('connects a reachable repository, queues a connect job at its head, and lists it newest first', async () => {
    const res = await connection('PUT', { repositoryUrl: git.repoUrl(repo.name), branch: 'main' });
    expect(res.status).toBe(202);
    const jobId = res.body.jobId as string;
    expect(res.headers).toMatchObject({ Location: `/api/sync/jobs/${jobId}` });
    expect(res.body.connection).toMatchObject({
      repositoryUrl: git.repoUrl(repo.name),
      branch: 'main',
      enabled: true,
      fullName: 'acme/site',
    });
    expect(await harness.queueMessages('workspace-sync')).toEqual([
      { jobId, trigger: 'connect', commit: await repo.head() },
    ]);

    const manual = await call(fns.startSync, 'POST', 'sync');
    expect(manual.status).toBe(202);
    const job = await call(fns.getSyncJob, 'GET', `sync/jobs/${manual.body.jobId}`, undefined, {
      id: manual.body.jobId,
    });
    expect(job).toMatchObject({
      status: 200,
      body: { id: manual.body.jobId, trigger: 'manual', status: 'queued' },
    });

    const list = await call(fns.listSyncJobs, 'GET', 'sync/jobs?top=1');
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toEqual([manual.body.jobId]);
    const next = await call(
      fns.listSyncJobs,
      'GET',
      `sync/jobs?top=1&continuationToken=${encodeURIComponent(list.body.continuationToken)}`,
    );
    expect(next.body.jobs[0].id).toBe(jobId);
    expect(JSON.stringify([res.body, job.body, list.body])).not.toContain(TOKEN);
  });

  it('validates top and unknown job ids', async () => {
    for (const top of ['0', '101', 'x', '1.5']) {
      expect((await call(fns.listSyncJobs, 'GET', `sync/jobs?top=${top}`)).body.error.code).toBe(
        'INVALID_QUERY',
      );
    }
    for (const token of [
      'garbage',
      Buffer.from('{"x":1}').toString('base64'),
      Buffer.from('[]').toString('base64'),
    ]) {
      const res = await call(
        fns.listSyncJobs,
        'GET',
        `sync/jobs?continuationToken=${encodeURIComponent(token)}`,
      );
      expect(res, token).toMatchObject({ status: 400, body: { error: { code: 'INVALID_QUERY' } } });
    }
    for (const id of ['nope', '9999999999999-00000000', "' or 1 eq 1"]) {
      const res = await call(fns.getSyncJob, 'GET', 'sync/jobs/x', undefined, { id });
      expect(res).toMatchObject({ status: 404, body: { error: { code: 'JOB_NOT_FOUND' } } });
    }
  });

  it('marks a job failed, not queued for good, when its message cannot be queued', async () => {
    const queue = new QueueClient(harness.azurite.connectionString, 'workspace-sync');
    await queue.delete();
    try {
      const res = await call(fns.startSync, 'POST', 'sync');
      expect(res.status).toBe(500);
      const { body } = await call(fns.listSyncJobs, 'GET', 'sync/jobs?top=1');
      expect(body.jobs[0]).toMatchObject({
        trigger: 'manual',
        status: 'failed',
        error: { code: 'QUEUE_UNAVAILABLE' },
      });
    } finally {
      await queue.create();
    }
  });

  it('disconnects: the record stays, disabled, and POST /sync is 409 again', async () => {
    const res = await connection('DELETE');
    expect(res).toMatchObject({ status: 200, body: { enabled: false, fullName: 'acme/site' } });
    expect((await connection('GET')).body.enabled).toBe(false);
    expect((await call(fns.startSync, 'POST', 'sync')).status).toBe(409);
  });

  it('says up front that hand-made files will be backed up by the first sync', async () => {
    const { writeFile: write } = await import('node:fs/promises');
    const { join } = await import('node:path');
    const clean = await connection('PUT', { repositoryUrl: git.repoUrl('acme/site'), branch: 'main' });
    expect(clean.body.backup).toEqual({ expected: false, files: 0 });
    await write(join(harness.workspace, 'hand-made.sh'), 'echo mine\n');
    const res = await connection('PUT', { repositoryUrl: git.repoUrl('acme/site'), branch: 'main' });
    expect(res.status).toBe(202);
    expect(res.body.backup).toMatchObject({ expected: true, files: 1 });
    expect(res.body.backup.message).toMatch(/backup/);
  });
});
