// /api/github/connection: read (Reader), connect and disconnect (Admin), and
// /api/github/connection/rotate-secret (Admin). Behaviour lives in src/jobs/connect.ts.

import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { isLeased } from '../blobLease.js';
import { getConfig } from '../config.js';
import { AppError } from '../errors.js';
import { fullName } from '../github/repository.js';
import {
  apiToken,
  connectRepository,
  disconnectRepository,
  rotateWebhookSecret,
  type ConnectDeps,
  type ConnectSettings,
} from '../jobs/connect.js';
import type { Connection, ConnectionWebhook } from '../jobs/types.js';
import { getServices, type Services } from './services.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';
import { unsyncedFiles } from '../sync/backup.js';
import { walkAll } from '../sync/listing.js';
import { readManifest } from '../sync/manifest.js';
import { editsDrained } from '../workspace/editLock.js';
import { connectionChanged } from '../telemetry/index.js';
import { audited } from './audited.js';
import { authLevelFor, authorized } from './authorize.js';
import { readJsonObject } from './body.js';
import { errorResponse, json, toErrorResponse } from './http.js';

const EDIT_WAIT_MS = 30_000;

function settingsOf(services: Services): ConnectSettings {
  const { config } = services;
  return {
    hosts: config.github.hosts,
    allowLocalRepos: config.sync.allowLocalRepos,
    defaultToken: config.github.token,
    publicBaseUrl: config.publicBaseUrl,
    apiUrl: config.github.apiUrl,
  };
}

function depsOf(services: Services): ConnectDeps {
  return {
    ...services,
    async waitForEdits() {
      await editsDrained(services.state, EDIT_WAIT_MS);
    },
  };
}

/** What GitHub says of the app's hook, read at most once a minute. */
const hookCache = new Map<number, { at: number; value: Promise<Partial<ConnectionWebhook> & object> }>();
const HOOK_CACHE_MS = 60_000;

async function liveWebhook(services: Services, connection: Connection) {
  const hook = connection.webhook;
  if (!hook || hook.status === 'manual' || hook.id === undefined) return hook;
  let cached = hookCache.get(hook.id);
  if (!cached || Date.now() - cached.at > HOOK_CACHE_MS) {
    const token = await apiToken(connection, services.secrets, settingsOf(services));
    const [owner, repo] = fullName(connection.repositoryUrl)!.split('/') as [string, string];
    const value = token
      ? services
          .github(token)
          .getHookStatus(owner, repo, hook.id)
          .then(
            (found) =>
              found
                ? {
                    status: (found.lastResponse.code ?? 200) >= 400 || !found.active ? 'failing' : 'active',
                    lastResponse: found.lastResponse,
                  }
                : { status: 'missing' },
            (error: unknown) => ({
              lastResponse: { code: null, status: 'unknown', message: (error as Error).message },
            }),
          )
      : Promise.resolve({});
    cached = { at: Date.now(), value: value as Promise<Partial<ConnectionWebhook> & object> };
    hookCache.set(hook.id, cached);
  }
  return { ...hook, ...(await cached.value) };
}

async function view(services: Services, connection: Connection) {
  const { tokenSource, tokenExpiresAt, ...rest } = connection;
  return {
    ...rest,
    fullName: fullName(connection.repositoryUrl),
    token: tokenSource ? { source: tokenSource, expiresAt: tokenExpiresAt } : undefined,
    webhook: connection.enabled ? await liveWebhook(services, connection) : undefined,
  };
}

