// The one blob-lease helper (src/blobLease.ts) on its own, against Azurite: taking a lease (and
// the blob it needs), refusing a held one, renewing, giving it back, and aborting the holder's
// signal when a renewal fails. Lease semantics: "Lease Blob" in the Blob service REST reference
// (https://learn.microsoft.com/rest/api/storageservices/lease-blob): acquire on a leased blob is
// 409 LeaseAlreadyPresent, renew after a break is 409 LeaseIsBrokenAndCannotBeRenewed.
//
// Storage that answers a renewal slowly, late or never is a pass-through proxy in front of Azurite
// (tests/support/storageProxy.ts): the real SDK client, its abort handling and Azurite's lease state are all in play.

import { randomUUID } from 'node:crypto';
import { EventEmitter } from 'node:events';
import { setTimeout as delay } from 'node:timers/promises';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import {
  DEFAULT_LEASE_SECONDS,
  isLeased,
  LeaseLostError,
  RELEASE_TIMEOUT_MS,
  tryAcquireLease,
} from '../../src/blobLease.js';
import { refusal, startBlobProxy, type Answer, type ProxiedRequest } from '../support/storageProxy.js';

let container: ContainerClient;

beforeAll(async () => {
  const service = BlobServiceClient.fromConnectionString(inject('azuriteConnectionString'));
  container = service.getContainerClient(`lease-${randomUUID()}`);
  await container.create();
});

/** What storage does with one lease request: `forward` sends it to Azurite and resolves with the answer. */
type LeaseHandling = (leaseId: string, forward: () => Promise<Answer>) => Promise<Answer>;

/**
 * The blob proxy, answering each lease request (`x-ms-lease-action`, "Lease Blob") as the test decides,
 * and counting acquires, and renewals per lease as they arrive and once they are answered.
 */
async function startRenewalProxy() {
  const proxy = await startBlobProxy(inject('azuriteConnectionString'));
  const renewals = new Map<string, number>();
  const renewalsAnswered = new Map<string, number>();
  let acquires = 0;
  const changed = new EventEmitter();
  const byAction = new Map<unknown, LeaseHandling>();
  const leaseIdOf = (request: ProxiedRequest) => String(request.headers['x-ms-lease-id']);
  proxy.handle((request, forward) => {
    const handling = byAction.get(request.headers['x-ms-lease-action']);
    return handling ? handling(leaseIdOf(request), forward) : forward();
  });
  proxy.watch((request, answered) => {
    const action = request.headers['x-ms-lease-action'];
    if (action === 'renew') {
      const counts = answered ? renewalsAnswered : renewals;
      counts.set(leaseIdOf(request), (counts.get(leaseIdOf(request)) ?? 0) + 1);
    }
    if (action === 'acquire' && !answered) acquires++;
    changed.emit('change');
  });

  return {
    /** The blob of the same name, reached through the proxy. */
    blob: (name: string) => proxy.container(container.containerName).getBlockBlobClient(name),
    handleRenewals(next: LeaseHandling) {
      byAction.set('renew', next);
    },
    /** How storage answers a release (`x-ms-lease-action: release`). */
    handleReleases(next: LeaseHandling) {
      byAction.set('release', next);
    },
    /** How storage answers an acquire (`x-ms-lease-action: acquire`); `acquires()` counts them. */
    handleAcquires(next: (forward: () => Promise<Answer>) => Promise<Answer>) {
      byAction.set('acquire', (_leaseId, forward) => next(forward));
    },
    acquires: () => acquires,
    renewalsOf: (leaseId: string) => renewals.get(leaseId) ?? 0,
    answersTo: (leaseId: string) => renewalsAnswered.get(leaseId) ?? 0,
    /** Resolves once `condition` holds, checked whenever a request arrives or an answer is sent. */
    until: (condition: () => boolean) =>
      new Promise<void>((resolve) => {
        const check = () => {
          if (!condition()) return;
          changed.off('change', check);
          resolve();
        };
        changed.on('change', check);
        check();
      }),
    stop: () => proxy.stop(),
  };
}

const freshName = () => `leases/${randomUUID()}`;
const freshBlob = () => container.getBlockBlobClient(freshName());

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

