// The audit trail against Azurite's Table service, through the real @azure/data-tables client.
// The log is given a clock, so "newest first" and `since` are tested on known times.

import { TableClient, type TableEntityResult } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import { AuditLog, AuditQueryError, type AuditDetails, type AuditRecord } from '../../src/auth/audit.js';

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

/** A fine-grained personal access token's shape: github_pat_, 22 characters, _, 59 characters. */
const FINE_GRAINED_TOKEN = `github_pat_11ABCDEFG0${'k'.repeat(12)}_${'Zx9'.repeat(19)}Q1`;

async function storedRows(): Promise<TableEntityResult<Record<string, unknown>>[]> {
  const rows: TableEntityResult<Record<string, unknown>>[] = [];
  for await (const row of table.listEntities<Record<string, unknown>>()) rows.push(row);
  return rows;
}

// What reaches a row, read back raw: no GitHub token of any documented shape, yet no redaction of
// text that only looks a little like one; overlong text cut; the listing's edges (top 1 and 100,
// `since` with minutes only, a failed row without a code). docs/auth.md, "The audit trail".
describe('AuditLog rows', () => {
  // One invocation id for every row: the default derives it from the target, which these tests fill
  // with secrets and overlong text.
  const writeRow = (target: string, details?: AuditDetails) =>
    write(target, { invocationId: 'inv-1', details });

  it('redacts a fine-grained personal access token (github_pat_) in the target and in details', async () => {
    await writeRow(`https://github.com/acme/site.git?token=${FINE_GRAINED_TOKEN}`, {
      note: `connected with ${FINE_GRAINED_TOKEN}`,
    });
    expect(JSON.stringify(await storedRows())).not.toContain(FINE_GRAINED_TOKEN);
    const [entry] = (await audit.list()).entries;
    expect(entry.target).toBe('[redacted]');
    expect(entry.details).toEqual({ note: '[redacted]' });
  });

  it.each([
    [
      'in the middle of a detail',
      (url: string) => ({ target: 'docs/a.md', details: { note: `from ${url}` } }),
    ],
    ['after a space in the target', (url: string) => ({ target: ` ${url}`, details: undefined })],
    ['twice in one text', (url: string) => ({ target: `${url} and ${url}`, details: undefined })],
  ])('drops URL credentials wherever they appear: %s', async (_case, place) => {
    const { target, details } = place('https://octocat:hunter2@github.com/acme/site.git');
    await writeRow(target, details);
    const stored = JSON.stringify(await storedRows());
    expect(stored).not.toContain('hunter2');
    expect(stored).not.toContain('octocat:');
    expect(stored).toContain('https://github.com/acme/site.git');
  });

  it('keeps text that only looks a little like a secret: short gh*_ and github_pat_ words, names that merely start like one', async () => {
    const details = {
      path: 'docs/ghs_notes.md',
      runbook: 'ops/github_pat_rotation.md',
      tokenExpiresAt: '2025-04-01T00:00:00Z',
      secretRotatedAt: '2025-03-01T00:00:00Z',
      keyVaultName: 'kv-site',
      passwordPolicyVersion: 3,
    };
    const entry = await writeRow('docs/ghp_setup/readme.md', details);
    expect(entry).toMatchObject({ target: 'docs/ghp_setup/readme.md', details });
    expect((await audit.list()).entries).toEqual([entry]);
  });

  it('cuts a target or detail over 2048 characters to its first 2048 and an ellipsis', async () => {
    const long = `docs/${'deep/'.repeat(600)}file.md`;
    const cut = `${long.slice(0, 2048)}…`;
    const entry = await writeRow(long, { from: long });
    expect(entry).toMatchObject({ target: cut, details: { from: cut } });
    const [row] = await storedRows();
    expect(row.target).toBe(cut);
    expect((await audit.list()).entries).toEqual([entry]);
  });

  it('lists a failed row that carries no error code as failed with UNKNOWN', async () => {
    // A row written by hand or by an older version: the listing still says how the change ended.
    const written = await writeRow('docs/a.md');
    const [row] = await storedRows();
    await table.createEntity({
      partitionKey: String(row.partitionKey),
      rowKey: written.id.replace(/.$/, (last) => (last === '0' ? '1' : '0')),
      time: written.time,
      actorId: ADA.id,
      actorName: ADA.name,
      actorProvider: ADA.provider,
      action: 'file.delete',
      target: 'docs/b.md',
      result: 'failed',
      invocationId: 'inv-2',
    });
    const failed = (await audit.list()).entries.find((entry) => entry.target === 'docs/b.md');
    expect(failed).toMatchObject({ result: 'failed', errorCode: 'UNKNOWN' });
  });

  it('takes a top of 1 and a top of 100, the ends of the range', async () => {
    await writeMany(3);
    const one = await audit.list({ top: 1 });
    expect(one.entries.map((entry) => entry.target)).toEqual(['docs/file-2.md']);
    expect(one.continuationToken).toEqual(expect.any(String));
    const hundred = await audit.list({ top: 100 });
    expect(hundred.entries.map((entry) => entry.target)).toEqual([
      'docs/file-2.md',
      'docs/file-1.md',
      'docs/file-0.md',
    ]);
    expect(hundred.continuationToken).toBeUndefined();
  });

  it.each([
    ['Z', '2025-03-01T12:01Z'],
    ['an offset', '2025-03-01T13:01+01:00'],
  ])('takes a since with hours and minutes only and %s', async (_case, since) => {
    for (let i = 0; i < 3; i++) {
      clock = T0 + i * 60_000;
      await writeRow(`docs/minute-${i}.md`);
    }
    const { entries } = await audit.list({ since });
    expect(entries.map((entry) => entry.target)).toEqual(['docs/minute-2.md', 'docs/minute-1.md']);
  });
});
