// The one blob-lease helper (src/blobLease.ts) on its own, against Azurite: taking a lease (and
// the blob it needs), refusing a held one, renewing, giving it back, and aborting the holder's
// signal when a renewal fails. Lease semantics: "Lease Blob" in the Blob service REST reference
// (https://learn.microsoft.com/rest/api/storageservices/lease-blob): acquire on a leased blob is
// 409 LeaseAlreadyPresent, renew after a break is 409 LeaseIsBrokenAndCannotBeRenewed.

import { randomUUID } from 'node:crypto';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { DEFAULT_LEASE_SECONDS, isLeased, LeaseLostError, tryAcquireLease } from '../../src/blobLease.js';

let container: ContainerClient;

beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  container = service.getContainerClient(`lease-${randomUUID()}`);
  await container.create();
});

const freshBlob = () => container.getBlockBlobClient(`leases/${randomUUID()}`);

function aborted(signal: AbortSignal): Promise<unknown> {
  return new Promise((resolve) => {
    if (signal.aborted) resolve(signal.reason);
    else signal.addEventListener('abort', () => resolve(signal.reason), { once: true });
  });
}

describe('tryAcquireLease', () => {
  it('creates a missing blob, leases it for the default 15 s, and nobody else gets it', async () => {
    const blob = freshBlob();
    const lease = await tryAcquireLease(blob);
    try {
      expect(lease).toBeDefined();
      const properties = await blob.getProperties();
      expect(properties).toMatchObject({ leaseState: 'leased', leaseDuration: 'fixed', contentLength: 0 });
      expect(lease!.leaseId).toMatch(/^[0-9a-f-]{36}$/);
      expect(lease!.signal.aborted).toBe(false);
      expect(await tryAcquireLease(blob)).toBeUndefined();
      expect(DEFAULT_LEASE_SECONDS).toBe(15);
    } finally {
      await lease?.release();
    }
  });

  it('leases an existing blob without touching its content', async () => {
    const blob = freshBlob();
    await blob.upload('kept', 4);
    const lease = await tryAcquireLease(blob, { durationSeconds: 20 });
    try {
      expect(lease).toBeDefined();
      expect((await blob.downloadToBuffer()).toString()).toBe('kept');
    } finally {
      await lease?.release();
    }
  });

  it('gives the lease back on release, so the next caller gets it; releasing twice is harmless', async () => {
    const blob = freshBlob();
    const first = await tryAcquireLease(blob);
    await first!.release();
    await first!.release();
    expect(await isLeased(blob)).toBe(false);
    const second = await tryAcquireLease(blob);
    expect(second).toBeDefined();
    expect(second!.leaseId).not.toBe(first!.leaseId);
    await second!.release();
  });

  it('fails, rather than answering "held", when the blob cannot be created', async () => {
    const missing = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'))
      .getContainerClient(`missing-${randomUUID()}`)
      .getBlockBlobClient('lease');
    await expect(tryAcquireLease(missing)).rejects.toMatchObject({ statusCode: 404 });
  });

  it('refuses a duration the service does not allow, instead of answering "held"', async () => {
    await expect(tryAcquireLease(freshBlob(), { durationSeconds: 5 })).rejects.toMatchObject({
      statusCode: 400,
    });
  });
});

describe('a held lease', () => {
  it('keeps renewing: a break long after the first renewal still aborts the holder', async () => {
    const blob = freshBlob();
    const lease = (await tryAcquireLease(blob, { renewEveryMs: 20 }))!;
    // Several renewal periods pass before the break: only a lease still renewing notices it.
    for (let i = 0; i < 10; i++) await blob.getProperties();
    await blob.getBlobLeaseClient().breakLease(0);
    const reason = await aborted(lease.signal);
    expect(reason).toBeInstanceOf(LeaseLostError);
    expect(reason).toMatchObject({
      code: 'LEASE_LOST',
      name: 'LeaseLostError',
      message: expect.stringMatching(/^The lease could not be renewed: ./),
    });
    await lease.release(); // lost already: nothing to give back, and no error
  });

  it('is renewed by default a third of its duration in (5 s for 15 s), not only when it runs out', async () => {
    const blob = freshBlob();
    const lease = (await tryAcquireLease(blob))!;
    const start = Date.now();
    await blob.getBlobLeaseClient().breakLease(0);
    await aborted(lease.signal);
    // The failed renewal came at about 5 s: after the break, well before the 15 s lease ended.
    const elapsed = Date.now() - start;
    expect(elapsed).toBeGreaterThan(4_000);
    expect(elapsed).toBeLessThan(12_000);
  }, 30_000);

  it('stops renewing once released: a break after the release aborts nothing', async () => {
    const blob = freshBlob();
    const released = (await tryAcquireLease(blob, { renewEveryMs: 20 }))!;
    await released.release();
    // A second holder with the same period is the clock: once its renewal has failed, a first
    // holder still renewing would have failed too.
    const next = (await tryAcquireLease(blob, { renewEveryMs: 20 }))!;
    await blob.getBlobLeaseClient().breakLease(0);
    await aborted(next.signal);
    expect(released.signal.aborted).toBe(false);
  });
});

describe('isLeased', () => {
  it('is false for a missing blob and an unleased one, true while a lease is held', async () => {
    const blob = freshBlob();
    expect(await isLeased(blob)).toBe(false);
    await blob.upload('', 0);
    expect(await isLeased(blob)).toBe(false);
    const lease = (await tryAcquireLease(blob))!;
    expect(await isLeased(blob)).toBe(true);
    await lease.release();
    expect(await isLeased(blob)).toBe(false);
  });

  it('fails, rather than answering "not leased", when storage does not answer', async () => {
    // Nothing listens on port 1 of the loopback: a connection error, no HTTP status.
    const unreachable = new BlobServiceClient('http://127.0.0.1:1/devstoreaccount1', undefined, {
      retryOptions: { maxTries: 1 },
    })
      .getContainerClient('c')
      .getBlockBlobClient('b');
    await expect(isLeased(unreachable)).rejects.toThrow();
  });
});
