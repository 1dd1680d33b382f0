// The audit trail, route by route: every change route writes exactly one AuditLog row (succeeded,
// or failed with the error code the caller got), and every read route and every refused request
// writes none. The handlers are the ones the app registers (through the dev runtime's core shim,
// as `npm start` loads them), in AUTH_MODE=platform with App Service authentication on, with the
// principal as Easy Auth forwards it; the rows are read straight from the table on Azurite.
//
// Last, the compiled runtime in AUTH_MODE=platform with WEBSITE_AUTH_ENABLED not True: anyone
// could have written the principal header then, so a spoofed admin is refused with 401.

import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { TableClient } from '@azure/data-tables';
import { InvocationContext, type HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/actor.js';
import type { AuditAction } from '../../src/auth/audit.js';
import { createCoreApi, installCoreModule } from '../../src/dev/coreShim.js';
import { buildRoutes, matchRoute, type HttpRoute } from '../../src/dev/routes.js';
import { getServices } from '../../src/functions/services.js';
import { TABLES } from '../../src/storage-names.js';
import { startRuntime } from '../e2e/support/runtime.js';
import { startHarness, type Harness } from '../support/appHarness.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { startGitHubFake, type GitHubFake } from '../support/github-fake/index.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';

const TOKEN = 'audit-trail-token-0123456789';
const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

interface Person {
  id: string;
  name: string;
  role: Role;
}
const READER: Person = {
  id: 'b7a1e0f2-0000-4000-8000-00000000000a',
  name: 'Rae Reader',
  role: 'Workspace.Reader',
};
const EDITOR: Person = {
  id: 'b7a1e0f2-0000-4000-8000-00000000000b',
  name: 'Ed Editor',
  role: 'Workspace.Editor',
};
const ADMIN: Person = {
  id: 'b7a1e0f2-0000-4000-8000-00000000000c',
  name: 'Ann Admin',
  role: 'Workspace.Admin',
};

/** The principal App Service authentication forwards for an Entra ID user. */
function principalHeader(person: Person): string {
  const principal = {
    auth_typ: 'aad',
    name_typ: 'name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: [
      { typ: OBJECT_ID, val: person.id },
      { typ: 'name', val: person.name },
      { typ: 'roles', val: person.role },
    ],
  };
  return Buffer.from(JSON.stringify(principal)).toString('base64');
}

interface AuditRow {
  actorId: string;
  actorName: string;
  action: string;
  target: string;
  result: string;
  errorCode?: string;
  invocationId: string;
}

interface Answer {
  status: number;
  code?: string;
  invocationId: string;
}

let harness: Harness;
let routes: HttpRoute[];
let auditTable: TableClient;
let git: GitHttpServer;
let repo: TestRepo;
let github: GitHubFake;

beforeAll(async () => {
  git = await startGitHttpServer({ token: TOKEN });
  repo = await createTestRepo(git.root, 'acme/audited', { initialFiles: { 'README.md': '# audited\n' } });
  // The repository's host is on GITHUB_HOSTS, so the app asks the (fake) GitHub API about it and
  // makes its webhook there, which a secret rotation then updates. The fake delivers nothing.
  github = await startGitHubFake();
  github.addRepository('acme/audited');
  github.addToken(TOKEN);
  github.setDeliveryEnabled(false);
  harness = await startHarness({
    GITHUB_API_URL: github.url,
    PUBLIC_BASE_URL: 'http://127.0.0.1:7071',
    AUTH_MODE: 'platform',
    WEBSITE_AUTH_ENABLED: 'True',
    GITHUB_WEBHOOK_SECRET: 'audit-trail-webhook-secret',
    GITHUB_TOKEN: TOKEN,
    SYNC_ALLOW_LOCAL_REPOS: 'true',
    GITHUB_HOSTS: '127.0.0.1',
  });
  // Before the app's first registration: @azure/functions looks for its host once.
  const { api, registry } = createCoreApi(() => undefined);
  installCoreModule(api);
  await import('../../src/index.js');
  routes = buildRoutes(registry.functions, 'api');
  auditTable = TableClient.fromConnectionString(harness.azurite.connectionString, TABLES.audit, {
    allowInsecureConnection: true,
  });
});

afterAll(async () => {
  await harness?.stop();
  await git?.stop();
  await github?.stop();
  await repo?.cleanup();
});

