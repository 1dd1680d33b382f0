// Who may do what, end to end through `npm start` (AUTH_MODE=dev, the runtime's default) over
// real HTTP: each caller sends its own `x-ms-client-principal`, which wins over DEV_PRINCIPAL; a
// request without one acts as the default local admin. A second runtime with DEV_PRINCIPAL empty
// shows that nobody is signed in then.

import { mkdtempSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';
import { localAppSettings, startRuntime, waitFor, type Runtime, jsonOf } from './support/runtime.js';

const TOKEN = 'e2e-roles-token-0123456789';
const SECRET = 'e2e-roles-webhook-secret';

const principal = (value: object) => Buffer.from(JSON.stringify(value)).toString('base64');

/** A Static Web Apps principal (linked backend) whose app role arrives as a `roles` claim. */
const READER = {
  id: 'u-reader-1',
  name: 'rita reader',
  header: principal({
    identityProvider: 'aad',
    userId: 'u-reader-1',
    userDetails: 'rita reader',
    userRoles: ['anonymous', 'authenticated'],
    claims: [{ typ: 'roles', val: 'Workspace.Reader' }],
  }),
};

/** An App Service (Easy Auth, Entra ID) principal: object id claim, name, roles claim. */
const EDITOR = {
  id: '6f1c0d52-9a7e-4d0b-8a57-5e0c1e2f3a4b',
  name: 'Eddie Editor',
  header: principal({
    auth_typ: 'aad',
    name_typ: 'name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: [
      {
        typ: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
        val: '6f1c0d52-9a7e-4d0b-8a57-5e0c1e2f3a4b',
      },
      { typ: 'name', val: 'Eddie Editor' },
      { typ: 'roles', val: 'Workspace.Editor' },
    ],
  }),
};

const ADMIN = {
  id: 'u-admin-7',
  name: 'ada admin',
  header: principal({
    identityProvider: 'aad',
    userId: 'u-admin-7',
    userDetails: 'ada admin',
    userRoles: ['authenticated'],
    claims: [{ typ: 'roles', val: 'Workspace.Admin' }],
  }),
};

/** A principal header, or none at all (then the runtime's DEV_PRINCIPAL, if any, applies). */
type Caller = { header: string } | 'no header';

interface AuditEntry {
  id: string;
  actor: { id: string; name: string; provider: string };
  action: string;
  target: string;
  result: string;
  errorCode?: string;
  invocationId: string;
}

interface ErrorBody {
  error: { code: string; message: string };
}

async function call(runtime: Runtime, caller: Caller, method: string, path: string, init: RequestInit = {}) {
  const headers = new Headers(init.headers);
  if (caller !== 'no header') headers.set('x-ms-client-principal', caller.header);
  return fetch(`${runtime.url}/api/${path}`, { ...init, method, headers });
}

/** The newest audit rows, read as the default local admin (the read itself is not audited). */
async function auditRows(runtime: Runtime): Promise<AuditEntry[]> {
  const res = await call(runtime, 'no header', 'GET', 'audit?top=100');
  const body = await jsonOf<{ entries: AuditEntry[] }>(res);
  expect(res.status, JSON.stringify(body)).toBe(200);
  return body.entries;
}

