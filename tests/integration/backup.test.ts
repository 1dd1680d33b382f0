// Nothing a person wrote is destroyed without a copy (DESIGN.md sync semantics 10), end to end:
// real git over HTTP, real Azurite (queues, tables, leases and the backups container), the local
// workspace store, messages delivered as the host delivers them. Backups are read back with
// Python's zipfile, a ZIP reader that shares nothing with the archiver that wrote them.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { BlobServiceClient, ContainerClient, ContainerSASPermissions } from '@azure/storage-blob';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { BackupStore, type BackupInfo } from '../../src/sync/backup.js';
import { readFolderFiles } from '../support/gitRepos.js';
import { createSyncHarness, MAX_DEQUEUE_COUNT, type SyncHarness } from './syncHarness.js';

/** Every entry of a ZIP (name → bytes) and its comment, as Python's zipfile reads them. */
async function unzipWithPython(zip: Buffer): Promise<{ files: Map<string, Buffer>; comment: string }> {
  const script = [
    'import base64, io, json, sys, zipfile',
    'z = zipfile.ZipFile(io.BytesIO(sys.stdin.buffer.read()))',
    'assert z.testzip() is None',
    'print(json.dumps({"files": {i.filename: base64.b64encode(z.read(i)).decode() for i in z.infolist()},',
    '                  "comment": z.comment.decode()}))',
  ].join('\n');
  const child = execFile('python3', ['-c', script], { encoding: 'buffer', maxBuffer: 256 * 1024 * 1024 });
  child.stdin!.end(zip);
  const stdout: Buffer[] = [];
  child.stdout!.on('data', (chunk: Buffer) => stdout.push(chunk));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  expect(code, 'python3 zipfile exit code').toBe(0);
  const parsed = JSON.parse(Buffer.concat(stdout).toString('utf8')) as {
    files: Record<string, string>;
    comment: string;
  };
  return {
    files: new Map(Object.entries(parsed.files).map(([name, b64]) => [name, Buffer.from(b64, 'base64')])),
    comment: parsed.comment,
  };
}

