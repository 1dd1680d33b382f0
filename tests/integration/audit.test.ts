// The audit trail against Azurite's Table service, through the real @azure/data-tables client.
// The log is given a clock, so "newest first" and `since` are tested on known times.

import { TableClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import { AuditLog, AuditQueryError, type AuditRecord } from '../../src/auth/audit.js';

const ADA: Actor = { id: '5b5450db-eb26-4c1a-981c-ba1d25f0483d', name: 'Ada', roles: [], provider: 'aad' };
const T0 = Date.parse('2025-03-01T12:00:00.000Z');

let table: TableClient;
let clock: number;
let audit: AuditLog;

beforeEach(async () => {
  // A table per test: each starts empty, and nothing depends on another test's rows.
  table = TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `Audit${randomBytes(6).toString('hex')}`,
    { allowInsecureConnection: true },
  );
  await table.createTable();
  clock = T0;
  audit = new AuditLog(table, () => clock);
});

const write = (target: string, extra: Partial<AuditRecord> = {}) =>
  audit.record({
    actor: ADA,
    action: 'file.write',
    target,
    result: 'succeeded',
    invocationId: `inv-${target}`,
    ...extra,
  } as AuditRecord);

/** Records `count` writes one second apart, starting at T0; returns their targets oldest first. */
async function writeMany(count: number): Promise<string[]> {
  const targets: string[] = [];
  for (let i = 0; i < count; i++) {
    clock = T0 + i * 1000;
    targets.push(`docs/file-${i}.md`);
    await write(`docs/file-${i}.md`);
  }
  return targets;
}

async function listAll(query: { top?: number; since?: string } = {}): Promise<string[][]> {
  const pages: string[][] = [];
  let continuationToken: string | undefined;
  do {
    const page = await audit.list({ ...query, continuationToken });
    pages.push(page.entries.map((entry) => entry.target));
    continuationToken = page.continuationToken;
  } while (continuationToken);
  return pages;
}

describe('AuditLog', () => {
  it('keeps one row per change with who, what, when, result and invocation id', async () => {
    await write('scripts/run.ps1', { details: { bytes: 120, created: true } });
    clock += 1;
    await audit.record({
      actor: ADA,
      action: 'file.delete',
      target: 'scripts/old.ps1',
      result: 'failed',
      errorCode: 'WORKSPACE_READ_ONLY',
      invocationId: 'inv-2',
    });
    const { entries, continuationToken } = await audit.list();
    expect(continuationToken).toBeUndefined();
    expect(entries).toEqual([
      {
        id: expect.stringMatching(/^\d{13}-[0-9a-f]{8}$/),
        time: '2025-03-01T12:00:00.001Z',
        actor: { id: ADA.id, name: 'Ada', provider: 'aad' },
        action: 'file.delete',
        target: 'scripts/old.ps1',
        result: 'failed',
        errorCode: 'WORKSPACE_READ_ONLY',
        invocationId: 'inv-2',
      },
      {
        id: expect.stringMatching(/^\d{13}-[0-9a-f]{8}$/),
        time: '2025-03-01T12:00:00.000Z',
        actor: { id: ADA.id, name: 'Ada', provider: 'aad' },
        action: 'file.write',
        target: 'scripts/run.ps1',
        result: 'succeeded',
        invocationId: 'inv-scripts/run.ps1',
        details: { bytes: 120, created: true },
      },
    ]);
  });

  it('lists newest first in pages of top, each page one range read, until the token runs out', async () => {
    const targets = await writeMany(7);
    expect(await listAll({ top: 3 })).toEqual([
      targets.slice(4).reverse(),
      targets.slice(1, 4).reverse(),
      targets.slice(0, 1),
    ]);
  });

  it('defaults to 20 a page', async () => {
    await writeMany(21);
    const first = await audit.list();
    expect(first.entries).toHaveLength(20);
    expect(first.continuationToken).toEqual(expect.any(String));
  });

  it('lists only rows at or after since, including the since millisecond itself, and pages within them', async () => {
    const targets = await writeMany(6);
    const since = new Date(T0 + 2000).toISOString();
    expect(await listAll({ since })).toEqual([targets.slice(2).reverse()]);
    expect((await listAll({ since, top: 3 })).flat()).toEqual(targets.slice(2).reverse());
    expect(await listAll({ since: '2025-03-01T13:00:00+01:00' })).toEqual([targets.reverse()]);
    expect(await listAll({ since: '2025-03-02' })).toEqual([[]]);
  });

  it.each([
    ['a top of 0', { top: 0 }, /top/],
    ['a top over 100', { top: 101 }, /top/],
    ['a fractional top', { top: 2.5 }, /top/],
    ['a top that was not a number', { top: Number('ten') }, /top/],
    ['a since that is not a date', { since: 'yesterday' }, /since/],
    ['a since with a time but no offset', { since: '2025-03-01T12:00:00' }, /since/],
    ['garbage for a token', { continuationToken: 'not-a-token' }, /continuationToken/],
    [
      'base64 JSON without a next partition key',
      { continuationToken: Buffer.from(JSON.stringify({ nextRowKey: 'x' })).toString('base64') },
      /continuationToken/,
    ],
  ])('refuses %s with INVALID_QUERY', async (_case, query, message) => {
    await writeMany(1);
    const refused = await audit.list(query).then(
      () => undefined,
      (error: unknown) => error,
    );
    expect(refused).toBeInstanceOf(AuditQueryError);
    expect(refused).toMatchObject({ code: 'INVALID_QUERY', message: expect.stringMatching(message) });
  });

  it('keeps secrets out of rows: URL credentials, token-shaped values, secret-named details', async () => {
    const token = `ghp_${'A1b2C3d4'.repeat(5)}`;
    await audit.record({
      actor: ADA,
      action: 'connection.connect',
      target: `https://x-access-token:${token}@github.com/acme/site.git`,
      result: 'succeeded',
      invocationId: 'inv-connect',
      details: {
        branch: 'main',
        token,
        webhookSecret: 'e3b0c44298fc1c149afbf4c8996fb924',
        note: `used ${token}`,
        repository: `https://octocat:hunter2@github.com/acme/site.git`,
      },
    });
    const rows: unknown[] = [];
    for await (const row of table.listEntities()) rows.push(row);
    const stored = JSON.stringify(rows);
    expect(stored).not.toContain(token);
    expect(stored).not.toContain('e3b0c44298fc1c149afbf4c8996fb924');
    expect(stored).not.toContain('hunter2');
    const [entry] = (await audit.list()).entries;
    expect(entry.target).toBe('https://github.com/acme/site.git');
    expect(entry.details).toEqual({
      branch: 'main',
      token: '[redacted]',
      webhookSecret: '[redacted]',
      note: '[redacted]',
      repository: 'https://github.com/acme/site.git',
    });
  });
});
