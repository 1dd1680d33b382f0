// Who may call what: every HTTP route × {no principal, Reader, Editor, Admin} against the roles of
// issue 12 and DESIGN.md's route table (R / E / A). The app registers its functions through
// @azure/functions into the dev runtime's core shim (as `npm start` does), and each request goes
// to the handler registered for its route and method, so this tests exactly what the host runs:
// AUTH_MODE=platform with App Service authentication on, the principal as Easy Auth forwards it.

import type { HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/actor.js';
import { createCoreApi, installCoreModule } from '../../src/dev/coreShim.js';
import { buildRoutes, matchRoute, type HttpRoute } from '../../src/dev/routes.js';
import { startHarness, type Harness } from '../support/appHarness.js';

type Caller = 'none' | Role;
const CALLERS: Caller[] = ['none', 'Workspace.Reader', 'Workspace.Editor', 'Workspace.Admin'];
const RANK: Record<Caller, number> = {
  none: 0,
  'Workspace.Reader': 1,
  'Workspace.Editor': 2,
  'Workspace.Admin': 3,
};

interface Case {
  method: string;
  /** A request path under /api that the route matches. */
  path: string;
  /** The route template, as registered. */
  route: string;
  needs: Role;
  body?: string;
  headers?: Record<string, string>;
}

const R = 'Workspace.Reader';
const E = 'Workspace.Editor';
const A = 'Workspace.Admin';
const JOB_ID = '8259044799999-0a1b2c3d';

/** DESIGN.md "HTTP contract", one row per method and route. */
const TABLE: Case[] = [
  { method: 'GET', path: 'github/connection', route: 'github/connection', needs: R },
  {
    method: 'PUT',
    path: 'github/connection',
    route: 'github/connection',
    needs: A,
    body: JSON.stringify({ repositoryUrl: 'ftp://example.invalid/a/b', branch: 'main' }),
  },
  { method: 'DELETE', path: 'github/connection', route: 'github/connection', needs: A },
  {
    method: 'POST',
    path: 'github/connection/rotate-secret',
    route: 'github/connection/rotate-secret',
    needs: A,
  },
  { method: 'POST', path: 'sync', route: 'sync', needs: A },
  { method: 'GET', path: 'sync/jobs', route: 'sync/jobs', needs: R },
  { method: 'GET', path: `sync/jobs/${JOB_ID}`, route: 'sync/jobs/{id}', needs: R },
  { method: 'GET', path: 'workspace/backups', route: 'workspace/backups', needs: R },
  { method: 'GET', path: `workspace/backups/${JOB_ID}`, route: 'workspace/backups/{id}', needs: R },
  { method: 'DELETE', path: `workspace/backups/${JOB_ID}`, route: 'workspace/backups/{id}', needs: A },
  { method: 'GET', path: 'audit', route: 'audit', needs: A },
  { method: 'GET', path: 'workspace/files/docs/readme.md', route: 'workspace/files/{*path}', needs: R },
  {
    method: 'PUT',
    path: 'workspace/files/docs/probe.txt',
    route: 'workspace/files/{*path}',
    needs: E,
    body: 'probe',
    headers: { 'if-none-match': '*' },
  },
  { method: 'DELETE', path: 'workspace/files/docs/gone.txt', route: 'workspace/files/{*path}', needs: E },
  { method: 'GET', path: 'workspace/zip', route: 'workspace/zip', needs: R },
];

/** Routes whose lock is not a principal: the webhook's HMAC, and the health probe's nothing. */
const ANONYMOUS = [
  { method: 'POST', path: 'github/webhook', route: 'github/webhook' },
  { method: 'GET', path: 'health', route: 'health' },
];

const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

/** The principal App Service authentication forwards for an Entra ID user holding `role`. */
function principalHeader(role: Role): string {
  const principal = {
    auth_typ: 'aad',
    name_typ: 'name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: [
      { typ: OBJECT_ID, val: `00000000-0000-0000-0000-00000000000${RANK[role]}` },
      { typ: 'name', val: `${role} user` },
      { typ: 'roles', val: role },
    ],
  };
  return Buffer.from(JSON.stringify(principal)).toString('base64');
}

let harness: Harness;
let routes: HttpRoute[];

