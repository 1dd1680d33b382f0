// The sync flow end to end on the local store: real git over HTTP with token auth, real
// Azurite queues, tables and blob leases, messages delivered as the host delivers them.
// Each test has its own repository, queues, tables and workspace, syncs the state it starts
// from, pushes something, syncs, and checks the workspace equals the commit's tree.

import { randomBytes } from 'node:crypto';
import { readdir, readFile, rename, stat, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { QueueClient } from '@azure/storage-queue';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { tryAcquireLease as acquireLease } from '../../src/blobLease.js';
import { getServices } from '../../src/functions/services.js';
import { readHostSettings } from '../../src/hostJson.js';
import { queueJob } from '../../src/jobs/intake.js';
import type { SyncJob } from '../../src/jobs/types.js';
import { QUEUES, WORKSPACE_LEASE_BLOB as MANIFEST_BLOB } from '../../src/storage-names.js';
import { FULL_LISTING_EVERY_MS } from '../../src/sync/runJob.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { startAppQueueHost } from '../support/appQueueHost.js';
import { startHarness } from '../support/appHarness.js';
import { startGitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo } from '../support/gitRepos.js';
import { withWriteHooks } from './syncDeps.js';
import { createSyncHarness, TOKEN, type SyncHarness } from './syncHarness.js';

const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');
const skippedOf = (job: SyncJob) =>
  Object.fromEntries((job.skippedPaths ?? []).map((s) => [s.path, s.reason]));

/** What most tests start from: ordinary files, an executable, and two paths the workspace never gets. */
const BASE_FILES = {
  'docs/guide/intro.md': '# Intro\n',
  'old/one.txt': '1\n',
  'old/two.txt': '2\n',
  'rename-me.txt': 'rename\n',
  'empty.txt': '',
  '.github/workflows/ci.yml': 'on: push\n',
};
/** BASE_FILES' paths the workspace must not hold: excluded by SYNC_EXCLUDE, and a symbolic link. */
const BASE_SKIPPED = ['.github/workflows/ci.yml', 'links/passwd'];

/** Delivers once the queue hands a message out again (a re-queued one first waits out its delay). */
async function deliverWhenVisible(h: SyncHarness) {
  return vi.waitFor(
    async () => {
      const outcomes = await h.deliver();
      if (outcomes.length === 0) throw new Error('no message visible yet');
      return outcomes;
    },
    { timeout: 30_000, interval: 50 },
  );
}

describe('sync engine (local store)', () => {
  let h: SyncHarness;
  const outside = { sentinel: '', content: 'outside the workspace\n' };

  beforeEach(async () => {
    h = await createSyncHarness();
    outside.sentinel = join(h.sandbox, 'workspace', 'x'); // what `../../x` from a nested file points at
    await writeFile(outside.sentinel, outside.content);
  });

  afterEach(async () => {
    try {
      // Nothing outside the workspace is written, whatever links the repository holds.
      expect(await readFile(outside.sentinel, 'utf8')).toBe(outside.content);
      expect(await readdir(join(h.sandbox, 'workspace'))).toEqual(['root', 'x']);
      // Clones live in SYNC_TEMP_DIR (the sandbox here) only while a sync runs, failed ones included.
      expect((await readdir(h.sandbox)).filter((name) => name.startsWith('workspace-sync-'))).toEqual([]);
      // Secrets never reach the logs.
      for (const line of h.logs) {
        expect(line).not.toContain(TOKEN);
        expect(line).not.toContain(BASIC);
      }
    } finally {
      await h.close();
    }
  });

  /** Pushes BASE_FILES, an executable script and a link, and syncs them with a connect job. */
  async function syncBase(): Promise<string> {
    await h.repo.writeAll(BASE_FILES);
    await h.repo.write('scripts/run.sh', '#!/bin/sh\necho hi\n', { executable: true });
    await h.repo.symlink('links/passwd', '/etc/passwd');
    const commit = await h.repo.commitAndPush('base');
    await h.enqueue('connect');
    expect(await h.deliver()).toEqual(['succeeded']);
    await h.expectStoreEquals(commit, BASE_SKIPPED);
    await h.events(); // each test sees only the events of what it does itself
    return commit;
  }

  async function expectNoSecrets(job: SyncJob) {
    const text = JSON.stringify(job);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(BASIC);
  }

  it('first sync writes every kind of file and lists what it skipped', async () => {
    const binary = randomBytes(5 * 1024 * 1024);
    await h.repo.writeAll({
      'docs/guide/intro.md': '# Intro\n',
      'docs/guide/deep/more.md': 'more\n',
      'assets/blob.bin': binary,
      'empty.txt': '',
      'ünïcødé name.txt': 'unicode\n',
      'with space #hash %pct +plus.txt': 'odd names\n',
      'README.md': 'upper\n',
      'readme.md': 'lower\n',
      'aux.txt': 'reserved\n',
      'trailing.': 'dot\n',
      '.github/workflows/ci.yml': 'on: push\n',
      'old/one.txt': '1\n',
      'old/two.txt': '2\n',
      'rename-me.txt': 'rename\n',
    });
    await h.repo.write('scripts/run.sh', '#!/bin/sh\necho hi\n', { executable: true });
    await h.repo.symlink('links/passwd', '/etc/passwd');
    await h.repo.symlink('links/nested/escape', '../../x');
    await h.repo.commit('content');
    await h.repo.addGitlink('vendor/lib', await h.repo.head());
    const commit = await h.repo.commitAndPush('with submodule');

    const jobId = await h.enqueue('connect');
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(jobId);
    expect(job).toMatchObject({ status: 'succeeded', commitSynced: commit, attempt: 1 });
    expect(skippedOf(job)).toEqual({
      '.github/workflows/ci.yml': 'excluded by SYNC_EXCLUDE',
      'aux.txt': 'reserved name "aux.txt"',
      'links/nested/escape': 'symbolic link (not followed)',
      'links/passwd': 'symbolic link (not followed)',
      'readme.md': 'case-insensitive collision with README.md',
      'trailing.': 'name ends with a dot or a space',
      'vendor/lib': 'submodule',
    });
    expect(job.skippedTotal).toBe(7);
    const skippedPaths = Object.keys(skippedOf(job));
    const files = [...(await h.repo.archive(commit)).keys()].filter((p) => !skippedPaths.includes(p)).length;
    expect(job.counts).toEqual({ added: files, updated: 0, deleted: 0, unchanged: 0, skipped: 7 });
    expect(job.startedAt && job.finishedAt && job.durationMs! >= 0).toBeTruthy();
    await h.expectStoreEquals(commit, skippedPaths);
    expect((await stat(join(h.workspacePath, 'scripts/run.sh'))).mode & 0o111).toBe(0o111);
    await expectNoSecrets(job);

    expect(await h.events()).toEqual([
      { type: 'synced', jobId, commit, added: files, updated: 0, deleted: 0 },
    ]);
    expect(await h.deps.connections.get()).toMatchObject({
      lastSyncCommit: commit,
      lastSyncStatus: 'succeeded',
      lastSyncDurationMs: job.durationMs,
    });
    // The token travelled in the Authorization header of every git request, never in a URL.
    const served = h.server.requests;
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((r) => r.authorization === `Basic ${BASIC}` && !r.url.includes(TOKEN))).toBe(true);
  });

  it('updates, deletes, renames and removes folders that became empty', async () => {
    await syncBase();
    await h.repo.write('docs/guide/intro.md', '# Intro, edited\n');
    await h.repo.remove('old');
    await h.repo.write('renamed/there.txt', 'rename\n'); // a rename, as git sees it
    await h.repo.remove('rename-me.txt');
    await h.repo.write('scripts/run.sh', 'not executable any more\n');
    const commit = await h.repo.commitAndPush('edit');

    const jobId = await h.enqueue('push', commit);
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(jobId);
    expect(job.counts).toMatchObject({ added: 1, updated: 2, deleted: 3, skipped: BASE_SKIPPED.length });
    await h.expectStoreEquals(commit, BASE_SKIPPED);
    expect(await h.store.stat('old')).toBeUndefined();
    expect(await h.events()).toEqual([{ type: 'synced', jobId, commit, added: 1, updated: 2, deleted: 3 }]);
  });

  it('a push whose head is already synced ends skipped after one ls-remote, without cloning', async () => {
    await syncBase();
    const before = h.server.requests.length;
    const head = await h.repo.head();
    const jobId = await h.enqueue('push', head);
    expect(await h.deliver()).toEqual(['skipped']);
    expect(await h.job(jobId)).toMatchObject({ status: 'skipped', commitSynced: head });
    const calls = h.server.requests.slice(before);
    // ls-remote: the ref advertisement and, in protocol v2, one ls-refs command; a clone would add a fetch.
    expect(calls.length).toBeLessThanOrEqual(2);
    expect(await h.events()).toEqual([]);
  });

  it('a duplicate message does nothing; an older message never moves the workspace back', async () => {
    await syncBase();
    const first = await h.repo.commitAndPush('first');
    await h.repo.write('newer.txt', 'newer\n');
    const second = await h.repo.commitAndPush('second');
    const older = await h.createJob('push', first);
    const newer = await h.createJob('push', second);
    // The newer message arrives first, then the older one, then the newer one again.
    await h.deps.syncQueue.enqueue({ jobId: newer, trigger: 'push', commit: second });
    await h.deps.syncQueue.enqueue({ jobId: older, trigger: 'push', commit: first });
    await h.deps.syncQueue.enqueue({ jobId: newer, trigger: 'push', commit: second });
    expect(await h.deliver()).toEqual(['succeeded', 'skipped', 'duplicate']);
    expect(await h.job(newer)).toMatchObject({ status: 'succeeded', commitSynced: second });
    expect(await h.job(older)).toMatchObject({ status: 'skipped', commitSynced: second });
    await h.expectStoreEquals(second, BASE_SKIPPED);
    await h.events();
  });

  it('repairs drift (edited, added and deleted behind its back) on a reconcile, from metadata alone', async () => {
    await syncBase();
    await writeFile(join(h.workspacePath, 'docs/guide/intro.md'), 'edited in the share\n');
    await writeFile(join(h.workspacePath, 'stray.txt'), 'not in git\n');
    await unlink(join(h.workspacePath, 'empty.txt'));

    const jobId = await h.enqueue('manual');
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(jobId);
    expect(job.counts).toMatchObject({ added: 1, updated: 1, deleted: 1 });
    await h.expectStoreEquals(await h.repo.head(), BASE_SKIPPED);
    await h.events();
    // A reconcile with nothing to do changes nothing and announces nothing.
    const again = await h.enqueue('manual');
    await h.deliver();
    expect((await h.job(again)).counts).toMatchObject({ added: 0, updated: 0, deleted: 0 });
    expect(await h.events()).toEqual([]);
  });

  it('a push lists only what it changes; drift elsewhere waits for a full listing, at most FULL_LISTING_EVERY_MS', async () => {
    await syncBase();
    await writeFile(join(h.workspacePath, 'stray-elsewhere.txt'), 'not in git\n');
    await h.repo.write('docs/guide/intro.md', '# Intro, pushed\n');
    const pushed = await h.repo.commitAndPush('one file');
    const quick = await h.enqueue('push', pushed);
    expect(await h.deliver()).toEqual(['succeeded']);
    expect((await h.job(quick)).counts).toMatchObject({ added: 0, updated: 1, deleted: 0 });
    expect(await readFile(join(h.workspacePath, 'stray-elsewhere.txt'), 'utf8')).toBe('not in git\n');

    // Once the last full listing is old, the next push lists everything and repairs the drift.
    const blob = h.deps.state.getBlockBlobClient(MANIFEST_BLOB);
    const manifest = JSON.parse((await blob.downloadToBuffer()).toString('utf8'));
    manifest.fullListingAt = new Date(Date.now() - FULL_LISTING_EVERY_MS - 1000).toISOString();
    await blob.upload(JSON.stringify(manifest), Buffer.byteLength(JSON.stringify(manifest)));
    await h.repo.write('docs/guide/intro.md', '# Intro, pushed again\n');
    const later = await h.enqueue('push', await h.repo.commitAndPush('another'));
    expect(await h.deliver()).toEqual(['succeeded']);
    expect((await h.job(later)).counts).toMatchObject({ updated: 1, deleted: 1 });
    await h.expectStoreEquals(await h.repo.head(), BASE_SKIPPED);
    await h.events();
  });

  it('a force-push that rewrites history is followed', async () => {
    await syncBase();
    await h.repo.write('history.txt', 'rewritten\n');
    await h.repo.remove('rename-me.txt');
    const commit = await h.repo.rewriteHistory();
    const jobId = await h.enqueue('push', commit);
    expect(await h.deliver()).toEqual(['succeeded']);
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', commitSynced: commit });
    await h.expectStoreEquals(commit, BASE_SKIPPED);
    await h.events();
  });

  it('a push during a sync: the running job finishes its commit, the next job brings the new head', async () => {
    await syncBase();
    await h.repo.write('during/a.txt', 'a\n');
    const first = await h.repo.commitAndPush('before');
    const realStore = h.deps.store;
    let pushed: Promise<string> | undefined;
    h.deps.store = withWriteHooks(realStore, {
      before: () => {
        pushed ??= h.repo.write('during/b.txt', 'b\n').then(() => h.repo.commitAndPush('during'));
      },
    });
    const running = await h.enqueue('push', first);
    try {
      expect(await h.deliver()).toEqual(['succeeded']);
    } finally {
      h.deps.store = realStore;
    }
    const second = await pushed!;
    expect(await h.job(running)).toMatchObject({ commitSynced: first });
    await h.expectStoreEquals(first, BASE_SKIPPED);
    const next = await h.enqueue('push', second);
    expect(await h.deliver()).toEqual(['succeeded']);
    expect(await h.job(next)).toMatchObject({
      commitSynced: second,
      counts: expect.objectContaining({ added: 1 }),
    });
    await h.expectStoreEquals(second, BASE_SKIPPED);
    await h.events();
  });

  it('a held lease defers the job without spending an attempt; it runs once the lease is free', async () => {
    await syncBase();
    await h.repo.write('lease.txt', 'lease\n');
    const commit = await h.repo.commitAndPush('lease');
    const other = await acquireLease(h.deps.state.getBlockBlobClient(MANIFEST_BLOB), { durationSeconds: 15 });
    expect(other).toBeDefined();
    const jobId = await h.enqueue('push', commit);
    expect(await h.deliver()).toEqual(['busy']);
    expect(await h.job(jobId)).toMatchObject({ status: 'queued', attempt: 0 });
    await other!.release();
    expect(await deliverWhenVisible(h)).toEqual(['succeeded']); // after the re-queued message's delay
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', attempt: 1, commitSynced: commit });
    await h.events();
  });

  it('a sync that loses its lease to another worker fails the attempt instead of writing the manifest', async () => {
    await syncBase();
    await h.repo.write('lost.txt', 'lost\n');
    const commit = await h.repo.commitAndPush('lease lost');
    const blob = h.deps.state.getBlockBlobClient(MANIFEST_BLOB);
    const realStore = h.deps.store;
    let thief: Promise<unknown> | undefined;
    h.deps.store = withWriteHooks(realStore, {
      before: () =>
        // Another worker breaks the lease and takes the workspace while this sync is writing.
        (thief ??= blob
          .getBlobLeaseClient()
          .breakLease(0)
          .then(() => acquireLease(blob, { durationSeconds: 15 }))),
    });
    const jobId = await h.enqueue('push', commit);
    try {
      expect(await h.deliver()).toEqual([expect.stringMatching(/^threw LEASE_LOST/)]);
    } finally {
      h.deps.store = realStore;
    }
    expect(await h.job(jobId)).toMatchObject({ status: 'queued', error: { code: 'LEASE_LOST' } });
    const held = (await thief) as Awaited<ReturnType<typeof acquireLease>>;
    await held!.release();
    expect(await h.deliver()).toEqual(['succeeded']);
    expect(await h.job(jobId)).toMatchObject({ status: 'succeeded', attempt: 2, commitSynced: commit });
    await h.expectStoreEquals(commit, BASE_SKIPPED);
    await h.events();
  });

  it('a repository that no longer exists is REPOSITORY_UNREACHABLE (git: "repository ... not found"), not CLONE_FAILED', async () => {
    const commit = await syncBase();
    const moved = `${h.repo.barePath}.gone`;
    await rename(h.repo.barePath, moved);
    try {
      const jobId = await h.enqueue('manual');
      expect(await h.deliver()).toEqual([expect.stringMatching(/^threw REPOSITORY_UNREACHABLE/)]);
      expect(await h.job(jobId)).toMatchObject({
        status: 'queued',
        error: { code: 'REPOSITORY_UNREACHABLE' },
      });
    } finally {
      await rename(moved, h.repo.barePath);
    }
    await h.expectStoreEquals(commit, BASE_SKIPPED);
  });

  // Moving the message to the poison queue is the host's half: see the queue-host suite below.
  it('failures are retried: each delivery records its attempt and error; the last allowed one marks the job failed', async () => {
    const commit = await syncBase();
    const token = h.deps.settings.token;
    h.deps.settings.token = 'ghp_wrong_token_value';
    try {
      const jobId = await h.enqueue('manual');
      for (let attempt = 1; attempt < 5; attempt++) {
        expect(await h.deliver()).toEqual([expect.stringMatching(/^threw REPOSITORY_UNREACHABLE/)]);
        expect(await h.job(jobId)).toMatchObject({
          status: 'queued',
          attempt,
          error: { code: 'REPOSITORY_UNREACHABLE' },
        });
      }
      expect(await h.deliver()).toEqual([expect.stringMatching(/^threw REPOSITORY_UNREACHABLE/)]);
      const job = await h.job(jobId);
      expect(job).toMatchObject({ status: 'failed', attempt: 5, error: { code: 'REPOSITORY_UNREACHABLE' } });
      expect(job.error!.message).not.toContain('ghp_wrong_token_value');
      expect(await h.deps.connections.get()).toMatchObject({
        lastSyncStatus: 'failed',
        lastSyncCommit: commit,
      });
    } finally {
      h.deps.settings.token = token;
    }
    await h.expectStoreEquals(commit, BASE_SKIPPED);
  });
});

