// One side of the connect benchmark: the compiled `npm start` runtime on its own Azurite and
// workspace folder, driven over HTTP as an operator would: PUT /api/github/connection with a
// token, then GET the job until it shows `succeeded`. Between rounds it disconnects and empties
// the workspace, so every connect is a full sync of the repository.

import { readdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import type { ConnectionWebhook, SyncJob } from '../../src/jobs/types.js';
import { startRuntime, waitFor, type Runtime } from '../../tests/e2e/support/runtime.js';

export interface ConnectSample {
  /** PUT → a GET that shows `succeeded`. */
  totalMs: number;
  /** PUT → 202: token check, ls-remote, secrets, webhook (on the managed side), job queued. */
  connectMs: number;
  /** Job `queuedAt` → `startedAt`. */
  queueWaitMs: number;
  /** The job's own `durationMs`: the full sync. */
  syncMs: number;
  webhook: ConnectionWebhook['status'] | undefined;
  job: SyncJob;
}

export interface ConnectSide {
  runtime: Runtime;
  connect(): Promise<ConnectSample>;
  /** DELETE the connection and empty the workspace folder (not timed). */
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/** A connect answers in well under this; a hung one fails the run (with the runtime's output). */
const CONNECT_TIMEOUT_MS = 60_000;

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export async function createConnectSide(options: {
  settings: Record<string, string>;
  port?: number;
  repositoryUrl: string;
  token: string;
  jobPollMs: number;
}): Promise<ConnectSide> {
  const { settings, repositoryUrl, token, jobPollMs } = options;
  const runtime = await startRuntime({ env: settings, port: options.port });
  const api = `${runtime.url}/api`;
  const workspace = settings.WORKSPACE_PATH!;

  return {
    runtime,
    async connect() {
      const started = performance.now();
      const accepted = await json<{ jobId: string; connection: { webhook?: ConnectionWebhook } }>(
        await fetch(`${api}/github/connection`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ repositoryUrl, branch: 'main', token }),
          signal: AbortSignal.timeout(CONNECT_TIMEOUT_MS),
        }),
      );
      const connectMs = performance.now() - started;
      const job = await waitFor(
        `job ${accepted.jobId} to finish`,
        async () => {
          const found = await json<SyncJob>(await fetch(`${api}/sync/jobs/${accepted.jobId}`));
          return ['succeeded', 'failed', 'skipped'].includes(found.status) ? found : undefined;
        },
        180_000,
        jobPollMs,
      );
      const totalMs = performance.now() - started;
      if (job.status !== 'succeeded')
        throw new Error(`connect job ended ${job.status}: ${JSON.stringify(job)}`);
      return {
        totalMs,
        connectMs,
        queueWaitMs: Date.parse(job.startedAt!) - Date.parse(job.queuedAt),
        syncMs: job.durationMs!,
        webhook: accepted.connection.webhook?.status,
        job,
      };
    },
    async reset() {
      await json(await fetch(`${api}/github/connection`, { method: 'DELETE' }));
      const entries = await readdir(workspace);
      await Promise.all(entries.map((name) => rm(join(workspace, name), { recursive: true, force: true })));
    },
    stop: async () => void (await runtime.stop()),
  };
}
