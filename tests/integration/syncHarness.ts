// Everything a sync test needs, real and isolated: Azurite tables/queues/container with names of
// its own, a git repository behind the token-checking HTTP server, a workspace store (local
// folder or the Azure Files emulator), and a delivery loop that hands queue messages to
// runSyncMessage the way the Functions host does (base64 JSON, dequeueCount, poison queue).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import type { QueueClient } from '@azure/storage-queue';
import { expect, inject } from 'vitest';
import type { JobTrigger, SyncJob, WorkspaceEvent } from '../../src/jobs/types.js';
import { runSyncMessage, type MessageOutcome, type SyncSettings } from '../../src/sync/runJob.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import {
  createTestRepo,
  fileDifferences,
  readFolderFiles,
  type ArchivedFile,
  type TestRepo,
} from '../support/gitRepos.js';
import {
  buildDependencies,
  createResources,
  deleteResources,
  storageClients,
  uniqueNames,
  type DepsSpec,
  type TestDependencies,
} from './syncDeps.js';

export const TOKEN = 'ghp_sync_test_token_4f9c2b7e';
export const MAX_DEQUEUE_COUNT = 5;

export interface HarnessOptions {
  backend?: 'local' | 'emulator';
  settings?: Partial<SyncSettings>;
}

export interface SyncHarness {
  server: GitHttpServer;
  repo: TestRepo;
  deps: TestDependencies;
  store: WorkspaceStore;
  /** Local backend: the workspace folder (inside `sandbox`). */
  workspacePath: string;
  /** A temp folder around the workspace, for files that must stay untouched. */
  sandbox: string;
  emulator?: FilesEmulator;
  syncQueue: QueueClient;
  poisonQueue: QueueClient;
  /** Every structured log line the sync wrote, as JSON. */
  logs: string[];
  /** What a separate worker process needs to build the same dependencies. */
  spec: DepsSpec;
  /** Creates a queued job record without a message. */
  createJob(trigger: JobTrigger, commit?: string): Promise<string>;
  /** Creates a job record and queues its message, as the webhook and the API do. */
  enqueue(trigger: JobTrigger, commit?: string): Promise<string>;
  /** Delivers every visible message once, in order; returns what each delivery did. */
  deliver(): Promise<(MessageOutcome | `threw ${string}`)[]>;
  job(id: string): Promise<SyncJob>;
  /** Drains the workspace-events queue. */
  events(): Promise<WorkspaceEvent[]>;
  /**
   * Asserts the store holds exactly the commit's regular files (blob bytes, exec bit) minus the
   * given paths, and only their folders; with the local backend, that the folder on disk holds
   * nothing else either (a symlink, a temp file).
   */
  expectStoreEquals(commit: string, without: Iterable<string>): Promise<void>;
  close(): Promise<void>;
}

function decode(text: string): unknown {
  return JSON.parse(Buffer.from(text, 'base64').toString('utf8'));
}

