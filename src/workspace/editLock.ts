// Per-path edit locks, and the handshake that keeps edits and syncs from interleaving.
//
// Neither store offers a conditional write, so "compare ETag, then write" must not interleave
// with another writer of the same path: each edit holds a blob lease named by a hash of its path
// (src/blobLease.ts: it holds across instances, expires when a holder dies, and aborts the write
// when it cannot be renewed).
//
// Edits and syncs: an edit takes its path lease first, then looks at the workspace lease (the one a
// sync holds for its whole run). A sync takes the workspace lease first, then waits until no edit
// lease is held. Storage is strongly consistent, so whichever comes second sees the first: an edit
// either runs wholly before a sync plans, or is refused (SYNC_IN_PROGRESS) until the sync is done.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { ContainerClient } from '@azure/storage-blob';
import { isLeased, tryAcquireLease, type HeldLease } from '../blobLease.js';
import { AppError } from '../errors.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';

export interface EditLocks {
  /**
   * Runs action holding path's edit lock, once no sync holds the workspace. `signal` aborts when
   * the lock is lost; the action must stop writing then. Waits for another edit of the same path.
   */
  withLock<T>(path: string, action: (signal: AbortSignal) => Promise<T>): Promise<T>;
}

export interface BlobEditLockOptions {
  /** Lease length; Azure allows 15-60 s. */
  leaseSeconds?: number;
  /** How long to wait for another edit of the same path before answering EDIT_IN_PROGRESS. */
  waitMs?: number;
}

const PREFIX = 'edit-locks/';

export class BlobEditLocks implements EditLocks {
  readonly #leaseSeconds: number;
  readonly #waitMs: number;

  constructor(
    private readonly container: ContainerClient,
    options: BlobEditLockOptions = {},
  ) {
    this.#leaseSeconds = options.leaseSeconds ?? 15;
    this.#waitMs = options.waitMs ?? 30_000;
  }

  async withLock<T>(path: string, action: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const lease = await this.#acquire(path);
    try {
      if (await isLeased(this.container.getBlockBlobClient(WORKSPACE_LEASE_BLOB))) {
        throw new AppError(
          'SYNC_IN_PROGRESS',
          'A sync is writing the workspace; edits are refused until it has finished',
          { retryAfterSeconds: 5 },
        );
      }
      return await action(lease.signal);
    } finally {
      await lease.release();
    }
  }

  async #acquire(path: string): Promise<HeldLease> {
    const blob = this.container.getBlockBlobClient(PREFIX + createHash('sha256').update(path).digest('hex'));
    const deadline = Date.now() + this.#waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      const lease = await tryAcquireLease(blob, { durationSeconds: this.#leaseSeconds });
      if (lease) return lease;
      if (Date.now() + delay > deadline) {
        throw new AppError('EDIT_IN_PROGRESS', `Another edit of ${path} is still running; try again`, {
          retryAfterSeconds: 5,
        });
      }
      await sleep(delay + Math.random() * delay);
    }
  }
}

/** Whether any edit holds its lock now (a sync that holds the workspace lease waits for none). */
export async function editsInFlight(container: ContainerClient): Promise<boolean> {
  for await (const blob of container.listBlobsFlat({ prefix: PREFIX })) {
    if (blob.properties.leaseState === 'leased') return true;
  }
  return false;
}

/**
 * Waits, backing off, until no edit holds its lock; false when edits are still in flight after
 * timeoutMs. `signal` (a sync's lease) ends the wait early by throwing its reason.
 */
export async function editsDrained(
  container: ContainerClient,
  timeoutMs: number,
  signal?: AbortSignal,
): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  for (let delay = 50; await editsInFlight(container); delay = Math.min(delay * 2, 1000)) {
    if (Date.now() + delay > deadline) return false;
    await sleep(delay);
    signal?.throwIfAborted();
  }
  return true;
}
