// A worker killed half-way through its writes (SIGKILL, in its own process) leaves the job
// `running` and the workspace lease held. The redelivered message waits for the lease to
// expire, then finishes the job: the workspace converges on the commit.

import { execFile } from 'node:child_process';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { TEMP_PREFIX } from '../../src/workspace/localStore.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

const FILES = 120;

describe('sync after a worker is killed mid-sync', () => {
  let h: SyncHarness;
  beforeAll(async () => {
    h = await createSyncHarness();
  });
  afterAll(() => h.close());

  it(
    'the retry takes over once the dead worker’s lease expires and finishes the job',
    { timeout: 120_000 },
    async () => {
      const files: Record<string, string> = {};
      for (let i = 0; i < FILES; i++) files[`batch/${i % 6}/file-${i}.txt`] = `content ${i}\n`.repeat(200);
      await h.repo.writeAll(files);
      const commit = await h.repo.commitAndPush('many files');
      const jobId = await h.enqueue('push', commit);

      // The first delivery goes to a worker process that dies after half the writes.
      const [item] = (await h.syncQueue.receiveMessages({ visibilityTimeout: 2 })).receivedMessageItems;
      const exit = await new Promise<{ signal: string | null; stdout: string }>((resolve) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', join('tests', 'integration', 'syncWorkerProcess.ts')],
          {
            env: {
              ...process.env,
              SYNC_WORKER_SPEC: JSON.stringify(h.spec),
              SYNC_WORKER_MESSAGE: item!.messageText,
              SYNC_WORKER_DIE_AFTER_WRITES: String(FILES / 2),
            },
          },
          (_error, stdout) => resolve({ signal: child.signalCode, stdout }),
        );
      });
      expect(exit).toEqual({ signal: 'SIGKILL', stdout: '' });
      expect(await h.job(jobId)).toMatchObject({ status: 'running', attempt: 1 });
      // Half-written temp files of the local store are not workspace content.
      const written = (await readdir(h.workspacePath, { recursive: true, withFileTypes: true })).filter(
        (e) => e.isFile() && !e.name.startsWith(TEMP_PREFIX),
      );
      // Writes already past their rename when the kill landed count too: at least half, not all.
      expect(written.length).toBeGreaterThanOrEqual(FILES / 2);
      expect(written.length).toBeLessThan(FILES + 1);

      // Redelivery, once the message is visible again: the lease is still held by the dead worker
      // (15 s, far past the 2 s visibility), so the job waits (re-queued, no attempt spent) until
      // the lease expires, then runs to the end.
      const outcomes: string[] = [];
      await vi.waitFor(
        async () => {
          outcomes.push(...(await h.deliver()));
          expect(outcomes).toContain('succeeded');
        },
        { timeout: 60_000, interval: 250 },
      );
      expect(outcomes.at(-1)).toBe('succeeded');
      expect(outcomes.length).toBeGreaterThan(1);
      expect(outcomes.slice(0, -1).every((o) => o === 'busy')).toBe(true);
      const job = await h.job(jobId);
      expect(job).toMatchObject({ status: 'succeeded', attempt: 2, commitSynced: commit });
      // What the dead worker wrote is in the store but not in any manifest: rewritten, not trusted.
      const { added, updated, deleted, unchanged } = job.counts!;
      expect({ total: added + updated, deleted, unchanged }).toEqual({
        total: FILES + 1,
        deleted: 0,
        unchanged: 0,
      });
      expect(updated).toBeGreaterThanOrEqual(written.length);
      await h.expectStoreEquals(commit, []);
    },
  );
});
