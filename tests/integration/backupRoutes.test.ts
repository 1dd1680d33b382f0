// /api/workspace/backups through the real handlers (authorized(), the app's services) against a
// private Azurite: list newest first with paging, download streamed, delete (audited), 404s.

import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import type { HttpHandler, HttpResponseInit } from '@azure/functions';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Role } from '../../src/auth/actor.js';
import { backupContainer } from '../../src/jobs/storageClients.js';
import { BackupStore, type BackupInfo } from '../../src/sync/backup.js';
import { startHarness, type Harness } from '../support/appHarness.js';

const T0 = Date.parse('2025-03-01T12:00:00.000Z');

let harness: Harness;
let routes: typeof import('../../src/functions/workspaceBackups.js');
let services: Awaited<ReturnType<typeof import('../../src/functions/services.js').getServices>>;

/** A Static Web Apps-shaped principal: AUTH_MODE=dev takes it from the request's header. */
const principal = (role: Role) =>
  Buffer.from(
    JSON.stringify({ identityProvider: 'aad', userId: `user-${role}`, userDetails: role, userRoles: [role] }),
  ).toString('base64');

async function call(
  handler: HttpHandler,
  method: string,
  path: string,
  role: Role,
  params: Record<string, string> = {},
): Promise<HttpResponseInit & { body?: unknown }> {
  return (await handler(
    harness.request({
      method,
      url: `http://localhost/api/${path}`,
      headers: { 'x-ms-client-principal': principal(role) },
      params,
    }),
    harness.context(),
  )) as HttpResponseInit;
}

const listed = async (query = '') => {
  const response = await call(
    routes.listWorkspaceBackups,
    'GET',
    `workspace/backups${query}`,
    'Workspace.Reader',
  );
  return {
    status: response.status,
    ...(response.jsonBody as { backups: BackupInfo[]; continuationToken?: string }),
  };
};

/** Three backups one second apart (oldest first), each holding its own random bytes. */
const made: { info: BackupInfo; bytes: Buffer }[] = [];

beforeAll(async () => {
  harness = await startHarness({ AUTH_MODE: 'dev' });
  routes = await import('../../src/functions/workspaceBackups.js');
  services = await (await import('../../src/functions/services.js')).getServices();
});
afterAll(() => harness?.stop());

describe('workspace backup routes', () => {
  it('lists nothing and finds nothing before the first backup (the container does not exist yet)', async () => {
    expect(await listed()).toEqual({ status: 200, backups: [] });
    const id = '8259044799999-0a1b2c3d';
    const params = { id };
    const path = `workspace/backups/${id}`;
    expect((await call(routes.downloadWorkspaceBackup, 'GET', path, 'Workspace.Reader', params)).status).toBe(
      404,
    );
    expect((await call(routes.deleteWorkspaceBackup, 'DELETE', path, 'Workspace.Admin', params)).status).toBe(
      404,
    );
  });

  it('lists backups newest first, paged by top and a continuation token', async () => {
    let clock = T0;
    // The services' container, with a clock: ids are inverted times, so the order is known.
    const store = new BackupStore(backupContainer(services.config.storage), 20, () => clock);
    for (const [i, reason] of (['connect', 'push', 'manual'] as const).entries()) {
      clock = T0 + i * 1000;
      const bytes = randomBytes(100_000 + i);
      const info = await store.write(() => Readable.from([bytes]), {
        reason,
        jobId: `job-${i}`,
        files: i + 1,
        bytes: 10 * (i + 1),
      });
      made.push({ info, bytes });
    }
    const newestFirst = made.map((m) => m.info).reverse();

    const all = await listed();
    expect(all.backups).toEqual(newestFirst);
    expect(all.backups[0]).toEqual({
      id: expect.stringMatching(/^\d{13}-[0-9a-f]{8}$/),
      createdAt: '2025-03-01T12:00:02.000Z',
      reason: 'manual',
      jobId: 'job-2',
      files: 3,
      bytes: 30,
    });
    expect(all.continuationToken).toBeUndefined();

    const first = await listed('?top=2');
    expect(first.backups).toEqual(newestFirst.slice(0, 2));
    expect(first.continuationToken).toEqual(expect.any(String));
    const second = await listed(`?top=2&continuationToken=${encodeURIComponent(first.continuationToken!)}`);
    expect(second.backups).toEqual(newestFirst.slice(2));
    expect(second.continuationToken).toBeUndefined();

    for (const top of ['0', '101', 'two']) {
      const response = await listed(`?top=${top}`);
      expect(response.status, `top=${top}`).toBe(400);
    }
  });

  it('downloads one as an attachment, streamed', async () => {
    const { info, bytes } = made[1]!;
    const response = await call(
      routes.downloadWorkspaceBackup,
      'GET',
      `workspace/backups/${info.id}`,
      'Workspace.Reader',
      {
        id: info.id,
      },
    );
    expect(response.status).toBe(200);
    expect(response.headers).toMatchObject({
      'Content-Type': 'application/zip',
      'Content-Length': String(bytes.length),
      'Content-Disposition': `attachment; filename="backup-${info.id}.zip"`,
    });
    expect(response.body).toBeInstanceOf(Readable);
    const chunks: Buffer[] = [];
    for await (const chunk of response.body as Readable) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).equals(bytes)).toBe(true);
  });

  it('answers 404 for a backup that does not exist or an id that is not one', async () => {
    for (const id of ['0000000000000-00000000', '../workspace-sync-state', 'x']) {
      const response = await call(
        routes.downloadWorkspaceBackup,
        'GET',
        `workspace/backups/${id}`,
        'Workspace.Reader',
        {
          id,
        },
      );
      expect(response.status, id).toBe(404);
      expect(response.jsonBody).toMatchObject({ error: { code: 'BACKUP_NOT_FOUND' } });
    }
  });

  it('deletes one for an admin (204, then 404), refuses a reader, and audits both deletes', async () => {
    const { id } = made[0]!.info;
    const path = `workspace/backups/${id}`;
    expect(
      (await call(routes.deleteWorkspaceBackup, 'DELETE', path, 'Workspace.Reader', { id })).status,
    ).toBe(403);
    expect((await listed()).backups.map((b) => b.id)).toContain(id);

    expect((await call(routes.deleteWorkspaceBackup, 'DELETE', path, 'Workspace.Admin', { id })).status).toBe(
      204,
    );
    expect((await listed()).backups.map((b) => b.id)).toEqual([made[2]!.info.id, made[1]!.info.id]);
    const again = await call(routes.deleteWorkspaceBackup, 'DELETE', path, 'Workspace.Admin', { id });
    expect(again.status).toBe(404);
    expect(again.jsonBody).toMatchObject({ error: { code: 'BACKUP_NOT_FOUND' } });

    const { entries } = await services.audit.list();
    expect(entries.filter((e) => e.action === 'backup.delete' && e.target === id)).toEqual([
      expect.objectContaining({ target: id, result: 'failed', errorCode: 'BACKUP_NOT_FOUND' }),
      expect.objectContaining({
        target: id,
        result: 'succeeded',
        actor: { id: 'user-Workspace.Admin', name: 'Workspace.Admin', provider: 'aad' },
      }),
    ]);
  });
});