beforeAll(async () => {
  harness = await startHarness({
    AUTH_MODE: 'platform',
    WEBSITE_AUTH_ENABLED: 'True',
    GITHUB_WEBHOOK_SECRET: 'authorization-test-secret',
  });
  // Before the app's first registration: @azure/functions looks for its host once.
  const { api, registry } = createCoreApi(() => undefined);
  installCoreModule(api);
  await import('../../src/index.js');
  routes = buildRoutes(registry.functions, 'api');
});
afterAll(() => harness?.stop());

async function call(
  method: string,
  path: string,
  caller: Caller,
  extra: Pick<Case, 'body' | 'headers'> = {},
): Promise<{ status: number; code?: string; message?: string; logs: string[] }> {
  const match = matchRoute(routes, method, `/api/${path}`);
  if (!match) throw new Error(`No function is registered for ${method} /api/${path}`);
  const headers: Record<string, string> = { ...extra.headers };
  if (caller !== 'none') headers['x-ms-client-principal'] = principalHeader(caller);
  const logsBefore = harness.logs.length;
  const response = (await match.route.registration.callback(
    harness.request({
      method,
      url: `http://localhost/api/${path}`,
      headers,
      params: match.params,
      body: extra.body === undefined ? undefined : { string: extra.body },
    }),
    harness.context(),
  )) as HttpResponseInit;
  const error = (response.jsonBody as { error?: { code: string; message: string } } | undefined)?.error;
  return {
    status: response.status ?? 200,
    code: error?.code,
    message: error?.message,
    logs: harness.logs.slice(logsBefore),
  };
}

describe('every route the app registers has a row here', () => {
  it('and no row names a route the app lacks', () => {
    const registered = routes
      .flatMap((route) => route.methods.map((method) => `${method} ${route.template}`))
      .sort();
    const expected = [...TABLE, ...ANONYMOUS].map((c) => `${c.method} ${c.route}`).sort();
    expect(registered).toEqual(expected);
  });

  it('and with AUTH_MODE=platform the host asks no function key: the principal is the lock', () => {
    expect(routes.filter((route) => route.authLevel !== 'anonymous').map((route) => route.template)).toEqual(
      [],
    );
  });
});

describe.each(TABLE.map((row) => [`${row.method} /api/${row.path} (needs ${row.needs})`, row] as const))(
  '%s',
  (_label, row) => {
    it.each(CALLERS)('caller %s', async (caller) => {
      const result = await call(row.method, row.path, caller, row);
      if (caller === 'none') {
        expect(result).toMatchObject({ status: 401, code: 'UNAUTHENTICATED' });
        expect(result.logs.join('\n')).toMatch(new RegExp(`${row.method} /api/.*${row.needs}`));
      } else if (RANK[caller] < RANK[row.needs]) {
        expect(result).toMatchObject({ status: 403, code: 'FORBIDDEN' });
        expect(result.message).toContain(row.needs);
        expect(result.logs.join('\n')).toContain(row.needs);
      } else {
        // Let through: whatever the route then answers (404 before anything exists, 409 when not
        // connected, …), it is not a refusal of the caller and not a failure.
        expect(['UNAUTHENTICATED', 'FORBIDDEN', 'INVALID_PRINCIPAL']).not.toContain(result.code);
        expect(result.status).toBeLessThan(500);
      }
    });
  },
);

describe.each(ANONYMOUS.map((row) => [`${row.method} /api/${row.path}`, row] as const))(
  '%s',
  (_label, row) => {
    it('asks no principal', async () => {
      const result = await call(row.method, row.path, 'none');
      expect(result.code).not.toBe('UNAUTHENTICATED');
      expect(result.code).not.toBe('FORBIDDEN');
    });
  },
);

describe('a refused principal', () => {
  it('is 401 INVALID_PRINCIPAL when malformed, logged without the header', async () => {
    const match = matchRoute(routes, 'GET', '/api/audit');
    if (!match) throw new Error('GET /api/audit is not registered');
    const logsBefore = harness.logs.length;
    const response = (await match.route.registration.callback(
      harness.request({
        method: 'GET',
        url: 'http://localhost/api/audit',
        headers: { 'x-ms-client-principal': 'bm90IGpzb24=' },
      }),
      harness.context(),
    )) as HttpResponseInit;
    expect(response.status).toBe(401);
    expect(response.jsonBody).toMatchObject({ error: { code: 'INVALID_PRINCIPAL' } });
    expect(harness.logs.slice(logsBefore).join('\n')).not.toContain('bm90IGpzb24=');
  });
});