describe('poison handling through the queue host `npm start` uses', () => {
  it('a message that fails maxDequeueCount times lands in workspace-sync-poison and its job is failed with the reason', async () => {
    const { maxDequeueCount } = readHostSettings().queues;
    const git = await startGitHttpServer({ token: TOKEN });
    let gitStopped: Promise<void> | undefined;
    const stopGit = () => (gitStopped ??= git.stop());
    const files = { 'README.md': '# site\n', 'scripts/run.sh': 'echo hi\n' };
    const repo = await createTestRepo(git.root, 'acme/site', { initialFiles: files });
    const app = await startHarness({
      GITHUB_TOKEN: TOKEN,
      GITHUB_HOSTS: '127.0.0.1',
      SYNC_ALLOW_LOCAL_REPOS: 'true',
    });
    // The real workspace-sync function, hosted as `npm start` hosts it, on this file's own Azurite.
    const host = await startAppQueueHost(
      () => import('../../src/functions/workspaceSync.js'),
      app.azurite.connectionString,
    );
    try {
      expect(host.queues).toEqual([QUEUES.sync]);
      const services = await getServices();
      const connection = await services.connections.connect(git.repoUrl(repo.name), repo.branch);
      const jobDone = (id: string) =>
        vi.waitFor(
          async () => {
            const job = await services.jobs.get(id);
            if (!job || !['succeeded', 'failed', 'skipped'].includes(job.status))
              throw new Error(`job ${id} is ${job?.status}`);
            return job;
          },
          { timeout: 60_000, interval: 100 },
        );
      const synced = await jobDone((await queueJob(services, connection, 'connect')).id);
      const commit = await repo.head();
      expect(synced).toMatchObject({ status: 'succeeded', commitSynced: commit, attempt: 1 });

      // The git host goes away: every delivery of the next job fails.
      await stopGit();
      const { id: jobId } = await queueJob(services, connection, 'manual');
      const queue = new QueueClient(app.azurite.connectionString, QUEUES.sync);
      const poison = new QueueClient(app.azurite.connectionString, QUEUES.syncPoison);
      const poisoned = await vi.waitFor(
        async () => {
          const { peekedMessageItems } = await poison.peekMessages({ numberOfMessages: 32 });
          // The host sends the copy first, then deletes the original: wait for both.
          const { approximateMessagesCount } = await queue.getProperties();
          if (peekedMessageItems.length === 0 || approximateMessagesCount !== 0)
            throw new Error('the message is not in the poison queue yet');
          return peekedMessageItems;
        },
        { timeout: 60_000, interval: 100 },
      );
      expect(poisoned.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')))).toEqual([
        { jobId, trigger: 'manual' },
      ]);
      const job = await services.jobs.get(jobId);
      expect(job).toMatchObject({
        status: 'failed',
        attempt: maxDequeueCount,
        error: { code: 'REPOSITORY_UNREACHABLE' },
      });
      expect(job!.error!.message).not.toContain(TOKEN);
      expect(await services.connections.get()).toMatchObject({
        lastSyncStatus: 'failed',
        lastSyncCommit: commit,
      });
      expect(host.logs.filter((line) => line.includes('moved to workspace-sync-poison'))).toEqual([
        expect.stringContaining(`(failed ${maxDequeueCount} times)`),
      ]);
      // The failed attempts changed nothing in the workspace.
      const store = createWorkspaceStore({ backend: 'local', path: app.workspace });
      const inStore: Record<string, string> = {};
      for await (const entry of store.walk(''))
        if (entry.type === 'file')
          inStore[entry.path] = (await buffer(await store.read(entry.path))).toString();
      expect(inStore).toEqual(files);
      for (const line of [...host.logs, ...app.logs]) expect(line).not.toContain(TOKEN);
    } finally {
      await host.stop();
      await app.stop();
      await stopGit();
      await repo.cleanup();
    }
  });
});
