// Picks the workspace store named by WORKSPACE_BACKEND (see src/config.ts) and wires its client.

import { DefaultAzureCredential } from '@azure/identity';
import { ShareServiceClient, type StorageRetryOptions } from '@azure/storage-file-share';
import type { WorkspaceConfig } from '../config.js';
import { AzureFilesWorkspaceStore, type AzureFilesStoreOptions } from './azureFilesStore.js';
import { LocalWorkspaceStore } from './localStore.js';
import type { WorkspaceStore } from './store.js';

export interface StoreTuning {
  /** Retries of transient failures (503 ServerBusy, 500, resets); tests shorten the delays. */
  retry?: StorageRetryOptions;
  /** Listing page size (tests use small pages to exercise paging). */
  pageSize?: AzureFilesStoreOptions['pageSize'];
}

const DEFAULT_RETRY: StorageRetryOptions = { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 };

export function createWorkspaceStore(config: WorkspaceConfig, tuning: StoreTuning = {}): WorkspaceStore {
  if (config.backend === 'local') return new LocalWorkspaceStore(config.path);
  const retryOptions = { ...DEFAULT_RETRY, ...tuning.retry };
  // A connection string carries the account key, which may create the share; with a managed
  // identity (OAuth) the REST API cannot create shares and needs the backup intent for file calls.
  const service = config.connectionString
    ? ShareServiceClient.fromConnectionString(config.connectionString, { retryOptions })
    : new ShareServiceClient(config.url!, new DefaultAzureCredential(), {
        retryOptions,
        fileRequestIntent: 'backup',
      });
  return new AzureFilesWorkspaceStore(service.getShareClient(config.share), {
    createShare: config.connectionString !== undefined,
    pageSize: tuning.pageSize,
  });
}
