// Issue 10, items 4-6: edits and syncs never interleave, and a write under a lost lease stops.
// A file write lands wholly before a sync's plan or wholly after its manifest; the workspace's
// mode is checked under the lock the write holds; losing a lease mid-write aborts the write.
// Real parts: Azurite leases, a real git server, the local store.

import { createHash } from 'node:crypto';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { isLeased } from '../../src/blobLease.js';
import { WORKSPACE_LEASE_BLOB } from '../../src/storage-names.js';
import { BlobEditLocks, editsInFlight } from '../../src/workspace/editLock.js';
import { writeFile, type FilesDeps } from '../../src/workspace/files.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';
import { withWriteHooks } from './syncDeps.js';

let h: SyncHarness;
let files: FilesDeps;

beforeAll(async () => {
  h = await createSyncHarness({ settings: { editDrainMs: 60_000 } });
  files = {
    store: h.deps.store,
    connections: h.deps.connections,
    events: { publish: async () => undefined },
    locks: new BlobEditLocks(h.deps.state),
  };
});
afterAll(async () => {
  await h?.close();
});
beforeEach(async () => {
  await h.deps.connections.disconnect();
});

/** A request body that sends its first chunk, then waits for `finish()` (a slow client). */
function slowBody(first: string, rest: string) {
  let finish!: () => void;
  const gate = new Promise<void>((resolve) => (finish = resolve));
  async function* chunks() {
    yield Buffer.from(first);
    await gate;
    yield Buffer.from(rest);
  }
  return { body: Readable.from(chunks()), finish };
}

