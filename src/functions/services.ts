// The composition root: builds every client once from the configuration. Function handlers
// take what they need from here; domain code receives its dependencies as arguments.

import type { ContainerClient } from '@azure/storage-blob';
import { AuditLog } from '../auth/audit.js';
import { getConfig, type Config } from '../config.js';
import { ConnectionStore } from '../jobs/connectionStore.js';
import { connectionToken } from '../jobs/connect.js';
import { ConnectionSecrets } from '../jobs/connectionSecrets.js';
import type { Connection } from '../jobs/types.js';
import { Dedupe } from '../jobs/dedupe.js';
import { JobStore } from '../jobs/jobStore.js';
import { EventQueue, SyncQueue } from '../jobs/queues.js';
import { BackupStore } from '../sync/backup.js';
import {
  backupContainer,
  ensureStorage,
  queueClient,
  stateContainer,
  tableClient,
} from '../jobs/storageClients.js';
import { createGitHubApi, type GitHubApi } from '../github/api.js';
import { createSecretStore } from '../secrets/createSecretStore.js';
import { QUEUES, TABLES } from '../storage-names.js';
import { createWorkspaceStore } from '../workspace/createStore.js';
import type { WorkspaceStore } from '../workspace/store.js';

export interface Services {
  config: Config;
  jobs: JobStore;
  connections: ConnectionStore;
  audit: AuditLog;
  dedupe: Dedupe;
  syncQueue: SyncQueue;
  events: EventQueue;
  /** Blob container for leases, edit locks and the manifest. */
  state: ContainerClient;
  store: WorkspaceStore;
  /** ZIPs of files a sync would destroy that git cannot give back (container `workspace-backups`). */
  backups: BackupStore;
  /** The connection's token and webhook secrets (Key Vault in Azure, a 0600 file locally). */
  secrets: ConnectionSecrets;
  /** A GitHub REST client (GITHUB_API_URL) for a token. */
  github(token: string): GitHubApi;
  /** The token a connection syncs with: its own (secret store) or GITHUB_TOKEN. */
  connectionToken(connection: Pick<Connection, 'tokenSource'> | undefined): Promise<string | undefined>;
  /** Resolves once queues, tables and the state container exist (created when missing). */
  ready: Promise<void>;
}

export function createServices(config: Config): Services {
  const { storage } = config;
  const secrets = new ConnectionSecrets(
    createSecretStore({
      keyVaultUrl: config.secrets.keyVaultUrl,
      clientId: config.secrets.clientId,
      localPath: config.secrets.localPath,
    }),
  );
  return {
    config,
    jobs: new JobStore(tableClient(storage, TABLES.jobs)),
    connections: new ConnectionStore(
      tableClient(storage, TABLES.connection),
      config.github.defaultConnection,
    ),
    audit: new AuditLog(tableClient(storage, TABLES.audit)),
    dedupe: new Dedupe(tableClient(storage, TABLES.jobs)),
    syncQueue: new SyncQueue(queueClient(storage, QUEUES.sync)),
    events: new EventQueue(queueClient(storage, QUEUES.events)),
    state: stateContainer(storage),
    store: createWorkspaceStore(config.workspace),
    backups: new BackupStore(backupContainer(storage), config.sync.backupKeep),
    secrets,
    github: (token) => createGitHubApi({ token, baseUrl: config.github.apiUrl }),
    connectionToken: (connection) => connectionToken(connection, secrets, config.github.token),
    ready: ensureStorage(storage),
  };
}

let services: Services | undefined;

/** The process's services, created on first use and ready before they are handed out. */
export async function getServices(): Promise<Services> {
  services ??= createServices(getConfig());
  try {
    await services.ready;
  } catch (error) {
    // Let the next call try again (storage may have been down), rather than failing forever.
    services = undefined;
    throw error;
  }
  return services;
}