export async function createSyncHarness(options: HarnessOptions = {}): Promise<SyncHarness> {
  const names = uniqueNames();
  const id = names.container.slice('state-'.length);
  const server = await startGitHttpServer({ token: TOKEN });
  const repo = await createTestRepo(server.root, 'acme/site');
  const sandbox = await mkdtemp(join(tmpdir(), 'sync-sandbox-'));
  const workspacePath = join(sandbox, 'workspace', 'root');
  await mkdir(workspacePath, { recursive: true });
  const emulator = options.backend === 'emulator' ? await startFilesEmulator() : undefined;
  const spec: DepsSpec = {
    azurite: inject('azuriteConnectionString'),
    names,
    workspace: emulator
      ? { connectionString: emulator.connectionString, share: `ws${id}` }
      : { path: workspacePath },
    settings: {
      token: TOKEN,
      // The token-guarded git server is on loopback: listing it is how tests get the token sent.
      hosts: ['127.0.0.1'],
      allowLocalRepos: true,
      exclude: ['.git/**', '.github/**'],
      concurrency: 8,
      tempDir: sandbox,
      leaseSeconds: 15,
      busyRetrySeconds: 1,
      ...options.settings,
    },
  };
  const { syncQueue, poisonQueue, eventsQueue } = storageClients(spec);
  await createResources(spec);
  const logs: string[] = [];
  const deps = buildDependencies(spec, (event, fields) => logs.push(JSON.stringify({ event, ...fields })));
  const { jobs, store } = deps;
  await deps.connections.connect(server.repoUrl(repo.name), repo.branch);

  const harness: SyncHarness = {
    server,
    repo,
    deps,
    store,
    workspacePath,
    sandbox,
    emulator,
    syncQueue,
    poisonQueue,
    logs,
    spec,
    async createJob(trigger, commit) {
      const job = await jobs.create({
        trigger,
        repositoryUrl: server.repoUrl(repo.name),
        branch: repo.branch,
        commitRequested: commit,
      });
      return job.id;
    },
    async enqueue(trigger, commit) {
      const jobId = await harness.createJob(trigger, commit);
      await deps.syncQueue.enqueue({ jobId, trigger, commit });
      return jobId;
    },
    async deliver() {
      const outcomes: (MessageOutcome | `threw ${string}`)[] = [];
      const { receivedMessageItems } = await syncQueue.receiveMessages({
        numberOfMessages: 32,
        visibilityTimeout: 120,
      });
      for (const item of receivedMessageItems) {
        try {
          outcomes.push(
            await runSyncMessage(decode(item.messageText), deps, {
              dequeueCount: item.dequeueCount,
              maxDequeueCount: MAX_DEQUEUE_COUNT,
            }),
          );
          await syncQueue.deleteMessage(item.messageId, item.popReceipt);
        } catch (error) {
          outcomes.push(`threw ${(error as Error).message}`);
          if (item.dequeueCount >= MAX_DEQUEUE_COUNT) {
            await poisonQueue.sendMessage(item.messageText);
            await syncQueue.deleteMessage(item.messageId, item.popReceipt);
          } else {
            await syncQueue.updateMessage(item.messageId, item.popReceipt, undefined, 0);
          }
        }
      }
      return outcomes;
    },
    async job(jobId) {
      const job = await jobs.get(jobId);
      if (!job) throw new Error(`no job ${jobId}`);
      return job;
    },
    async events() {
      const events: WorkspaceEvent[] = [];
      for (;;) {
        const { receivedMessageItems } = await eventsQueue.receiveMessages({ numberOfMessages: 32 });
        if (receivedMessageItems.length === 0) return events;
        for (const item of receivedMessageItems) {
          events.push(decode(item.messageText) as WorkspaceEvent);
          await eventsQueue.deleteMessage(item.messageId, item.popReceipt);
        }
      }
    },
    async expectStoreEquals(commit, without) {
      const excluded = new Set(without);
      const expected = await repo.archive(commit);
      for (const path of excluded) expected.delete(path);
      const files = new Map<string, ArchivedFile>();
      const directories = new Set<string>();
      for await (const entry of store.walk('')) {
        if (entry.type === 'directory') {
          directories.add(entry.path);
          continue;
        }
        const stat = await store.stat(entry.path); // listings of Azure Files carry no exec bit
        files.set(entry.path, {
          content: await buffer(await store.read(entry.path)),
          executable: stat?.executable ?? false,
        });
      }
      expect(fileDifferences(files, expected), 'the store').toEqual([]);
      // The local store's API hides symlinks and temp files; the folder on disk must hold none.
      if (!emulator)
        expect(fileDifferences(await readFolderFiles(workspacePath), expected), 'on disk').toEqual([]);
      const parents = new Set<string>();
      for (const path of expected.keys()) {
        for (let i = path.indexOf('/'); i > 0; i = path.indexOf('/', i + 1)) parents.add(path.slice(0, i));
      }
      expect([...directories].sort()).toEqual([...parents].sort());
    },
    async close() {
      await emulator?.stop();
      await server.stop();
      await repo.cleanup();
      await rm(sandbox, { recursive: true, force: true });
      await deleteResources(spec);
    },
  };
  return harness;
}