async function auditRows(): Promise<AuditRow[]> {
  const rows: AuditRow[] = [];
  for await (const row of auditTable.listEntities<AuditRow>()) rows.push(row);
  return rows;
}

/** Calls the registered handler for the route, as `person`; bodies are read to the end. */
async function call(
  person: Person,
  method: string,
  path: string,
  init: { body?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const match = matchRoute(routes, method, `/api/${path.split('?')[0]}`);
  if (!match) throw new Error(`No function is registered for ${method} /api/${path}`);
  const invocationId = randomUUID();
  const response = (await match.route.registration.callback(
    harness.request({
      method,
      url: `http://localhost/api/${path}`,
      headers: { 'x-ms-client-principal': principalHeader(person), ...init.headers },
      params: match.params,
      body: init.body === undefined ? undefined : { string: init.body },
    }),
    new InvocationContext({ invocationId, functionName: match.route.registration.metadata.name }),
  )) as HttpResponseInit;
  if (response.body instanceof Readable) for await (const _chunk of response.body); // drain streamed bodies
  const error = (response.jsonBody as { error?: { code: string } } | undefined)?.error;
  return { status: response.status ?? 200, code: error?.code, invocationId };
}

interface ChangeCase {
  name: string;
  person: Person;
  method: string;
  path: string;
  body?: string;
  headers?: Record<string, string>;
  action: AuditAction;
  target: string | (() => string);
  /**
   * How this step of the story ends: a 2xx, or an error answer (whichever code the route gives;
   * the row must carry that same code).
   */
  outcome: 'succeeded' | 'failed';
  /** The error code, where the contract fixes it. */
  code?: string;
  /**
   * A known gap in the app: the request is refused before the handler's `audited` call, so no
   * row is written. Such a case asserts the gap as it is (an error answer and no row), so it
   * fails the day the gap is closed; then drop this field and it asserts the one row.
   */
  gap?: string;
}

const backupIds: string[] = [];
const repoUrl = () => git.repoUrl('acme/audited');
const connectBody = () => JSON.stringify({ repositoryUrl: repoUrl(), branch: 'main' });

/** One story, in order: edits while nothing is connected, connect, changes while connected, disconnect. */
const CHANGES: ChangeCase[] = [
  {
    name: 'a file written',
    person: EDITOR,
    method: 'PUT',
    path: 'workspace/files/docs/a.txt',
    body: 'a',
    headers: { 'if-none-match': '*' },
    action: 'file.write',
    target: 'docs/a.txt',
    outcome: 'succeeded',
  },
  {
    name: 'a write whose precondition fails',
    person: EDITOR,
    method: 'PUT',
    path: 'workspace/files/docs/a.txt',
    body: 'again',
    headers: { 'if-none-match': '*' },
    action: 'file.write',
    target: 'docs/a.txt',
    outcome: 'failed',
  },
  {
    name: 'a file deleted',
    person: EDITOR,
    method: 'DELETE',
    path: 'workspace/files/docs/a.txt',
    action: 'file.delete',
    target: 'docs/a.txt',
    outcome: 'succeeded',
  },
  {
    name: 'a delete of a missing file',
    person: EDITOR,
    method: 'DELETE',
    path: 'workspace/files/docs/a.txt',
    action: 'file.delete',
    target: 'docs/a.txt',
    outcome: 'failed',
  },
  {
    name: 'a write to a path that is not allowed',
    person: EDITOR,
    method: 'PUT',
    path: 'workspace/files/docs/%2e%2e/x.txt',
    body: 'x',
    action: 'file.write',
    // The path as the router handed it over (decoded once), so the row says what was asked for.
    target: 'docs/../x.txt',
    outcome: 'failed',
  },
  {
    name: 'a sync asked for while nothing is connected',
    person: ADMIN,
    method: 'POST',
    path: 'sync',
    action: 'sync.request',
    target: 'workspace',
    outcome: 'failed',
  },
  {
    name: 'a secret rotation while nothing is connected',
    person: ADMIN,
    method: 'POST',
    path: 'github/connection/rotate-secret',
    action: 'connection.rotate-secret',
    target: '',
    outcome: 'failed',
  },
  {
    name: 'a disconnect while nothing is connected',
    person: ADMIN,
    method: 'DELETE',
    path: 'github/connection',
    action: 'connection.disconnect',
    target: '',
    outcome: 'failed',
  },
  {
    name: 'a backup deleted',
    person: ADMIN,
    method: 'DELETE',
    path: 'workspace/backups/{backup}',
    action: 'backup.delete',
    target: () => backupIds[0]!,
    outcome: 'succeeded',
  },
  {
    name: 'a delete of a missing backup',
    person: ADMIN,
    method: 'DELETE',
    path: 'workspace/backups/{backup}',
    action: 'backup.delete',
    target: () => backupIds[0]!,
    outcome: 'failed',
  },
  {
    name: 'a connect whose body is not JSON',
    person: ADMIN,
    method: 'PUT',
    path: 'github/connection',
    body: '{nope',
    action: 'connection.connect',
    target: '',
    outcome: 'failed',
  },
  {
    name: 'a connect to a URL that is not a repository',
    person: ADMIN,
    method: 'PUT',
    path: 'github/connection',
    body: JSON.stringify({ repositoryUrl: 'ftp://127.0.0.1/acme/audited', branch: 'main' }),
    action: 'connection.connect',
    target: 'ftp://127.0.0.1/acme/audited',
    outcome: 'failed',
  },
  {
    name: 'a connect',
    person: ADMIN,
    method: 'PUT',
    path: 'github/connection',
    body: '{connect}',
    action: 'connection.connect',
    target: repoUrl,
    outcome: 'succeeded',
  },
  {
    name: 'a write refused because the workspace is read-only',
    person: EDITOR,
    method: 'PUT',
    path: 'workspace/files/README.md',
    body: 'edit',
    action: 'file.write',
    target: 'README.md',
    outcome: 'failed',
    code: 'WORKSPACE_READ_ONLY',
  },
  {
    name: 'a delete refused because the workspace is read-only',
    person: ADMIN,
    method: 'DELETE',
    path: 'workspace/files/README.md',
    action: 'file.delete',
    target: 'README.md',
    outcome: 'failed',
    code: 'WORKSPACE_READ_ONLY',
  },
  {
    name: 'a sync asked for',
    person: ADMIN,
    method: 'POST',
    path: 'sync',
    action: 'sync.request',
    target: 'workspace',
    outcome: 'succeeded',
  },
  {
    name: 'a secret rotation',
    person: ADMIN,
    method: 'POST',
    path: 'github/connection/rotate-secret',
    action: 'connection.rotate-secret',
    target: repoUrl,
    outcome: 'succeeded',
  },
  {
    name: 'a disconnect',
    person: ADMIN,
    method: 'DELETE',
    path: 'github/connection',
    action: 'connection.disconnect',
    target: repoUrl,
    outcome: 'succeeded',
  },
];

/** A backup blob as a sync leaves one (an empty ZIP: its end-of-central-directory record alone). */
async function makeBackup(jobId: string): Promise<string> {
  const services = await getServices();
  const emptyZip = Buffer.from([0x50, 0x4b, 0x05, 0x06, ...new Array<number>(18).fill(0)]);
  const backup = await services.backups.write(() => Readable.from([emptyZip]), {
    reason: 'connect',
    jobId,
    files: 0,
    bytes: 0,
  });
  return backup.id;
}

const resolve = (text: string) =>
  text.replace('{backup}', backupIds[0] ?? '').replace('{connect}', connectBody());

describe('every change route writes exactly one audit row', () => {
  beforeAll(async () => {
    backupIds.push(await makeBackup('audit-trail'));
  });

  it.each(CHANGES.map((c) => [c.name, c] as const))('%s', async (_name, change) => {
    const before = await auditRows();
    const answer = await call(change.person, change.method, resolve(change.path), {
      body: change.body === undefined ? undefined : resolve(change.body),
      headers: change.headers,
    });
    if (change.outcome === 'succeeded') expect(answer.status, JSON.stringify(answer)).toBeLessThan(300);
    else expect(answer.status, JSON.stringify(answer)).toBeGreaterThanOrEqual(400);

    const after = await auditRows();
    if (change.gap) {
      expect(after, `known gap: ${change.gap}`).toEqual(before);
      return;
    }
    expect(after).toHaveLength(before.length + 1);
    const known = new Set(before.map((row) => row.invocationId));
    const [row] = after.filter((r) => !known.has(r.invocationId));
    expect(row).toMatchObject({
      actorId: change.person.id,
      actorName: change.person.name,
      action: change.action,
      target: typeof change.target === 'function' ? change.target() : change.target,
      invocationId: answer.invocationId,
    });
    if (change.outcome === 'succeeded') {
      expect(row).toMatchObject({ result: 'succeeded' });
      expect(row!.errorCode).toBeUndefined();
    } else {
      expect(answer.code).toMatch(change.code ?? /^[A-Z_]+$/);
      expect(row).toMatchObject({ result: 'failed', errorCode: answer.code });
    }
  });

  it('the story above covered every action, each both ways', () => {
    const outcomes = CHANGES.filter((c) => !c.gap).map((c) => `${c.action} ${c.outcome}`);
    const actions: AuditAction[] = [
      'file.write',
      'file.delete',
      'connection.connect',
      'connection.disconnect',
      'connection.rotate-secret',
      'sync.request',
      'backup.delete',
    ];
    for (const action of actions) {
      expect(outcomes).toContain(`${action} succeeded`);
      expect(outcomes).toContain(`${action} failed`);
    }
  });
});

describe('read routes and refused requests write no audit row', () => {
  const READS: [string, string][] = [
    ['GET', 'github/connection'],
    ['GET', 'sync/jobs'],
    ['GET', 'sync/jobs/{job}'],
    ['GET', 'workspace/backups'],
    ['GET', 'workspace/backups/{backup}'],
    ['GET', 'workspace/files/README.md'],
    ['GET', 'workspace/files/?recursive=true'],
    ['GET', 'workspace/zip'],
    ['GET', 'audit?top=5'],
  ];
  let jobId: string;

  beforeAll(async () => {
    const services = await getServices();
    await services.store.write('README.md', Buffer.from('# read me\n'));
    backupIds.unshift(await makeBackup('audit-trail-reads'));
    jobId = (await services.jobs.list(1)).jobs[0]!.id;
  });

  it.each(READS)('%s %s, by each role that may', async (method, template) => {
    const path = template.replace('{job}', jobId).replace('{backup}', backupIds[0]!);
    const before = await auditRows();
    const people = template.startsWith('audit') ? [ADMIN] : [READER, EDITOR, ADMIN];
    for (const person of people) {
      const answer = await call(person, method, path);
      expect(answer.status, `${path}: ${JSON.stringify(answer)}`).toBeLessThan(300);
    }
    expect(await auditRows()).toEqual(before);
  });

  it('a change refused for the role (403 FORBIDDEN) is logged, not audited', async () => {
    const before = await auditRows();
    const refusals = [
      await call(READER, 'PUT', 'workspace/files/docs/x.txt', { body: 'x' }),
      await call(READER, 'DELETE', 'workspace/files/README.md'),
      await call(EDITOR, 'PUT', 'github/connection', { body: connectBody() }),
      await call(EDITOR, 'POST', 'sync'),
      await call(EDITOR, 'DELETE', `workspace/backups/${backupIds[0]}`),
    ];
    for (const answer of refusals) expect(answer).toMatchObject({ status: 403, code: 'FORBIDDEN' });
    expect(await auditRows()).toEqual(before);
  });
});

describe('AUTH_MODE=platform with App Service authentication off', () => {
  it.each(['False', ''])(
    'refuses a spoofed admin principal with 401 (WEBSITE_AUTH_ENABLED=%j) and audits nothing',
    async (enabled) => {
      // The compiled runtime, its own process: the app reads its settings once per process.
      const runtime = await startRuntime({
        env: {
          AzureWebJobsStorage: harness.azurite.connectionString,
          WORKSPACE_BACKEND: 'local',
          WORKSPACE_PATH: harness.workspace,
          AUTH_MODE: 'platform',
          WEBSITE_AUTH_ENABLED: enabled,
        },
      });
      try {
        const before = await auditRows();
        const spoofed = { 'x-ms-client-principal': principalHeader(ADMIN) };
        for (const [method, path] of [
          ['GET', 'audit'],
          ['GET', 'workspace/files/README.md'],
          ['PUT', 'workspace/files/spoofed.txt'],
          ['DELETE', 'github/connection'],
        ] as const) {
          const res = await fetch(`${runtime.url}/api/${path}`, {
            method,
            headers: spoofed,
            body: method === 'PUT' ? 'spoofed' : undefined,
          });
          const body = (await res.json()) as { error?: { code: string; message: string } };
          expect(res.status, `${method} ${path}`).toBe(401);
          expect(body.error).toMatchObject({
            code: 'UNAUTHENTICATED',
            message: expect.stringContaining('WEBSITE_AUTH_ENABLED'),
          });
        }
        expect(await auditRows()).toEqual(before);
      } finally {
        await runtime.stop();
      }
    },
  );
});