const read = authorized('Workspace.Reader', async (_request, context) => {
  try {
    const services = await getServices();
    const connection = await services.connections.get();
    return connection
      ? json(200, await view(services, connection))
      : errorResponse(404, 'NOT_CONNECTED', 'No repository is connected');
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

const connect = authorized('Workspace.Admin', async (request, context, actor) => {
  try {
    const services = await getServices();
    const by = { id: actor.id, name: actor.name };
    // The body is read inside audited(): a connect refused for its body is on record too.
    let target = '';
    const { connection, job } = await audited(
      services.audit,
      context,
      {
        actor,
        action: 'connection.connect',
        target: () => target,
        details: (r) => ({ jobId: r.job.id, branch: r.connection.branch }),
      },
      async () => {
        const body = await readJsonObject(request);
        target = typeof body.repositoryUrl === 'string' ? body.repositoryUrl.slice(0, 500) : '';
        return connectRepository(depsOf(services), body, settingsOf(services), by);
      },
    );
    connectionChanged(connection.createdAt === connection.updatedAt ? 'connected' : 'updated', {
      repository: fullName(connection.repositoryUrl),
      branch: connection.branch,
      tokenExpiresAt: connection.tokenExpiresAt,
      jobId: job.id,
    });
    // Hand-edited files are never lost: say up front that the first sync backs them up.
    const manifest = await readManifest(services.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB));
    const unsynced = unsyncedFiles(await walkAll(services.store), manifest, services.config.sync.exclude);
    const backup =
      unsynced.length > 0
        ? {
            expected: true,
            files: unsynced.length,
            message: `${unsynced.length} file(s) in the workspace did not come from a sync; those the first sync replaces or removes are zipped into a backup first (the job's backupId; GET /api/workspace/backups)`,
          }
        : { expected: false, files: 0 };
    return json(
      202,
      { jobId: job.id, connection: await view(services, connection), backup },
      { Location: `/api/sync/jobs/${job.id}` },
    );
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

const disconnect = authorized('Workspace.Admin', async (_request, context, actor) => {
  try {
    const services = await getServices();
    let target = '';
    const result = await audited(
      services.audit,
      context,
      { actor, action: 'connection.disconnect', target: () => target },
      async () => {
        const done = await disconnectRepository(depsOf(services), settingsOf(services), {
          id: actor.id,
          name: actor.name,
        });
        target = done.connection.repositoryUrl;
        return done;
      },
    );
    connectionChanged('disconnected', {
      repository: fullName(result.connection.repositoryUrl),
      branch: result.connection.branch,
    });
    // A sync that is running finishes its tree first; edits are refused (SYNC_IN_PROGRESS) until then.
    const syncRunning = await isLeased(services.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB));
    return json(syncRunning ? 202 : 200, {
      ...(await view(services, result.connection)),
      ...result,
      connection: undefined,
      syncRunning,
    });
  } catch (error) {
    // Nothing to disconnect is "not found" here, as for GET (elsewhere NOT_CONNECTED is a 409).
    if (error instanceof AppError && error.code === 'NOT_CONNECTED') {
      return errorResponse(404, error.code, error.message);
    }
    return toErrorResponse(error, context);
  }
});

export const rotateSecret = authorized('Workspace.Admin', async (_request, context, actor) => {
  try {
    const services = await getServices();
    const target = (await services.connections.get())?.repositoryUrl ?? '';
    const result = await audited(
      services.audit,
      context,
      { actor, action: 'connection.rotate-secret', target },
      () => rotateWebhookSecret(depsOf(services), settingsOf(services), { id: actor.id, name: actor.name }),
    );
    return json(200, result);
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

const BY_METHOD: Record<string, typeof read> = { GET: read, PUT: connect, DELETE: disconnect };

export function githubConnection(
  request: HttpRequest,
  context: InvocationContext,
): Promise<HttpResponseInit> {
  return BY_METHOD[request.method]!(request, context) as Promise<HttpResponseInit>;
}

const authLevel = authLevelFor(getConfig().auth.mode);
app.http('githubConnection', {
  route: 'github/connection',
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel,
  handler: githubConnection,
});
app.http('rotateWebhookSecret', {
  route: 'github/connection/rotate-secret',
  methods: ['POST'],
  authLevel,
  handler: rotateSecret,
});
