// Error answers of the contract (docs/api.md "Every error code") that need a real fault to happen:
// rotating the webhook secret after the token has gone from the secret store (409 NO_TOKEN),
// connecting while GitHub is failing (502 GITHUB_ERROR), and a storage fault nothing in the app
// expects (500 INTERNAL_ERROR). The real handlers, on Azurite behind a Table proxy that can answer
// writes with the Table service's InternalError, the GitHub fake (which can answer every call with
// the 5xx GitHub documents), a git HTTP server, and the product's local secret store.

import { randomUUID } from 'node:crypto';
import { TableClient } from '@azure/data-tables';
import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { SECRET_NAMES } from '../../src/jobs/connectionSecrets.js';
import { LocalFileSecretStore } from '../../src/secrets/localFileStore.js';
import { QUEUES, TABLES } from '../../src/storage-names.js';
import { startHarness, type Harness } from '../support/appHarness.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { startGitHubFake, type GitHubFake } from '../support/github-fake/index.js';
import { createTestRepo } from '../support/gitRepos.js';
import { startTableFaultProxy, type TableFaultProxy } from '../support/tableFaults.js';

const TOKEN = 'ghp_contractErrorsToken0123456789';
const REPOSITORY = 'acme/errors';

let harness: Harness;
let git: GitHttpServer;
let github: GitHubFake;
let tableFaults: TableFaultProxy;
let secrets: LocalFileSecretStore;
let fns: typeof import('../../src/functions/githubConnection.js') &
  typeof import('../../src/functions/syncJobs.js');

beforeAll(async () => {
  git = await startGitHttpServer({ token: TOKEN });
  await createTestRepo(git.root, REPOSITORY, { initialFiles: { 'run.sh': 'echo hi\n' } });
  // The repository is on a GITHUB_HOSTS host the API speaks for, so a connect asks GitHub about it
  // and makes the app's webhook there. The fake delivers nothing (PUBLIC_BASE_URL is never called).
  github = await startGitHubFake();
  github.addRepository(REPOSITORY);
  github.addToken(TOKEN);
  github.setDeliveryEnabled(false);
  // No GITHUB_TOKEN: the token given at connect time, kept in the secret store, is the only one.
  harness = await startHarness({
    GITHUB_API_URL: github.url,
    GITHUB_HOSTS: '127.0.0.1',
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    SYNC_ALLOW_LOCAL_REPOS: 'true',
  });
  tableFaults = await startTableFaultProxy(harness.azurite.connectionString);
  process.env.AzureWebJobsStorage = tableFaults.connectionString; // read once, on first use below
  secrets = new LocalFileSecretStore(process.env.LOCAL_SECRETS_PATH);
  fns = {
    ...(await import('../../src/functions/githubConnection.js')),
    ...(await import('../../src/functions/syncJobs.js')),
  };
});
afterAll(async () => {
  await harness?.stop();
  await tableFaults?.stop();
  await git?.stop();
  await github?.stop();
});
beforeEach(async () => {
  await new QueueClient(harness.azurite.connectionString, QUEUES.sync).clearMessages();
});

type Handler = (typeof fns)['githubConnection'];

interface Answer {
  status: number | undefined;
  body: Record<string, any>;
  headers: Record<string, string>;
  invocationId: string;
  /** What the handler logged during this call. */
  logs: string[];
}

