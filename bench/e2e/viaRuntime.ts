// The measured side: the compiled `npm start` runtime as a child process, driven only over HTTP
// the way GitHub and an operator would — connect, a signed push delivery, job polling.

import { join } from 'node:path';
import { buildPushPayload, deliver } from '../../src/dev/webhook.js';
import type { SyncJob } from '../../src/jobs/types.js';
import { REPO_ROOT, startRuntime, waitFor, type Runtime } from '../../tests/e2e/support/runtime.js';

const FINISHED = ['succeeded', 'failed', 'skipped'];

export interface RuntimeSample {
  /** POST of the delivery → a GET that shows `succeeded`. */
  totalMs: number;
  /** POST → 202 (verify, dedupe, job record, enqueue). */
  intakeMs: number;
  /** Job `queuedAt` → `startedAt`: the message waiting for the queue poll, then job read and lease. */
  queueWaitMs: number;
  /** The job's own `durationMs` (started → finished). */
  syncMs: number;
  /** Job `finishedAt` → the GET that saw it: the final job write plus the client's poll lag. */
  seenAfterMs: number;
  job: SyncJob;
}

export interface RuntimeSide {
  runtime: Runtime;
  connect(repositoryUrl: string, branch: string): Promise<SyncJob>;
  /** Builds the signed payload for the pushed head (not timed), delivers it and polls (timed). */
  syncPush(options: {
    repositoryUrl: string;
    branch: string;
    head: string;
    token: string;
    /** Resolves when it is time to deliver (the idle gap); awaited after the payload is built. */
    ready: () => Promise<void>;
  }): Promise<RuntimeSample>;
  stop(): Promise<void>;
}

async function json<T>(res: Response): Promise<T> {
  const text = await res.text();
  if (!res.ok) throw new Error(`HTTP ${res.status}: ${text}`);
  return JSON.parse(text) as T;
}

export interface RuntimeSideOptions {
  /** How often the client asks for the job; short next to the times measured. */
  jobPollMs: number;
  /** A folder with another host.json to run the app with; the repository's when omitted. */
  appDir?: string;
}

export async function createRuntimeSide(
  settings: Record<string, string>,
  { jobPollMs, appDir }: RuntimeSideOptions,
): Promise<RuntimeSide> {
  const runtime = await startRuntime({
    env: settings,
    ...(appDir && { cwd: appDir, args: ['--app', join(REPO_ROOT, 'dist', 'index.js')] }),
  });
  const api = `${runtime.url}/api`;

  const finished = (jobId: string, timeoutMs: number) =>
    waitFor(
      `job ${jobId} to finish`,
      async () => {
        const job = await json<SyncJob>(await fetch(`${api}/sync/jobs/${jobId}`));
        return FINISHED.includes(job.status) ? job : undefined;
      },
      timeoutMs,
      jobPollMs,
    );
  const expectSucceeded = (job: SyncJob) => {
    if (job.status !== 'succeeded')
      throw new Error(`runtime job ended ${job.status}: ${JSON.stringify(job)}`);
    return job;
  };

  return {
    runtime,
    async connect(repositoryUrl, branch) {
      const { jobId } = await json<{ jobId: string }>(
        await fetch(`${api}/github/connection`, {
          method: 'PUT',
          headers: { 'Content-Type': 'application/json' },
          body: JSON.stringify({ repositoryUrl, branch }),
        }),
      );
      return expectSucceeded(await finished(jobId, 120_000));
    },
    async syncPush({ repositoryUrl, branch, head, token, ready }) {
      const payload = await buildPushPayload({ repository: repositoryUrl, branch, token });
      if (payload.after !== head) throw new Error(`payload names ${String(payload.after)}, pushed ${head}`);
      await ready();
      const postedAt = Date.now();
      const started = performance.now();
      const delivery = await deliver({ url: runtime.url, secret: settings.GITHUB_WEBHOOK_SECRET!, payload });
      const intakeMs = performance.now() - started;
      if (delivery.status !== 202) throw new Error(`delivery answered ${delivery.status}: ${delivery.body}`);
      const job = expectSucceeded(
        await finished((JSON.parse(delivery.body) as { jobId: string }).jobId, 60_000),
      );
      const totalMs = performance.now() - started;
      const seenAt = postedAt + totalMs;
      return {
        totalMs,
        intakeMs,
        queueWaitMs: Date.parse(job.startedAt!) - Date.parse(job.queuedAt),
        syncMs: job.durationMs!,
        seenAfterMs: seenAt - Date.parse(job.finishedAt!),
        job,
      };
    },
    stop: async () => void (await runtime.stop()),
  };
}