async function until(what: string, check: () => Promise<boolean> | boolean, timeoutMs = 30_000) {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting until ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** Records the order of store calls the sync makes, by name. */
function recording(store: WorkspaceStore, log: string[]): WorkspaceStore {
  return new Proxy(store, {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        log.push(`sync:${String(property)}`);
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
}

const connectAndQueue = async () => {
  await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
  return h.enqueue('connect', await h.repo.head());
};

describe('edits and syncs', () => {
  it('an edit in flight when a repository is connected lands wholly before the first sync plans', async () => {
    const order: string[] = [];
    const slow = slowBody('late ', 'edit\n');
    const edit = writeFile(files, 'late-edit.txt', slow.body, {}).then((result) => {
      order.push('edit:done');
      return result;
    });
    await until('the edit holds its lock', () => editsInFlight(h.deps.state));
    const jobId = await connectAndQueue();
    const realStore = h.deps.store;
    h.deps.store = recording(realStore, order);
    try {
      const delivered = h.deliver();
      // The sync holds the workspace lease and waits: an edit that starts now is refused.
      // Looked at, never taken: a probe that took the lease would make the sync wait.
      await until('the sync holds the workspace', () =>
        isLeased(h.deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB)),
      );
      await expect(
        writeFile(files, 'refused.txt', Readable.from([Buffer.from('x')]), {}),
      ).rejects.toMatchObject({
        code: 'SYNC_IN_PROGRESS',
      });
      expect(order).toEqual([]); // nothing planned, nothing written
      slow.finish();
      expect(await edit).toMatchObject({ created: true });
      expect(await delivered).toEqual(['succeeded']);
    } finally {
      h.deps.store = realStore;
    }
    expect(order[0]).toBe('edit:done');
    expect(order.filter((step) => step.startsWith('sync:')).length).toBeGreaterThan(0);
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded' });
    // The late edit is not in the connected workspace: the sync planned after it and removed it.
    await h.expectStoreEquals(await h.repo.head(), []);
    expect(await h.store.stat('refused.txt')).toBeUndefined();
  });

  it('checks the mode under the lock: an edit queued behind another one meets the connect', async () => {
    const first = slowBody('first ', 'writer\n');
    const firstEdit = writeFile(files, 'queued.txt', first.body, {});
    await until('the first edit holds its lock', () => editsInFlight(h.deps.state));
    // The second edit of the same path started while the workspace was editable; it waits.
    const secondEdit = writeFile(files, 'queued.txt', Readable.from([Buffer.from('second\n')]), {
      ifMatch: ['*'],
    });
    await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
    first.finish();
    expect(await firstEdit).toMatchObject({ created: true });
    await expect(secondEdit).rejects.toMatchObject({ code: 'WORKSPACE_READ_ONLY' });
    expect((await h.store.stat('queued.txt'))?.size).toBe('first writer\n'.length);
    await h.enqueue('manual');
    expect(await h.deliver()).toEqual(['succeeded']);
  });

  it('a disconnect during a sync lets it finish one tree; edits meanwhile get SYNC_IN_PROGRESS', async () => {
    await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
    await h.repo.write('during/disconnect.txt', 'from git\n');
    const commit = await h.repo.commitAndPush('disconnect during sync');
    const realStore = h.deps.store;
    let release!: () => void;
    const paused = new Promise<void>((resolve) => (release = resolve));
    let writing = false;
    h.deps.store = withWriteHooks(realStore, {
      before: async () => {
        writing = true;
        await paused;
      },
    });
    try {
      const jobId = await h.enqueue('manual');
      const delivered = h.deliver();
      await until('the sync is writing', () => writing);
      await h.deps.connections.disconnect();
      await expect(
        writeFile(files, 'during/disconnect.txt', Readable.from([Buffer.from('mine')]), { ifNoneMatch: '*' }),
      ).rejects.toMatchObject({ code: 'SYNC_IN_PROGRESS' });
      release();
      expect(await delivered).toEqual(['succeeded']);
      expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', commitSynced: commit });
    } finally {
      h.deps.store = realStore;
    }
    await h.expectStoreEquals(commit, []);
    // Editable again once the sync is done.
    await writeFile(files, 'after.txt', Readable.from([Buffer.from('editable')]), {});
    await h.store.deleteFile('after.txt');
  });

  it('a retry after a disconnect finishes the tree the interrupted sync began', async () => {
    await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
    await h.repo.write('retry/one.txt', 'one\n');
    await h.repo.write('retry/two.txt', 'two\n');
    const commit = await h.repo.commitAndPush('retry after disconnect');
    const realStore = h.deps.store;
    let writes = 0;
    h.deps.store = withWriteHooks(realStore, {
      before: () => {
        if (++writes === 2) throw new Error('worker died mid-sync');
      },
    });
    const jobId = await h.enqueue('manual');
    try {
      expect(await h.deliver()).toEqual([expect.stringMatching(/^threw /)]);
    } finally {
      h.deps.store = realStore;
    }
    await h.deps.connections.disconnect();
    expect(await h.deliver()).toEqual(['succeeded']);
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', commitSynced: commit, attempt: 2 });
    await h.expectStoreEquals(commit, []);
  });
});

describe('a lost lease stops the write it protects', () => {
  it('an edit whose lock cannot be renewed is aborted and leaves nothing behind', async () => {
    const slow = slowBody('never ', 'finished\n');
    const edit = writeFile(files, 'lost-lock.txt', slow.body, {});
    await until('the edit holds its lock', () => editsInFlight(h.deps.state));
    const lockBlob = h.deps.state.getBlockBlobClient(
      'edit-locks/' + createHash('sha256').update('lost-lock.txt').digest('hex'),
    );
    await lockBlob.getBlobLeaseClient().breakLease(0);
    // The next renewal (every 5 s for a 15 s lease) fails and aborts the write mid-body.
    await expect(edit).rejects.toMatchObject({ code: 'LEASE_LOST' });
    expect(await h.store.stat('lost-lock.txt')).toBeUndefined();
    slow.finish();
  });

  it('a sync whose lease is broken mid-write aborts that write and starts no other', async () => {
    await h.deps.connections.connect(h.server.repoUrl(h.repo.name), h.repo.branch);
    await h.repo.write('lost/a.txt', 'a\n');
    await h.repo.write('lost/b.txt', 'b\n');
    const commit = await h.repo.commitAndPush('lease lost mid-write');
    const realStore = h.deps.store;
    const started: string[] = [];
    let aborted: unknown;
    h.deps.store = new Proxy(realStore, {
      get(target, property) {
        if (property !== 'write') {
          const value = Reflect.get(target, property, target) as unknown;
          return typeof value === 'function' ? value.bind(target) : value;
        }
        return async (...args: Parameters<WorkspaceStore['write']>) => {
          started.push(args[0]);
          if (started.length === 1) {
            // The first write hangs until its lease is lost: a slow upload on a stalled worker.
            await h.deps.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB).getBlobLeaseClient().breakLease(0);
            const signal = args[2]!.signal!;
            await new Promise((resolve) => signal.addEventListener('abort', resolve, { once: true }));
            aborted = signal.reason;
            signal.throwIfAborted();
          }
          return target.write(...args);
        };
      },
    });
    const jobId = await h.enqueue('manual');
    try {
      expect(await h.deliver()).toEqual([expect.stringMatching(/^threw LEASE_LOST/)]);
    } finally {
      h.deps.store = realStore;
    }
    expect(aborted).toMatchObject({ code: 'LEASE_LOST' });
    const startedWhileLost = started.length;
    expect(await h.job(jobId)).toMatchObject({ status: 'queued', error: { code: 'LEASE_LOST' } });
    expect(started.length).toBe(startedWhileLost);
    expect(await h.deliver()).toEqual(['succeeded']);
    await h.expectStoreEquals(commit, []);
  });
});
