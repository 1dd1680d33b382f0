// GET /api/health (anonymous): up/down per dependency, 200 or 503. It builds its own clients
// rather than using getServices(), which waits for storage to be provisioned and so could
// not report a storage outage.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../config.js';
import { queueClient, stateContainer, tableClient } from '../jobs/storageClients.js';
import { QUEUES, TABLES } from '../storage-names.js';
import { createWorkspaceStore } from '../workspace/createStore.js';
import { checkHealth, type Check } from '../workspace/health.js';
import { json, toErrorResponse } from './http.js';

let checks: Record<string, Check> | undefined;

function dependencyChecks(): Record<string, Check> {
  const config = getConfig();
  const table = tableClient(config.storage, TABLES.connection);
  const queue = queueClient(config.storage, QUEUES.sync);
  const container = stateContainer(config.storage);
  const store = createWorkspaceStore(config.workspace, { retry: { maxTries: 1 } });
  return {
    table: (abortSignal) => table.listEntities({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
    queue: (abortSignal) => queue.getProperties({ abortSignal }),
    blob: (abortSignal) => container.getProperties({ abortSignal }),
    workspace: () => store.ping(),
  };
}

export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    checks ??= dependencyChecks();
    const report = await checkHealth(checks);
    return json(report.status === 'healthy' ? 200 : 503, report);
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
