// The per-path edit locks and the edit/sync handshake (src/workspace/editLock.ts) on their own,
// against Azurite: one edit of a path at a time, EDIT_IN_PROGRESS when the wait runs out,
// SYNC_IN_PROGRESS while a sync holds the workspace lease, and the sync's wait for edits in flight.

import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeEach, describe, expect, inject, it } from 'vitest';
import { tryAcquireLease } from '../../src/blobLease.js';
import { WORKSPACE_LEASE_BLOB } from '../../src/storage-names.js';
import { BlobEditLocks, editsDrained, editsInFlight } from '../../src/workspace/editLock.js';

let container: ContainerClient;

beforeEach(async () => {
  const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  container = service.getContainerClient(`edit-locks-${randomUUID()}`);
  await container.create();
});

/** A promise and the function that settles it: an action that runs until the test lets it end. */
function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { opened, open };
}

/** Resolves once any edit holds its lock. */
async function someEditHoldsALock(): Promise<void> {
  while (!(await editsInFlight(container))) await container.exists();
}

describe('BlobEditLocks.withLock', () => {
  it('runs the action under a live lock and returns its value; the lock is gone afterwards', async () => {
    const locks = new BlobEditLocks(container);
    const result = await locks.withLock('a.txt', async (signal) => {
      expect(signal.aborted).toBe(false);
      expect(await editsInFlight(container)).toBe(true);
      return 42;
    });
    expect(result).toBe(42);
    expect(await editsInFlight(container)).toBe(false);
  });

  it('releases the lock when the action throws', async () => {
    const locks = new BlobEditLocks(container);
    await expect(
      locks.withLock('a.txt', async () => {
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(await editsInFlight(container)).toBe(false);
  });

  it('makes a second edit of the same path wait until the first has finished', async () => {
    const locks = new BlobEditLocks(container);
    const order: string[] = [];
    const first = gate();
    const one = locks.withLock('same.txt', async () => {
      order.push('first started');
      await first.opened;
      order.push('first done');
    });
    await someEditHoldsALock();
    const two = locks.withLock('same.txt', async () => void order.push('second'));
    // The second is polling for the lock: let it try a few times before the first ends.
    for (let i = 0; i < 5; i++) await container.exists();
    expect(order).toEqual(['first started']);
    first.open();
    await Promise.all([one, two]);
    expect(order).toEqual(['first started', 'first done', 'second']);
  });

  it('lets edits of different paths run at the same time', async () => {
    const locks = new BlobEditLocks(container, { waitMs: 0 });
    const first = gate();
    const one = locks.withLock('x/one.txt', () => first.opened);
    await someEditHoldsALock();
    await expect(locks.withLock('x/two.txt', async () => 'ran')).resolves.toBe('ran');
    first.open();
    await one;
  });

  it('answers EDIT_IN_PROGRESS once the wait for the same path runs out', async () => {
    const locks = new BlobEditLocks(container, { waitMs: 300 });
    const first = gate();
    const one = locks.withLock('busy.txt', () => first.opened);
    await someEditHoldsALock();
    let ran = false;
    const started = Date.now();
    await expect(locks.withLock('busy.txt', async () => void (ran = true))).rejects.toMatchObject({
      code: 'EDIT_IN_PROGRESS',
      message: 'Another edit of busy.txt is still running; try again',
      hints: { retryAfterSeconds: 5 },
    });
    // It waited (backing off) for most of waitMs before giving up.
    expect(Date.now() - started).toBeGreaterThanOrEqual(150);
    expect(ran).toBe(false);
    first.open();
    await one;
  });

  it('refuses with SYNC_IN_PROGRESS while a sync holds the workspace lease, and frees the path', async () => {
    const locks = new BlobEditLocks(container);
    const sync = (await tryAcquireLease(container.getBlockBlobClient(WORKSPACE_LEASE_BLOB)))!;
    let ran = false;
    await expect(locks.withLock('a.txt', async () => void (ran = true))).rejects.toMatchObject({
      code: 'SYNC_IN_PROGRESS',
      hints: { retryAfterSeconds: 5 },
    });
    expect(ran).toBe(false);
    expect(await editsInFlight(container)).toBe(false);
    await sync.release();
    await expect(locks.withLock('a.txt', async () => 'ran')).resolves.toBe('ran');
  });

  it('uses a lease of the given length (the service refuses one under 15 s)', async () => {
    const locks = new BlobEditLocks(container, { leaseSeconds: 5 });
    await expect(locks.withLock('a.txt', async () => 'ran')).rejects.toMatchObject({ statusCode: 400 });
  });
});

describe('editsInFlight and editsDrained', () => {
  it('see no edits in an empty container, nor a lease outside the edit-lock folder', async () => {
    const other = (await tryAcquireLease(container.getBlockBlobClient(WORKSPACE_LEASE_BLOB)))!;
    expect(await editsInFlight(container)).toBe(false);
    expect(await editsDrained(container, 0)).toBe(true);
    await other.release();
  });

  it('see a lock blob left behind by a finished edit as no edit', async () => {
    await new BlobEditLocks(container).withLock('done.txt', async () => undefined);
    expect((await container.listBlobsFlat({ prefix: 'edit-locks/' }).next()).done).toBe(false);
    expect(await editsInFlight(container)).toBe(false);
  });

  it('waits until the edit in flight has finished', async () => {
    const locks = new BlobEditLocks(container);
    const first = gate();
    let finished = false;
    const edit = locks.withLock('slow.txt', async () => {
      await first.opened;
      finished = true;
    });
    await someEditHoldsALock();
    const drained = editsDrained(container, 30_000);
    first.open();
    expect(await drained).toBe(true);
    expect(finished).toBe(true);
    await edit;
  });

  it('gives up with false when edits are still in flight after the timeout', async () => {
    const locks = new BlobEditLocks(container);
    const first = gate();
    const edit = locks.withLock('stuck.txt', () => first.opened);
    await someEditHoldsALock();
    const started = Date.now();
    expect(await editsDrained(container, 400)).toBe(false);
    expect(Date.now() - started).toBeGreaterThanOrEqual(100);
    first.open();
    await edit;
  });

  it("ends the wait with the signal's reason when the sync's lease is lost", async () => {
    const locks = new BlobEditLocks(container);
    const first = gate();
    const edit = locks.withLock('stuck.txt', () => first.opened);
    await someEditHoldsALock();
    const controller = new AbortController();
    const lost = new Error('lease lost');
    const waiting = editsDrained(container, 30_000, controller.signal);
    controller.abort(lost);
    await expect(waiting).rejects.toBe(lost);
    first.open();
    await edit;
  });
});