describe('backups before a sync destroys what people wrote', () => {
  let h: SyncHarness;
  let container: ContainerClient;
  let backups: BackupStore;

  beforeAll(async () => {
    h = await createSyncHarness();
    const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
    // Not created here: the first backup creates its container, as on a fresh Azurite.
    container = service.getContainerClient(`backups-${randomBytes(4).toString('hex')}`);
    backups = new BackupStore(container, 20);
    h.deps.backups = backups;
  });
  afterAll(async () => {
    await container?.deleteIfExists();
    await h?.close();
  });

  const handWrite = async (files: Record<string, Buffer>) => {
    for (const [path, content] of Object.entries(files)) {
      await mkdir(dirname(join(h.workspacePath, path)), { recursive: true });
      await writeFile(join(h.workspacePath, path), content);
    }
  };
  const workspaceFiles = async () =>
    new Map([...(await readFolderFiles(h.workspacePath))].map(([path, file]) => [path, file.content]));
  const allBackups = async (): Promise<BackupInfo[]> => (await backups.list(100)).backups;
  const zipOf = async (id: string) => {
    const opened = await backups.open(id);
    expect(opened, `backup ${id}`).toBeDefined();
    const chunks: Buffer[] = [];
    for await (const chunk of opened!.body) chunks.push(chunk as Buffer);
    const bytes = Buffer.concat(chunks);
    expect(bytes.length).toBe(opened!.size);
    return unzipWithPython(bytes);
  };
  const syncOnce = async (trigger: 'connect' | 'push' | 'manual' | 'poll') => {
    const jobId = await h.enqueue(trigger);
    expect(await h.deliver()).toEqual(['succeeded']);
    return h.job(jobId);
  };

  it('connecting over a never-synced workspace backs up every file it overwrites or deletes', async () => {
    await h.repo.writeAll({ 'README.md': '# from git\n', 'scripts/run.ps1': 'Write-Host hi\n' });
    const commit = await h.repo.commitAndPush('site');
    const handMade = {
      'README.md': Buffer.from('# my own notes, not in git\r\n'),
      'notes/todo.txt': Buffer.from('buy milk\n'),
      'data/blob.bin': randomBytes(300 * 1024),
      'data/big.bin': randomBytes(1536 * 1024), // over the ZIP's whole-read size: streamed
      'ünïcødé and space.txt': Buffer.from('unicode\n'),
      'empty.txt': Buffer.alloc(0),
    };
    await handWrite(handMade);
    await mkdir(join(h.workspacePath, 'empty-folder'));

    const job = await syncOnce('connect');

    expect(job.backupId).toMatch(/^\d{13}-[0-9a-f]{8}$/);
    await h.expectStoreEquals(commit, []);
    const [info, ...others] = await allBackups();
    expect(others).toEqual([]);
    const bytes = Object.values(handMade).reduce((sum, content) => sum + content.length, 0);
    expect(info).toEqual({
      id: job.backupId,
      createdAt: expect.stringMatching(/^\d{4}-\d\d-\d\dT/),
      reason: 'connect',
      jobId: job.id,
      files: 6,
      bytes,
    });
    const zip = await zipOf(job.backupId!);
    expect([...zip.files.keys()].sort()).toEqual(Object.keys(handMade).sort());
    for (const [path, content] of Object.entries(handMade)) {
      expect(zip.files.get(path)!.equals(content), `bytes of ${path}`).toBe(true);
    }
    expect(zip.comment).toBe('');
    expect(h.logs.some((line) => line.includes('"sync.backedUp"'))).toBe(true);
  });

  it('a sync over files the previous sync wrote makes no backup: git has them', async () => {
    await h.repo.write('README.md', '# from git, v2\n');
    await h.repo.remove('scripts/run.ps1');
    await h.repo.write('scripts/new.ps1', 'Write-Host new\n');
    const commit = await h.repo.commitAndPush('v2');
    const before = (await allBackups()).map((b) => b.id);

    const push = await syncOnce('push');
    const manual = await syncOnce('manual');

    await h.expectStoreEquals(commit, []);
    expect(push.counts).toMatchObject({ updated: 1, added: 1, deleted: 1 });
    expect(push.backupId).toBeUndefined();
    expect(manual.backupId).toBeUndefined();
    expect((await allBackups()).map((b) => b.id)).toEqual(before);
  });

  it('drift (an edited synced file, an added file) is backed up before it is put back', async () => {
    const commit = await h.repo.head();
    const drift = {
      'README.md': Buffer.from('# edited on the share by hand\n'),
      'scripts/extra.ps1': Buffer.from('Write-Host added by hand\n'),
    };
    await handWrite(drift);

    const job = await syncOnce('poll');

    await h.expectStoreEquals(commit, []);
    const [newest] = await allBackups();
    expect(newest).toMatchObject({ id: job.backupId, reason: 'poll', jobId: job.id, files: 2 });
    const zip = await zipOf(job.backupId!);
    expect([...zip.files.keys()].sort()).toEqual(Object.keys(drift).sort());
    for (const [path, content] of Object.entries(drift)) {
      expect(zip.files.get(path)!.equals(content), `bytes of ${path}`).toBe(true);
    }
  });

  it('keeps the newest WORKSPACE_BACKUP_KEEP backups and deletes the oldest', async () => {
    const keep = 2;
    h.deps.backups = new BackupStore(container, keep);
    try {
      const made: string[] = [];
      for (let i = 0; i < 3; i++) {
        await handWrite({ [`drift-${i}.txt`]: Buffer.from(`drift ${i}\n`) });
        made.push((await syncOnce('manual')).backupId!);
      }
      const kept = await allBackups();
      // Newest first: the container's own order, ids being inverted times.
      expect(kept.map((b) => b.id)).toEqual([made[2], made[1]]);
      expect((await zipOf(made[2]!)).files.get('drift-2.txt')?.toString()).toBe('drift 2\n');
    } finally {
      h.deps.backups = backups;
    }
  });

  it('a backup that cannot be written fails the job with BACKUP_FAILED before any file changes', async () => {
    // The container exists, but this client may only read and list it: every upload is refused
    // with 403 AuthorizationPermissionMismatch, as for an identity without write access.
    const sas = await container.generateSasUrl({
      permissions: ContainerSASPermissions.parse('rl'),
      expiresOn: new Date(Date.now() + 3_600_000),
    });
    h.deps.backups = new BackupStore(new ContainerClient(sas), 20);
    const countBefore = (await allBackups()).length;
    try {
      await handWrite({
        'README.md': Buffer.from('# precious hand edit\n'),
        'mine.txt': Buffer.from('mine\n'),
      });
      const before = await workspaceFiles();
      const jobId = await h.enqueue('manual');

      const outcomes: string[] = [];
      for (let i = 0; i < MAX_DEQUEUE_COUNT; i++) outcomes.push(...(await h.deliver()));

      expect(outcomes).toHaveLength(MAX_DEQUEUE_COUNT);
      for (const outcome of outcomes)
        expect(outcome).toMatch(/^threw BACKUP_FAILED: Could not back up 2 file/);
      const job = await h.job(jobId);
      expect(job.status).toBe('failed');
      expect(job.error?.code).toBe('BACKUP_FAILED');
      expect(job.backupId).toBeUndefined();
      const after = await workspaceFiles();
      expect([...after.keys()].sort()).toEqual([...before.keys()].sort());
      for (const [path, content] of before) expect(after.get(path)!.equals(content), path).toBe(true);
      expect(await allBackups()).toHaveLength(countBefore);
    } finally {
      h.deps.backups = backups;
    }
  });
});
