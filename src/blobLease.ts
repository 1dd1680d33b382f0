// The one blob lease helper, used by the workspace sync lease and the per-path edit locks.
//
// A lease has a bounded duration and is renewed while its holder works. A holder that dies stops
// renewing, so its lease expires and someone else can take over. A holder whose renewal fails (the
// lease was broken, expired during a stall, or storage is unreachable) may no longer own what the
// lease protects: `signal` aborts at once, and every write running under it must stop.

import type { BlobLeaseClient, BlockBlobClient } from '@azure/storage-blob';
import { ensureBlobExists, httpStatusOf } from './azureStorage.js';

/** The abort reason of a lease that could not be renewed. */
export class LeaseLostError extends Error {
  readonly code = 'LEASE_LOST';
  constructor(message: string) {
    super(message);
    this.name = 'LeaseLostError';
  }
}

export interface LeaseOptions {
  /** 15–60 seconds (the blob service's bounds). */
  durationSeconds?: number;
  /** Renewal period; a third of the duration by default, so two renewals may fail late. */
  renewEveryMs?: number;
}

export interface HeldLease {
  leaseId: string;
  /** Aborted (with a LeaseLostError) when a renewal fails. */
  signal: AbortSignal;
  /** Stops renewing and gives the lease back; safe to call twice. */
  release(): Promise<void>;
}

export const DEFAULT_LEASE_SECONDS = 15;
/**
 * How long release() waits for storage. A sync or an edit awaits it on its way out; a release that
 * never answered would hold them for as long as the request hangs.
 */
export const RELEASE_TIMEOUT_MS = 5_000;

/** Takes the lease on blob (creating the blob when missing), or undefined when someone holds it. */
export async function tryAcquireLease(
  blob: BlockBlobClient,
  options: LeaseOptions = {},
): Promise<HeldLease | undefined> {
  const durationSeconds = options.durationSeconds ?? DEFAULT_LEASE_SECONDS;
  const client: BlobLeaseClient = blob.getBlobLeaseClient();
  for (let attempt = 0; ; attempt++) {
    try {
      await client.acquireLease(durationSeconds);
      break;
    } catch (error) {
      const status = httpStatusOf(error);
      if (status === 409) return undefined;
      if (status !== 404 || attempt > 0) throw error;
      await ensureBlobExists(blob);
    }
  }
  return holdLease(client, durationSeconds * 1000, options.renewEveryMs ?? (durationSeconds * 1000) / 3);
}

function holdLease(client: BlobLeaseClient, durationMs: number, renewEveryMs: number): HeldLease {
  const controller = new AbortController();
  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  const lose = (why: string) => {
    stopped = true;
    controller.abort(new LeaseLostError(`The lease could not be renewed: ${why}`));
  };
  const renew = async () => {
    // A renewal that has not answered before the lease would run out is as good as failed.
    const timeout = AbortSignal.timeout(Math.max(1000, durationMs - renewEveryMs));
    try {
      await client.renewLease({ abortSignal: timeout });
    } catch (error) {
      if (!stopped) lose((error as Error).message);
      return;
    }
    if (!stopped) schedule();
  };
  const schedule = () => {
    timer = setTimeout(() => void renew(), renewEveryMs);
    timer.unref();
  };
  schedule();
  return {
    leaseId: client.leaseId,
    signal: controller.signal,
    async release() {
      if (stopped) return;
      stopped = true;
      clearTimeout(timer);
      // Expired, lost or unanswered: nothing to give back, and the lease runs out by itself.
      const deadline = AbortSignal.timeout(RELEASE_TIMEOUT_MS);
      await client.releaseLease({ abortSignal: deadline }).catch(() => undefined);
    },
  };
}

/** Whether someone holds a lease on blob right now (a missing blob is not leased). */
export async function isLeased(blob: BlockBlobClient): Promise<boolean> {
  try {
    const properties = await blob.getProperties();
    return properties.leaseState === 'leased';
  } catch (error) {
    if (httpStatusOf(error) === 404) return false;
    throw error;
  }
}
