// Per-path edit lock so that If-Match holds under concurrency: neither store offers a
// conditional write, so "compare ETag, then write" must not interleave with another writer.
//
// The lock is a blob lease in the state container (one empty blob per path, named by a hash of
// the path): it holds across instances and processes, and a crashed holder's lease expires on
// its own. Leases are renewed while the action runs, so a slow upload keeps the lock.

import { createHash } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { BlobLeaseClient, ContainerClient } from '@azure/storage-blob';
import { AppError } from '../errors.js';
import { ensureBlobExists, httpStatusOf } from '../azureStorage.js';

export interface EditLocks {
  /** Runs action while holding the edit lock for path; waits for another holder to finish. */
  withLock<T>(path: string, action: () => Promise<T>): Promise<T>;
}

export interface BlobEditLockOptions {
  /** Lease length; Azure allows 15-60 s. */
  leaseSeconds?: number;
  /** How long to wait for another holder before answering 409. */
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

  async withLock<T>(path: string, action: () => Promise<T>): Promise<T> {
    const lease = await this.#acquire(path);
    // Renew well before expiry; a failed renewal only shortens the lock, the action still ends.
    const renewal = setInterval(
      () => void lease.renewLease().catch(() => undefined),
      (this.#leaseSeconds * 1000) / 3,
    );
    try {
      return await action();
    } finally {
      clearInterval(renewal);
      await lease.releaseLease().catch(() => undefined); // it expires anyway
    }
  }

  async #acquire(path: string): Promise<BlobLeaseClient> {
    const blob = this.container.getBlockBlobClient(PREFIX + createHash('sha256').update(path).digest('hex'));
    const lease = blob.getBlobLeaseClient();
    const deadline = Date.now() + this.#waitMs;
    for (let delay = 25; ; delay = Math.min(delay * 2, 500)) {
      try {
        await lease.acquireLease(this.#leaseSeconds);
        return lease;
      } catch (error) {
        const status = httpStatusOf(error);
        if (status === 404) {
          await ensureBlobExists(blob);
          continue;
        }
        if (status !== 409) throw error;
      }
      if (Date.now() + delay > deadline) {
        throw new AppError(409, 'EDIT_IN_PROGRESS', `Another edit of ${path} is still running; try again`, {
          'Retry-After': '5',
        });
      }
      await sleep(delay + Math.random() * delay);
    }
  }
}