describe('tryAcquireLease when storage refuses', () => {
  it('throws a refusal other than 404 at once, without creating the blob or trying again', async () => {
    const proxy = await startRenewalProxy();
    try {
      let refused = 0;
      proxy.handleAcquires((forward) =>
        refused++ === 0 ? Promise.resolve(refusal(403, 'AuthorizationFailure')) : forward(),
      );
      const name = freshName();
      await expect(tryAcquireLease(proxy.blob(name))).rejects.toMatchObject({ statusCode: 403 });
      expect(proxy.acquires()).toBe(1);
      expect(await container.getBlockBlobClient(name).exists()).toBe(false);
    } finally {
      await proxy.stop();
    }
  });

  it('creates a missing blob once: a blob still missing after that is an error, not a loop', async () => {
    const proxy = await startRenewalProxy();
    try {
      let refused = 0;
      proxy.handleAcquires((forward) =>
        refused++ < 2 ? Promise.resolve(refusal(404, 'BlobNotFound')) : forward(),
      );
      const name = freshName();
      await expect(tryAcquireLease(proxy.blob(name))).rejects.toMatchObject({ statusCode: 404 });
      expect(proxy.acquires()).toBe(2);
      expect(await container.getBlockBlobClient(name).exists()).toBe(true); // the one creation happened
    } finally {
      await proxy.stop();
    }
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

describe('a held lease when storage is slow or silent', () => {
  it('survives a renewal that answers late, seconds after it was sent, but before the lease runs out', async () => {
    const proxy = await startRenewalProxy();
    try {
      // Storage takes 2 s over every renewal; the 15 s lease still has 13 s left each time.
      proxy.handleRenewals(async (_leaseId, forward) => {
        const answer = await forward();
        await delay(2_000);
        return answer;
      });
      const lease = (await tryAcquireLease(proxy.blob(freshName()), { renewEveryMs: 100 }))!;
      const lost = aborted(lease.signal).then((reason) => {
        throw reason;
      });
      // A second renewal is only sent once the first, slow one has counted as a success.
      await Promise.race([proxy.until(() => proxy.renewalsOf(lease.leaseId) >= 2), lost]);
      expect(lease.signal.aborted).toBe(false);
      await lease.release();
    } finally {
      await proxy.stop();
    }
  });

  it('gives up on a renewal storage never answers when the lease would run out, and leaves the lease to expire', async () => {
    const proxy = await startRenewalProxy();
    try {
      // Storage applies the renewal (the lease now runs until about 20 s) but its answer never comes.
      proxy.handleRenewals((_leaseId, forward) => forward().then(() => new Promise<never>(() => {})));
      const name = freshName();
      const start = Date.now();
      const lease = (await tryAcquireLease(proxy.blob(name)))!; // 15 s, renewed at 5 s
      const reason = await aborted(lease.signal);
      const elapsed = Date.now() - start;
      expect(reason).toBeInstanceOf(LeaseLostError);
      // Not before the lease it last heard of runs out (15 s), and before a worker that met the held
      // lease comes back for it (3 s later, runJob's busy retry): no two syncs write side by side.
      expect(elapsed).toBeGreaterThanOrEqual(14_000);
      expect(elapsed).toBeLessThan(17_000);
      // A holder that gave up does not hand the lease on early: what it already sent may still
      // land, so the lease that storage did renew stays until it expires.
      await lease.release();
      expect(await isLeased(container.getBlockBlobClient(name))).toBe(true);
    } finally {
      await proxy.stop();
    }
  }, 40_000);

  it.each([
    ['answered OK', true],
    ['refused, as the lease is gone', false],
  ])(
    'ends with the release even when a renewal in flight is then %s: nothing renews or aborts afterwards',
    async (_case, reachesStorageFirst) => {
      const proxy = await startRenewalProxy();
      try {
        const held = (await tryAcquireLease(proxy.blob(freshName()), { renewEveryMs: 50 }))!;
        let arrived!: () => void;
        const inFlight = new Promise<void>((resolve) => (arrived = resolve));
        let letGo!: () => void;
        const gate = new Promise<void>((resolve) => (letGo = resolve));
        let answered = false;
        proxy.handleRenewals(async (leaseId, forward) => {
          if (leaseId !== held.leaseId || answered) return forward();
          answered = true;
          arrived();
          // Storage renews first and answers after the release, or sees the renewal after it.
          const answer = reachesStorageFirst ? await forward() : undefined;
          await gate;
          return answer ?? forward();
        });
        // The clock: a second holder with the same period, whose renewals pass untouched.
        const clock = (await tryAcquireLease(proxy.blob(freshName()), { renewEveryMs: 50 }))!;
        await inFlight;
        await held.release();
        const renewalsAtRelease = proxy.renewalsOf(held.leaseId);
        letGo();
        await proxy.until(() => proxy.answersTo(held.leaseId) === renewalsAtRelease);
        // Three renewal periods after the renewal in flight was answered.
        const ticks = proxy.renewalsOf(clock.leaseId);
        await proxy.until(() => proxy.renewalsOf(clock.leaseId) >= ticks + 3);
        expect(proxy.renewalsOf(held.leaseId)).toBe(renewalsAtRelease);
        expect(held.signal.aborted).toBe(false);
        await clock.release();
      } finally {
        await proxy.stop();
      }
    },
  );
});

describe('releasing when storage does not answer', () => {
  it('gives up after RELEASE_TIMEOUT_MS, so the sync or edit that awaits it is not held; the lease runs out by itself', async () => {
    const proxy = await startRenewalProxy();
    try {
      proxy.handleReleases(() => new Promise<never>(() => {}));
      const lease = (await tryAcquireLease(proxy.blob(freshName())))!;
      const started = performance.now();
      await lease.release();
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(RELEASE_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(RELEASE_TIMEOUT_MS + 3_000);
      expect(lease.signal.aborted).toBe(false);
    } finally {
      await proxy.stop();
    }
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