async function call(handler: Handler, method: string, path: string, body?: unknown): Promise<Answer> {
  const invocationId = randomUUID();
  const logs: string[] = [];
  const response: HttpResponseInit = await handler(
    harness.request({
      method,
      url: `http://127.0.0.1/api/${path}`,
      body: body === undefined ? undefined : { string: JSON.stringify(body) },
    }),
    new InvocationContext({
      invocationId,
      functionName: 'contract-errors',
      logHandler: (level, ...args) =>
        logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`),
    }),
  );
  return {
    status: response.status,
    body: response.jsonBody as Record<string, any>,
    headers: response.headers as Record<string, string>,
    invocationId,
    logs,
  };
}

const repositoryUrl = () => git.repoUrl(REPOSITORY);
const connect = () =>
  call(fns.githubConnection, 'PUT', 'github/connection', {
    repositoryUrl: repositoryUrl(),
    branch: 'main',
    token: TOKEN,
  });

/** Connects with the token (kept in the secret store) and an app-made webhook on the fake. */
async function connectWithManagedHook(): Promise<void> {
  const res = await connect();
  expect(res.status).toBe(202);
  expect(res.body.connection.webhook).toMatchObject({ status: 'active', id: expect.any(Number) });
}

const table = (name: string) =>
  TableClient.fromConnectionString(harness.azurite.connectionString, name, { allowInsecureConnection: true });

/** The audit rows one call wrote, read from Azurite directly (not through the fault proxy). */
async function auditRowsOf(invocationId: string): Promise<Record<string, unknown>[]> {
  const rows: Record<string, unknown>[] = [];
  const query = { queryOptions: { filter: `invocationId eq '${invocationId}'` } };
  for await (const row of table(TABLES.audit).listEntities(query)) rows.push(row);
  return rows;
}

async function jobRowKeys(): Promise<string[]> {
  const keys: string[] = [];
  for await (const row of table(TABLES.jobs).listEntities<{ trigger?: string }>()) {
    if (row.trigger !== undefined) keys.push(row.rowKey!);
  }
  return keys;
}

describe('PUT /github/connection while GitHub is failing', () => {
  it.each([
    [500, 'Server Error'],
    [503, 'Service Unavailable'],
  ] as const)(
    'answers 502 GITHUB_ERROR when GitHub answers %i, stores nothing and audits the failure',
    async (status, said) => {
      const jobsBefore = await jobRowKeys();
      const gitRequestsBefore = git.requests.length;
      github.setOutage(status);
      let res: Answer;
      try {
        res = await connect();
      } finally {
        github.setOutage(undefined);
      }

      expect(res.status).toBe(502);
      expect(res.headers['Cache-Control']).toBe('no-store');
      expect(res.body).toEqual({
        error: {
          code: 'GITHUB_ERROR',
          message: `GET /repos/${REPOSITORY}: GitHub answered ${status}: ${said}`,
        },
      });
      expect(github.requests.at(-1)).toEqual({ method: 'GET', path: `/repos/${REPOSITORY}`, status });
      // Nothing stored: no connection, no secret, no hook, no job, no message; git never asked.
      expect(await call(fns.githubConnection, 'GET', 'github/connection')).toMatchObject({
        status: 404,
        body: { error: { code: 'NOT_CONNECTED' } },
      });
      expect(await secrets.get(SECRET_NAMES.token)).toBeUndefined();
      expect(await secrets.get(SECRET_NAMES.webhookSecret)).toBeUndefined();
      expect(github.hooks(REPOSITORY)).toEqual([]);
      expect(await jobRowKeys()).toEqual(jobsBefore);
      expect(await harness.queueMessages(QUEUES.sync)).toEqual([]);
      expect(git.requests.length).toBe(gitRequestsBefore);
      // One audit row: who tried what, and the code the caller got.
      expect(await auditRowsOf(res.invocationId)).toEqual([
        expect.objectContaining({
          action: 'connection.connect',
          target: repositoryUrl(),
          result: 'failed',
          errorCode: 'GITHUB_ERROR',
        }),
      ]);
      expect(JSON.stringify([res.body, res.logs])).not.toContain(TOKEN);
    },
  );
});

describe('rotate-secret once the token has gone from the secret store', () => {
  beforeAll(connectWithManagedHook);

  it('is 409 NO_TOKEN, asks GitHub nothing and changes no secret', async () => {
    // As when an operator deletes (or a vault purges) the connection's token; no GITHUB_TOKEN stands in.
    await secrets.delete(SECRET_NAMES.token);
    const [hook] = github.hooks(REPOSITORY);
    const hookSecret = hook!.config.secret;
    const storedSecret = await secrets.get(SECRET_NAMES.webhookSecret);
    expect(hookSecret).toEqual(expect.any(String));
    expect(storedSecret).toBe(hookSecret);
    const githubRequestsBefore = github.requests.length;

    const res = await call(fns.rotateSecret as Handler, 'POST', 'github/connection/rotate-secret');

    expect(res.status).toBe(409);
    expect(res.headers['Cache-Control']).toBe('no-store');
    expect(res.body).toEqual({
      error: { code: 'NO_TOKEN', message: 'No token is available to update the webhook' },
    });
    expect(github.requests.length).toBe(githubRequestsBefore);
    expect(github.hooks(REPOSITORY)).toEqual([expect.objectContaining({ id: hook!.id })]);
    expect(github.hooks(REPOSITORY)[0]!.config.secret).toBe(hookSecret);
    expect(await secrets.get(SECRET_NAMES.webhookSecret)).toBe(storedSecret);
    expect(await secrets.get(SECRET_NAMES.previousWebhookSecret)).toBeUndefined();
    expect(await auditRowsOf(res.invocationId)).toEqual([
      expect.objectContaining({
        action: 'connection.rotate-secret',
        target: repositoryUrl(),
        result: 'failed',
        errorCode: 'NO_TOKEN',
      }),
    ]);
  });
});

describe('an unexpected storage fault', () => {
  beforeAll(connectWithManagedHook);

  it('POST /sync answers 500 INTERNAL_ERROR, no-store, details in the log only, nothing queued', async () => {
    const jobsBefore = await jobRowKeys();
    const faultedBefore = tableFaults.faulted;
    // Every write of a manual job's row fails at the Table service, the SDK's retries included.
    tableFaults.failWritesMatching(/"trigger":"manual"/);
    let res: Answer;
    try {
      res = await call(fns.startSync as Handler, 'POST', 'sync');
    } finally {
      tableFaults.failWritesMatching(undefined);
    }

    expect(tableFaults.faulted).toBeGreaterThan(faultedBefore);
    expect(res.status).toBe(500);
    expect(res.headers['Cache-Control']).toBe('no-store');
    expect(res.body).toEqual({
      error: { code: 'INTERNAL_ERROR', message: 'The request failed; see the function log for details' },
    });
    // The answer names nothing of the store: not the service's error, its endpoint, table or key.
    const accountKey = /AccountKey=([^;]+)/.exec(harness.azurite.connectionString)![1]!;
    const answer = JSON.stringify(res.body);
    for (const internal of ['InternalError', 'RequestId', TABLES.jobs, '127.0.0.1', accountKey]) {
      expect(answer).not.toContain(internal);
    }
    // The details (the service's own error) are in the function log, without the account key.
    expect(res.logs).toEqual([expect.stringMatching(/^error Unhandled error .*InternalError/)]);
    expect(res.logs.join('\n')).not.toContain(accountKey);
    expect(await jobRowKeys()).toEqual(jobsBefore);
    expect(await harness.queueMessages(QUEUES.sync)).toEqual([]);
    expect(await auditRowsOf(res.invocationId)).toEqual([
      expect.objectContaining({ action: 'sync.request', result: 'failed', errorCode: 'INTERNAL_ERROR' }),
    ]);
  });
});
