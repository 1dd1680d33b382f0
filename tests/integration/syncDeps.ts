// Builds SyncDependencies from plain, serialisable facts (connection strings, names, paths), so
// the test harness and a separate worker process (the "killed mid-sync" test) wire the very
// same thing. No vitest imports here: a child process loads this file too.

import { randomBytes } from 'node:crypto';
import { BlobServiceClient } from '@azure/storage-blob';
import type { QueueClient } from '@azure/storage-queue';
import type { StorageConfig } from '../../src/config.js';
import { ConnectionStore } from '../../src/jobs/connectionStore.js';
import { JobStore } from '../../src/jobs/jobStore.js';
import { EventQueue, SyncQueue } from '../../src/jobs/queues.js';
import { queueClient, tableClient } from '../../src/jobs/storageClients.js';
import type { SyncDependencies, SyncSettings } from '../../src/sync/runJob.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';

export interface DepsSpec {
  azurite: string;
  names: {
    jobs: string;
    connection: string;
    sync: string;
    poison: string;
    events: string;
    container: string;
  };
  /** The local workspace folder, or the emulator's connection string and share. */
  workspace: { path: string } | { connectionString: string; share: string };
  settings: SyncSettings;
}

export function storageClients(spec: DepsSpec) {
  const storage: StorageConfig = { kind: 'connectionString', connectionString: spec.azurite };
  const [syncQueue, poisonQueue, eventsQueue] = [spec.names.sync, spec.names.poison, spec.names.events].map(
    (n) => queueClient(storage, n),
  ) as [QueueClient, QueueClient, QueueClient];
  return {
    jobsTable: tableClient(storage, spec.names.jobs),
    connectionTable: tableClient(storage, spec.names.connection),
    syncQueue,
    poisonQueue,
    eventsQueue,
    container: BlobServiceClient.fromConnectionString(spec.azurite).getContainerClient(spec.names.container),
  };
}

/** The dependencies, with the full job and connection stores (tests also create jobs and connect). */
export type TestDependencies = SyncDependencies & { jobs: JobStore; connections: ConnectionStore };

export function buildDependencies(spec: DepsSpec, log: SyncDependencies['log']): TestDependencies {
  const clients = storageClients(spec);
  const store =
    'path' in spec.workspace
      ? createWorkspaceStore({ backend: 'local', path: spec.workspace.path })
      : createWorkspaceStore(
          {
            backend: 'azure-files',
            share: spec.workspace.share,
            connectionString: spec.workspace.connectionString,
          },
          { retry: { maxTries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 } },
        );
  return {
    jobs: new JobStore(clients.jobsTable),
    connections: new ConnectionStore(clients.connectionTable),
    syncQueue: new SyncQueue(clients.syncQueue),
    events: new EventQueue(clients.eventsQueue),
    state: clients.container,
    store,
    settings: { ...spec.settings },
    log,
  };
}

/** The same store, with a hook run when each write starts and when it has finished. */
export function withWriteHooks(
  store: WorkspaceStore,
  /** A hook may return a promise; the write waits for it. */
  hooks: { before?: (path: string) => unknown; after?: (path: string) => unknown },
): WorkspaceStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'write') {
        return async (...args: Parameters<WorkspaceStore['write']>) => {
          await hooks.before?.(args[0]);
          const entry = await target.write(...args);
          await hooks.after?.(args[0]);
          return entry;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Fresh names for one isolated set of tables, queues and state container. */
export function uniqueNames(): DepsSpec['names'] {
  const id = randomBytes(4).toString('hex');
  return {
    jobs: `syncjobs${id}`,
    connection: `syncconn${id}`,
    sync: `sync-${id}`,
    poison: `sync-${id}-poison`,
    events: `events-${id}`,
    container: `state-${id}`,
  };
}

/** Creates the spec's tables, queues and container. */
export async function createResources(spec: DepsSpec): Promise<void> {
  const c = storageClients(spec);
  await Promise.all([
    c.jobsTable.createTable(),
    c.connectionTable.createTable(),
    c.syncQueue.create(),
    c.poisonQueue.create(),
    c.eventsQueue.create(),
    c.container.create(),
  ]);
}

export async function deleteResources(spec: DepsSpec): Promise<void> {
  const c = storageClients(spec);
  await Promise.all([
    c.jobsTable.deleteTable(),
    c.connectionTable.deleteTable(),
    c.syncQueue.delete(),
    c.poisonQueue.delete(),
    c.eventsQueue.delete(),
    c.container.delete(),
  ]);
}