describe('npm start (AUTH_MODE=dev): roles and the audit trail', () => {
  let git: GitHttpServer;
  let repo: TestRepo;
  let runtime: Runtime;
  let workspace: string;

  beforeAll(async () => {
    git = await startGitHttpServer({ token: TOKEN });
    repo = await createTestRepo(git.root, 'acme/roles', { initialFiles: { 'README.md': '# roles\n' } });
    workspace = mkdtempSync(join(tmpdir(), 'e2e-roles-'));
    // No AUTH_MODE or DEV_PRINCIPAL here: what `npm start` does by default is under test.
    runtime = await startRuntime({
      env: localAppSettings(workspace, { webhookSecret: SECRET, token: TOKEN }),
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    await git?.stop();
    await repo?.cleanup();
    if (workspace) {
      await rm(workspace, { recursive: true, force: true });
      await rm(`${workspace}.secrets.json`, { force: true });
    }
  });

  it('starts in dev mode with the local admin as the default principal', () => {
    expect(runtime.output()).toContain('Auth mode: dev');
    expect(runtime.output()).toMatch(
      /act as DEV_PRINCIPAL: local-admin \(local admin\), roles .*Workspace\.Admin/,
    );
  });

  it('a Reader cannot write or delete (403 naming Workspace.Editor), and no audit row is written', async () => {
    const before = await auditRows(runtime);
    const put = await call(runtime, READER, 'PUT', 'workspace/files/notes/reader.txt', { body: 'nope' });
    expect(put.status).toBe(403);
    const putBody = await jsonOf<ErrorBody>(put);
    expect(putBody.error.code).toBe('FORBIDDEN');
    expect(putBody.error.message).toContain('Workspace.Editor');

    const del = await call(runtime, READER, 'DELETE', 'workspace/files/notes/reader.txt');
    expect(del.status).toBe(403);
    expect((await jsonOf<ErrorBody>(del)).error.message).toContain('Workspace.Editor');

    const listing = await call(runtime, READER, 'GET', 'workspace/files/');
    expect(listing.status).toBe(200);
    expect((await jsonOf<{ path: string }[]>(listing)).map((e) => e.path)).not.toContain('notes/reader.txt');
    expect(await auditRows(runtime)).toEqual(before);
  });

  it('an Editor writes and deletes a file; the audit shows who, what, how it ended and the invocation', async () => {
    const put = await call(runtime, EDITOR, 'PUT', 'workspace/files/notes/plan.md', {
      body: '# plan\n',
      headers: { 'If-None-Match': '*' },
    });
    expect(put.status, await put.clone().text()).toBe(201);

    // The Reader can read what the Editor wrote.
    const read = await call(runtime, READER, 'GET', 'workspace/files/notes/plan.md');
    expect(read.status).toBe(200);
    expect(await read.text()).toBe('# plan\n');

    const del = await call(runtime, EDITOR, 'DELETE', 'workspace/files/notes/plan.md');
    expect(del.status, await del.clone().text()).toBe(204);
    const missing = await call(runtime, EDITOR, 'DELETE', 'workspace/files/notes/plan.md');
    expect(missing.status).toBe(404);
    const missingCode = (await jsonOf<ErrorBody>(missing)).error.code;

    const [failedDelete, deleted, written] = await auditRows(runtime);
    const editor = { id: EDITOR.id, name: EDITOR.name, provider: 'aad' };
    expect(written).toMatchObject({
      actor: editor,
      action: 'file.write',
      target: 'notes/plan.md',
      result: 'succeeded',
    });
    expect(deleted).toMatchObject({
      actor: editor,
      action: 'file.delete',
      target: 'notes/plan.md',
      result: 'succeeded',
    });
    expect(failedDelete).toMatchObject({
      actor: editor,
      action: 'file.delete',
      target: 'notes/plan.md',
      result: 'failed',
      errorCode: missingCode,
    });
    const invocations = [written, deleted, failedDelete].map((row) => row!.invocationId);
    for (const id of invocations) expect(id).toMatch(/^[0-9a-f-]{36}$/);
    expect(new Set(invocations).size).toBe(3);
  });

  it('reads by every role leave no audit row', async () => {
    const before = await auditRows(runtime);
    for (const caller of [READER, EDITOR, ADMIN]) {
      for (const path of [
        'workspace/files/',
        'workspace/files/?recursive=true',
        'workspace/zip',
        'sync/jobs',
      ]) {
        const res = await call(runtime, caller, 'GET', path);
        expect(res.status, `${path}: ${await res.clone().text()}`).toBe(200);
        await res.arrayBuffer();
      }
      const connection = await call(runtime, caller, 'GET', 'github/connection');
      expect([200, 404]).toContain(connection.status);
    }
    expect(await auditRows(runtime)).toEqual(before);
  });

  it('an Editor may not connect (403 naming Workspace.Admin); an Admin connects and is on record', async () => {
    const body = JSON.stringify({ repositoryUrl: git.repoUrl('acme/roles'), branch: 'main' });
    const headers = { 'Content-Type': 'application/json' };
    const refused = await call(runtime, EDITOR, 'PUT', 'github/connection', { body, headers });
    expect(refused.status).toBe(403);
    expect(await jsonOf<ErrorBody>(refused)).toMatchObject({
      error: { code: 'FORBIDDEN', message: expect.stringContaining('Workspace.Admin') },
    });

    const res = await call(runtime, ADMIN, 'PUT', 'github/connection', { body, headers });
    const accepted = await jsonOf<{ jobId: string }>(res);
    expect(res.status, JSON.stringify(accepted)).toBe(202);
    const job = await waitFor(
      `job ${accepted.jobId} to finish`,
      async () => {
        const found = await jsonOf<{ status: string; requestedBy?: unknown }>(
          await call(runtime, READER, 'GET', `sync/jobs/${accepted.jobId}`),
        );
        return ['succeeded', 'failed', 'skipped'].includes(found.status) ? found : undefined;
      },
      60_000,
      200,
    );
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.requestedBy).toEqual({ id: ADMIN.id, name: ADMIN.name });

    const connection = await call(runtime, READER, 'GET', 'github/connection');
    expect(connection.status).toBe(200);
    expect(await jsonOf<{ createdBy?: unknown; updatedBy?: unknown }>(connection)).toMatchObject({
      createdBy: { id: ADMIN.id, name: ADMIN.name },
      updatedBy: { id: ADMIN.id, name: ADMIN.name },
    });

    const [row] = await auditRows(runtime);
    expect(row).toMatchObject({
      actor: { id: ADMIN.id, name: ADMIN.name, provider: 'aad' },
      action: 'connection.connect',
      target: git.repoUrl('acme/roles'),
      result: 'succeeded',
    });

    // Connected: even an Editor's write is refused by the read-only rule, and that is on record.
    const readOnly = await call(runtime, EDITOR, 'PUT', 'workspace/files/README.md', { body: 'x' });
    expect(readOnly.status).toBe(403);
    expect((await jsonOf<ErrorBody>(readOnly)).error.code).toBe('WORKSPACE_READ_ONLY');
    expect((await auditRows(runtime))[0]).toMatchObject({
      actor: { id: EDITOR.id },
      action: 'file.write',
      result: 'failed',
      errorCode: 'WORKSPACE_READ_ONLY',
    });
  });
});

describe('npm start with DEV_PRINCIPAL empty', () => {
  let runtime: Runtime;
  let workspace: string;

  beforeAll(async () => {
    workspace = mkdtempSync(join(tmpdir(), 'e2e-nobody-'));
    runtime = await startRuntime({
      env: localAppSettings(
        workspace,
        { webhookSecret: SECRET, token: TOKEN },
        { AUTH_MODE: 'dev', DEV_PRINCIPAL: '' },
      ),
    });
  });

  afterAll(async () => {
    await runtime?.stop();
    if (workspace) {
      await rm(workspace, { recursive: true, force: true });
      await rm(`${workspace}.secrets.json`, { force: true });
    }
  });

  it('refuses a request without a principal with 401 UNAUTHENTICATED, and takes one that has it', async () => {
    expect(runtime.output()).toContain('none: requests need an x-ms-client-principal header');
    for (const [method, path] of [
      ['GET', 'workspace/files/'],
      ['PUT', 'workspace/files/a.txt'],
      ['GET', 'audit'],
    ] as const) {
      const res = await call(runtime, 'no header', method, path, method === 'PUT' ? { body: 'a' } : {});
      expect(res.status, `${method} ${path}`).toBe(401);
      expect((await jsonOf<ErrorBody>(res)).error.code).toBe('UNAUTHENTICATED');
    }
    const health = await fetch(`${runtime.url}/api/health`);
    expect(health.status).toBe(200);
    const signedIn = await call(runtime, READER, 'GET', 'workspace/files/');
    expect(signedIn.status).toBe(200);
  });
});
