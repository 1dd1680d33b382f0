// The sync against the Azure Files store (real @azure/storage-file-share client on the REST
// emulator): request counts prove the cost rules (no content reads, writes proportional to the
// change, nothing at all for a no-op), and injected storage faults show transient errors are
// retried by the client while persistent ones fail the job with the path and the storage code,
// after which the next delivery converges.

import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { writeRequests, type FilesEmulator } from '../support/files-emulator/index.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

describe('sync engine (Azure Files store on the emulator)', () => {
  let h: SyncHarness;
  let emulator: FilesEmulator;

  beforeAll(async () => {
    h = await createSyncHarness({ backend: 'emulator' });
    emulator = h.emulator!;
  });
  afterAll(() => h.close());

  async function syncOnce(trigger: 'push' | 'manual' = 'push') {
    emulator.resetCounts();
    const jobId = await h.enqueue(trigger);
    const outcomes = await h.deliver();
    const counts = { ...emulator.counts };
    return { jobId, outcomes, counts, job: await h.job(jobId) };
  }

  it('full sync: one create per file (with its content up to 4 MiB), ranges beyond, one per folder, no content reads', async () => {
    await h.repo.writeAll({
      'a/b/c/deep.txt': 'deep\n',
      'a/sibling.md': '# sibling\n',
      'big.bin': randomBytes(5 * 1024 * 1024),
      'empty.txt': '',
      'ünï cødé #%+.txt': 'names\n',
    });
    await h.repo.write('bin/tool', '#!/bin/sh\n', { executable: true });
    await h.repo.symlink('escape', '../../x');
    const commit = await h.repo.commitAndPush('content');
    const { outcomes, counts, job } = await syncOnce();
    expect(outcomes).toEqual(['succeeded']);
    expect(job.counts).toMatchObject({ added: 7, skipped: 1 });
    expect(counts.getFile ?? 0).toBe(0);
    expect(counts.createFile).toBe(7);
    expect(counts.createDirectory).toBe(4); // a, a/b, a/b/c, bin
    expect(counts.list).toBe(1); // no manifest yet: the whole share is listed, and it is empty
    // Up to 4 MiB travels with Create File; only the 5 MiB file needs ranges (two).
    expect(counts.putRange).toBe(2);
    await h.expectStoreEquals(commit, ['escape']);
  });

  it('a reconcile with nothing to do writes and reads nothing but listings', async () => {
    const { outcomes, counts, job } = await syncOnce('manual');
    expect(outcomes).toEqual(['succeeded']);
    expect(job.counts).toMatchObject({ added: 0, updated: 0, deleted: 0, unchanged: 7 });
    expect(writeRequests(counts)).toBe(0);
    expect(counts.getFile ?? 0).toBe(0);
    expect(counts.list).toBe(5); // a reconcile lists every folder once: the root, a, a/b, a/b/c, bin
  });

  it('a one-file change costs one write (Create File with its content) and no downloads', async () => {
    await h.repo.write('a/sibling.md', '# changed\n');
    const commit = await h.repo.commitAndPush('one file');
    const { counts, job } = await syncOnce();
    expect(job.counts).toMatchObject({ added: 0, updated: 1, deleted: 0, unchanged: 6 });
    expect(writeRequests(counts)).toBe(1);
    expect(counts.getFile ?? 0).toBe(0);
    expect(counts.list).toBe(1); // a push lists the changed file's folder (a) and nothing else
    await h.expectStoreEquals(commit, ['escape']);
  });

  it('a no-op push costs no storage writes and no clone', async () => {
    const before = h.server.requests.length;
    const { outcomes, counts } = await syncOnce();
    expect(outcomes).toEqual(['skipped']);
    expect(writeRequests(counts)).toBe(0);
    expect(counts.total).toBe(0);
    expect(h.server.requests.length - before).toBeLessThanOrEqual(2);
  });

  it('a transient fault on the 50th write is retried by the client; the job succeeds', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 80; i++) files[`many/${i % 4}/f${i}.txt`] = `file ${i}\n`;
    await h.repo.writeAll(files);
    const commit = await h.repo.commitAndPush('80 files');
    emulator.setFaults([{ kind: 'InternalError', operation: 'createFile', nth: 50 }]);
    const { outcomes, counts, job } = await syncOnce();
    expect(outcomes).toEqual(['succeeded']);
    expect(job.counts).toMatchObject({ added: 80 });
    expect(counts.list).toBe(5); // the new folders many/0..3 and many above them, not the rest of the share
    await h.expectStoreEquals(commit, ['escape']);
  });

  it('a persistent fault on the 50th write fails the attempt with path and code; the retry converges', async () => {
    const files: Record<string, string> = {};
    for (let i = 0; i < 80; i++) files[`more/${i % 4}/g${i}.txt`] = `file ${i}\n`;
    await h.repo.writeAll(files);
    await h.repo.remove('many/0');
    const commit = await h.repo.commitAndPush('80 more files');
    emulator.setFaults([{ kind: 'InternalError', operation: 'createFile', nth: 50, times: 1000 }]);
    const first = await syncOnce();
    expect(first.outcomes).toEqual([expect.stringMatching(/^threw STORAGE_ERROR/)]);
    expect(first.job).toMatchObject({ status: 'queued', attempt: 1, error: { code: 'STORAGE_ERROR' } });
    expect(first.job.error!.message).toMatch(/^Could not write "more\/\d\/g\d+\.txt": InternalError: /);
    // The folders of the change: more, more/0..3 (new) and many, many/0 (removed).
    expect(first.counts.list).toBe(7);

    emulator.setFaults([]);
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(first.jobId);
    expect(job).toMatchObject({ status: 'succeeded', attempt: 2, commitSynced: commit });
    expect(job.counts).toMatchObject({ deleted: 20 });
    expect(job.error).toBeUndefined(); // the first attempt's error does not outlive the success
    await h.expectStoreEquals(commit, ['escape']);
  });
});
