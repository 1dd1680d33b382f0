// GET /api/health (anonymous): up/down per dependency, 200 or 503. It builds its own clients
// rather than using getServices(), which waits for storage to be provisioned and so could
// not report a storage outage.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { getConfig } from '../config.js';
import { ConnectionStore } from '../jobs/connectionStore.js';
import { queueClient, stateContainer, tableClient } from '../jobs/storageClients.js';
import { QUEUES, TABLES } from '../storage-names.js';
import { createWorkspaceStore } from '../workspace/createStore.js';
import { CHECK_TIMEOUT_MS, checkHealth, type Check } from '../workspace/health.js';
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
    workspace: (abortSignal) => store.ping(abortSignal),
  };
}

const WEEK_MS = 7 * 24 * 60 * 60_000;
let connectionTable: ReturnType<typeof tableClient> | undefined;

/**
 * The connection's token, as a warning only: an expiring token is the operator's to renew and no
 * reason for the platform to recycle a healthy instance, so it never turns the answer into a 503.
 * Says when, never anything of the token itself. ConnectionStore.get() takes no abort signal, so
 * the table client carries the checks' deadline itself: without it a read from a table that never
 * answers held the answer (and a socket per probe) for ever.
 */
async function tokenWarning(): Promise<{ status: 'degraded' | 'warning'; warning: string } | undefined> {
  connectionTable ??= tableClient(getConfig().storage, TABLES.connection, {
    requestTimeoutMs: CHECK_TIMEOUT_MS,
  });
  const connection = await new ConnectionStore(connectionTable).get().catch(() => undefined);
  const expiresAt = connection?.enabled ? Date.parse(connection.tokenExpiresAt ?? '') : NaN;
  if (Number.isNaN(expiresAt)) return undefined;
  if (expiresAt <= Date.now()) {
    return {
      status: 'degraded',
      warning: `The GitHub token expired at ${new Date(expiresAt).toISOString()}; reconnect with a new one`,
    };
  }
  if (expiresAt - Date.now() < WEEK_MS) {
    return {
      status: 'warning',
      warning: `The GitHub token expires at ${new Date(expiresAt).toISOString()}; reconnect with a new one before then`,
    };
  }
  return undefined;
}

export async function health(_request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  try {
    checks ??= dependencyChecks();
    const [report, token] = await Promise.all([checkHealth(checks), tokenWarning()]);
    if (report.status !== 'healthy') return json(503, report);
    return json(200, token ? { ...report, status: token.status, warnings: [token.warning] } : report);
  } catch (error) {
    return toErrorResponse(error, context);
  }
}

app.http('health', { route: 'health', methods: ['GET'], authLevel: 'anonymous', handler: health });
