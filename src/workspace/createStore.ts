// Picks the workspace store named by WORKSPACE_BACKEND (see src/config.ts) and wires its client.

import { azureCredential } from '../azureCredential.js';
import type { TlsSettings } from '@azure/core-rest-pipeline';
import type { TokenCredential } from '@azure/identity';
import { ShareServiceClient, type StorageRetryOptions } from '@azure/storage-file-share';
import type { WorkspaceConfig } from '../config.js';
import { fileCreator, type FilesAuth } from './azureFilesCreate.js';
import { AzureFilesWorkspaceStore, type AzureFilesStoreOptions } from './azureFilesStore.js';
import { LocalWorkspaceStore } from './localStore.js';
import type { WorkspaceStore } from './store.js';

export interface StoreTuning {
  /** Retries of transient failures (503 ServerBusy, 500, resets); tests shorten the delays. */
  retry?: StorageRetryOptions;
  /** Listing page size (tests use small pages to exercise paging). */
  pageSize?: AzureFilesStoreOptions['pageSize'];
  /** Tests: a token in place of the managed identity's, and trust in an emulator's own CA. */
  credential?: TokenCredential;
  tls?: TlsSettings;
}

const DEFAULT_RETRY: StorageRetryOptions = { maxTries: 5, retryDelayInMs: 500, maxRetryDelayInMs: 10_000 };

/**
 * Policies of the SDK's default pipeline that do nothing for this client but cost CPU on every
 * request (a sync makes two per file): spans per request (tracing), the AZURE_LOG_LEVEL logger,
 * redirects (Azure Files never redirects), form-data and multipart bodies (none are sent), and
 * the browser-only cache buster. Retry, signing, the client request id, the user agent and the
 * proxy settings stay. Keep-alive is the SDK's default already (one agent per process).
 */
export const UNNEEDED_POLICIES = [
  'tracingPolicy',
  'logPolicy',
  'redirectPolicy',
  'formDataPolicy',
  'multipartPolicy',
  'storageBrowserPolicy',
] as const;

interface CorePipeline {
  removePolicy(options: { name: string }): unknown;
  getOrderedPolicies(): { name: string }[];
}

/**
 * Removes UNNEEDED_POLICIES from the service's pipeline and returns the policies left. The SDK
 * builds one core pipeline per `Pipeline` and every client derived from the service (share,
 * directory, file) shares it (getCoreClientOptions in the SDK's Pipeline.ts), so this trims them
 * all. It has no public setter: `pipeline` is protected and `_corePipeline` internal. Should an
 * SDK update rename them, nothing is trimmed and the store still works; the store-pipeline test
 * then fails.
 */
export function trimPipeline(service: ShareServiceClient): string[] {
  const holder = (service as unknown as { pipeline?: { _corePipeline?: CorePipeline } }).pipeline;
  const core = holder?._corePipeline;
  if (!core) return [];
  for (const name of UNNEEDED_POLICIES) core.removePolicy({ name });
  return core.getOrderedPolicies().map((policy) => policy.name);
}

export function createWorkspaceStore(config: WorkspaceConfig, tuning: StoreTuning = {}): WorkspaceStore {
  if (config.backend === 'local') return new LocalWorkspaceStore(config.path);
  const retryOptions = { ...DEFAULT_RETRY, ...tuning.retry };
  // A connection string carries the account key, which may create the share; with a managed
  // identity (OAuth) the REST API cannot create shares and needs the backup intent for file calls.
  const credential = config.connectionString
    ? undefined
    : (tuning.credential ?? azureCredential(config.clientId));
  const options = { retryOptions, ...(tuning.tls ? { tlsOptions: tuning.tls } : {}) };
  const service = config.connectionString
    ? ShareServiceClient.fromConnectionString(config.connectionString, options)
    : new ShareServiceClient(config.url!, credential, { ...options, fileRequestIntent: 'backup' });
  trimPipeline(service);
  const share = service.getShareClient(config.share);
  const auth = credential ? { credential } : sharedKeyOf(config.connectionString!);
  return new AzureFilesWorkspaceStore(share, {
    createShare: config.connectionString !== undefined,
    pageSize: tuning.pageSize,
    creator: auth && fileCreator(share.url, auth, { retry: retryOptions, tls: tuning.tls }),
  });
}

/**
 * The account key of a connection string, to sign the requests the SDK does not send. A
 * connection string with a SAS instead has none: then the SDK sends every request.
 */
export function sharedKeyOf(connectionString: string): FilesAuth | undefined {
  const field = (name: string) => new RegExp(`(?:^|;)\\s*${name}=([^;]+)`, 'i').exec(connectionString)?.[1];
  const accountName = field('AccountName');
  const accountKey = field('AccountKey');
  if (!accountName || !accountKey) return undefined;
  return { sharedKey: { accountName, accountKey: Buffer.from(accountKey, 'base64') } };
}
