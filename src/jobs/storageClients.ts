// Clients for the storage account the app keeps its state in (AzureWebJobsStorage), built
// from either a connection string (Azurite, keys) or the managed identity.

import type { PipelinePolicy } from '@azure/core-rest-pipeline';
import { TableClient, TableServiceClient, type TableServiceClientOptions } from '@azure/data-tables';
import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { QueueServiceClient, type QueueClient } from '@azure/storage-queue';
import { azureCredential } from '../azureCredential.js';
import type { StorageConfig } from '../config.js';
import { BACKUP_CONTAINER, QUEUES, STATE_CONTAINER, TABLES } from '../storage-names.js';

function credential(storage: Extract<StorageConfig, { kind: 'identity' }>) {
  return azureCredential(storage.clientId);
}

/** Azurite speaks an older Tables dialect over plain HTTP; the SDK needs to be told. */
function allowHttp(connectionString: string): { allowInsecureConnection: boolean } {
  return {
    allowInsecureConnection: /(DefaultEndpointsProtocol=http;|=http:\/\/|UseDevelopmentStorage)/i.test(
      connectionString,
    ),
  };
}

export interface TableTuning {
  /**
   * Deadline of every request the client sends, for callers that cannot hand an abort signal to
   * the call they make (a store method that takes none). It is the pipeline request's own
   * `timeout`: at the deadline the SDK's Node HTTP client aborts and destroys the request and its
   * socket (@typespec/ts-http-runtime nodeHttpClient.js, `request.timeout` → `req.destroy()`), and
   * the AbortError is not retried. Without one a request to an endpoint that never answers waits,
   * socket open, for ever: Node's client requests have no default timeout.
   */
  requestTimeoutMs?: number;
}

function requestTimeout(timeoutMs: number): PipelinePolicy {
  return {
    name: 'requestTimeout',
    sendRequest: (request, next) => {
      request.timeout = timeoutMs;
      return next(request);
    },
  };
}

export function tableClient(storage: StorageConfig, table: string, tuning: TableTuning = {}): TableClient {
  const options: TableServiceClientOptions = tuning.requestTimeoutMs
    ? { additionalPolicies: [{ policy: requestTimeout(tuning.requestTimeoutMs), position: 'perRetry' }] }
    : {};
  return storage.kind === 'connectionString'
    ? TableClient.fromConnectionString(storage.connectionString, table, {
        ...options,
        ...allowHttp(storage.connectionString),
      })
    : new TableClient(storage.tableUrl, table, credential(storage), options);
}

export function queueClient(storage: StorageConfig, queue: string): QueueClient {
  const service =
    storage.kind === 'connectionString'
      ? QueueServiceClient.fromConnectionString(storage.connectionString)
      : new QueueServiceClient(storage.queueUrl, credential(storage));
  return service.getQueueClient(queue);
}

function blobContainer(storage: StorageConfig, name: string): ContainerClient {
  const service =
    storage.kind === 'connectionString'
      ? BlobServiceClient.fromConnectionString(storage.connectionString)
      : new BlobServiceClient(storage.blobUrl, credential(storage));
  return service.getContainerClient(name);
}

/** Leases, edit locks and the manifest. */
export function stateContainer(storage: StorageConfig): ContainerClient {
  return blobContainer(storage, STATE_CONTAINER);
}

/** Backups of what a sync would destroy. */
export function backupContainer(storage: StorageConfig): ContainerClient {
  return blobContainer(storage, BACKUP_CONTAINER);
}

/**
 * Creates the queues, tables and container the app uses when they are missing. Bicep creates
 * them in Azure; locally (Azurite) this is what makes a fresh emulator usable.
 */
export async function ensureStorage(storage: StorageConfig): Promise<void> {
  const tables =
    storage.kind === 'connectionString'
      ? TableServiceClient.fromConnectionString(storage.connectionString, allowHttp(storage.connectionString))
      : new TableServiceClient(storage.tableUrl, credential(storage));
  await Promise.all([
    ...Object.values(TABLES).map((name) => tables.createTable(name)),
    ...Object.values(QUEUES).map((name) => queueClient(storage, name).createIfNotExists()),
    stateContainer(storage).createIfNotExists(),
  ]);
}
