// No job stays `queued` or `running` forever (DESIGN.md sync semantics 8). A worker that dies on
// the last delivery can have its message poisoned without the function running again; a job
// whose message was lost never starts. The poll timer calls this sweep: such jobs are marked
// `failed` with ABANDONED. If their message does come back later, the job runs after all
// (runJob treats ABANDONED as unfinished), so a sweep that was early costs nothing.

import type { JobStore } from './jobStore.js';

export interface SweepDeps {
  jobs: Pick<JobStore, 'listUnfinished' | 'failIfUnchanged'>;
  /** Whether a sync holds the workspace lease now (a live sync is never abandoned). */
  workspaceLeased(): Promise<boolean>;
}

export interface SweepTimes {
  /** The workspace lease: a dead worker's lease is gone this long after its last renewal. */
  leaseMs: number;
  /** host.json visibilityTimeout: how soon a failed delivery is tried again. */
  retryDelayMs: number;
  /** host.json functionTimeout: the longest a sync may run, and so wait in front of a queued job. */
  functionTimeoutMs: number;
}

export const ABANDONED = 'ABANDONED';

/** How far back the sweep looks; the timer runs every few minutes, so nothing older is left. */
const WINDOW_MS = 7 * 24 * 60 * 60_000;

/** Marks abandoned jobs failed; returns their ids. */
export async function sweepAbandonedJobs(
  deps: SweepDeps,
  times: SweepTimes,
  now = Date.now(),
): Promise<string[]> {
  const unfinished = await deps.jobs.listUnfinished(new Date(now - WINDOW_MS));
  if (unfinished.length === 0 || (await deps.workspaceLeased())) return [];
  const swept: string[] = [];
  for (const { job, etag } of unfinished) {
    const since = Date.parse((job.status === 'running' ? job.startedAt : undefined) ?? job.queuedAt);
    // Running without a lease: its worker died, and a retry would have come within the retry delay.
    // Queued: it would have started once any sync in front of it (at most functionTimeout) ended.
    const limit =
      job.status === 'running'
        ? times.leaseMs + times.retryDelayMs
        : times.functionTimeoutMs + times.retryDelayMs;
    if (now - since <= limit) continue;
    const error = {
      code: ABANDONED,
      message:
        job.status === 'running'
          ? 'The worker running this job stopped and no retry came; a later sync (push, poll or POST /api/sync) brings the workspace up to date'
          : 'The job was never started (its message was lost); a later sync brings the workspace up to date',
    };
    if (await deps.jobs.failIfUnchanged(job.id, etag, error)) swept.push(job.id);
  }
  return swept;
}
