// What reaches an AuditLog row, read back from Azurite's Table service through the real
// @azure/data-tables client: no GitHub token of any documented shape, yet no redaction of text that
// only looks a little like one; overlong text cut; and the listing's edges (top 1 and 100, `since`
// with minutes only, a failed row without a code). docs/auth.md, "The audit trail", is the contract.

import { TableClient, type TableEntityResult } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import type { Actor } from '../../src/auth/actor.js';
import { AuditLog, type AuditDetails, type AuditRecord } from '../../src/auth/audit.js';

const ADA: Actor = { id: '5b5450db-eb26-4c1a-981c-ba1d25f0483d', name: 'Ada', roles: [], provider: 'aad' };
const T0 = Date.parse('2025-03-01T12:00:00.000Z');
/** A fine-grained personal access token's shape: github_pat_, 22 characters, _, 59 characters. */
const FINE_GRAINED_TOKEN = `github_pat_11ABCDEFG0${'k'.repeat(12)}_${'Zx9'.repeat(19)}Q1`;

let table: TableClient;
let clock: number;
let audit: AuditLog;

beforeEach(async () => {
  // A table per test: each starts empty, and nothing depends on another test's rows.
  table = TableClient.fromConnectionString(
    inject('azuriteConnectionString'),
    `AuditRows${randomBytes(6).toString('hex')}`,
    { allowInsecureConnection: true },
  );
  await table.createTable();
  clock = T0;
  audit = new AuditLog(table, () => clock);
});

const write = (target: string, details?: AuditDetails) =>
  audit.record({
    actor: ADA,
    action: 'connection.connect',
    target,
    result: 'succeeded',
    invocationId: 'inv-1',
    details,
  } satisfies AuditRecord);

async function storedRows(): Promise<TableEntityResult<Record<string, unknown>>[]> {
  const rows: TableEntityResult<Record<string, unknown>>[] = [];
  for await (const row of table.listEntities<Record<string, unknown>>()) rows.push(row);
  return rows;
}

describe('AuditLog rows', () => {
  it('redacts a fine-grained personal access token (github_pat_) in the target and in details', async () => {
    await write(`https://github.com/acme/site.git?token=${FINE_GRAINED_TOKEN}`, {
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
    await write(target, details);
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
    const entry = await write('docs/ghp_setup/readme.md', details);
    expect(entry).toMatchObject({ target: 'docs/ghp_setup/readme.md', details });
    expect((await audit.list()).entries).toEqual([entry]);
  });

  it('cuts a target or detail over 2048 characters to its first 2048 and an ellipsis', async () => {
    const long = `docs/${'deep/'.repeat(600)}file.md`;
    const cut = `${long.slice(0, 2048)}…`;
    const entry = await write(long, { from: long });
    expect(entry).toMatchObject({ target: cut, details: { from: cut } });
    const [row] = await storedRows();
    expect(row.target).toBe(cut);
    expect((await audit.list()).entries).toEqual([entry]);
  });

  it('lists a failed row that carries no error code as failed with UNKNOWN', async () => {
    // A row written by hand or by an older version: the listing still says how the change ended.
    const written = await write('docs/a.md');
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
    for (let i = 0; i < 3; i++) {
      clock = T0 + i * 1000;
      await write(`docs/file-${i}.md`);
    }
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
      await write(`docs/minute-${i}.md`);
    }
    const { entries } = await audit.list({ since });
    expect(entries.map((entry) => entry.target)).toEqual(['docs/minute-2.md', 'docs/minute-1.md']);
  });
});
