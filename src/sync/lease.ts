// One sync per workspace at a time, across any number of instances: a blob lease with a
// bounded duration, renewed while the sync runs. A worker that dies stops renewing, so its
// lease expires and the retry can take over; a worker that loses its lease is told through
// `signal` and stops writing.

import type { BlobLeaseClient, BlockBlobClient } from '@azure/storage-blob';
import { SyncError } from './errors.js';
import { ensureBlobExists, httpStatusOf } from '../azureStorage.js';

export interface LeaseOptions {
  /** 15–60 seconds (the blob service's bounds). */
  durationSeconds?: number;
}

export interface HeldLease {
  leaseId: string;
  /** Aborted when a renewal fails: the workspace may already belong to someone else. */
  signal: AbortSignal;
  release(): Promise<void>;
}

/** Takes the lease on blob, or returns undefined when another worker holds it. */
export async function acquireLease(
  blob: BlockBlobClient,
  { durationSeconds = 60 }: LeaseOptions = {},
): Promise<HeldLease | undefined> {
  await ensureBlobExists(blob);
  const client: BlobLeaseClient = blob.getBlobLeaseClient();
  try {
    await client.acquireLease(durationSeconds);
  } catch (error) {
    if (httpStatusOf(error) === 409) return undefined;
    throw error;
  }
  const controller = new AbortController();
  const timer = setInterval(
    () => {
      client.renewLease().catch((error: unknown) => {
        clearInterval(timer);
        controller.abort(
          new SyncError(
            'LEASE_LOST',
            `The workspace lease could not be renewed: ${(error as Error).message}`,
          ),
        );
      });
    },
    (durationSeconds * 1000) / 3,
  );
  timer.unref();
  return {
    leaseId: client.leaseId,
    signal: controller.signal,
    async release() {
      clearInterval(timer);
      await client.releaseLease().catch(() => undefined); // expired or lost: nothing to give back
    },
  };
}
