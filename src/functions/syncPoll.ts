// Timer "syncPoll" (SYNC_POLL_SCHEDULE, NCRONTAB; `off` registers nothing): no push is missed for
// long, no job stays unfinished for ever, and dedupe markers do not pile up. Each tick asks the
// repository for its head (one ls-remote) and the workspace for drift (one listing), queues a
// `poll` job when either changed, then sweeps abandoned jobs and day-old dedupe markers.

import { app, type InvocationContext, type Timer } from '@azure/functions';
import { isLeased, DEFAULT_LEASE_SECONDS } from '../blobLease.js';
import { getConfig } from '../config.js';
import { hostSettings } from '../hostJson.js';
import { sweepAbandonedJobs } from '../jobs/sweep.js';
import { getServices } from './services.js';
import { WORKSPACE_LEASE_BLOB } from '../storage-names.js';
import { pollRepository } from '../sync/poll.js';
import { event } from '../telemetry/index.js';

const MARKER_MAX_AGE_MS = 24 * 60 * 60_000;

export async function syncPoll(_timer: Timer, _context: InvocationContext): Promise<void> {
  const services = await getServices();
  const { config } = services;
  const settings = { ...config.sync, token: config.github.token, hosts: config.github.hosts };
  const poll = await pollRepository({ ...services, settings }).catch((error: unknown) => {
    // The sweeps below still run: an unreachable repository must not leave jobs unfinished.
    const code = (error as { code?: unknown }).code;
    event(
      'poll.failed',
      { errorCode: typeof code === 'string' ? code : undefined },
      (error as Error).message,
    );
    return undefined;
  });
  if (poll) {
    const { kind, ...found } = poll;
    event('poll.checked', {
      result: kind,
      commit: 'head' in found ? found.head : undefined,
      reason: 'reason' in found ? found.reason : undefined,
      jobId: 'jobId' in found ? found.jobId : undefined,
    });
  }
  const host = hostSettings();
  const abandoned = await sweepAbandonedJobs(
    {
      jobs: services.jobs,
      workspaceLeased: () => isLeased(services.state.getBlockBlobClient(WORKSPACE_LEASE_BLOB)),
    },
    {
      leaseMs: DEFAULT_LEASE_SECONDS * 1000,
      retryDelayMs: host.queues.visibilityTimeoutMs,
      functionTimeoutMs: host.functionTimeoutMs,
    },
  );
  if (abandoned.length > 0) event('jobs.abandoned', { count: abandoned.length, jobIds: abandoned.join(',') });
  const markers = await services.dedupe.sweep(new Date(Date.now() - MARKER_MAX_AGE_MS));
  if (markers > 0) event('dedupe.swept', { markers });
}

const schedule = getConfig().sync.pollSchedule;
if (schedule) {
  app.timer('syncPoll', { schedule, runOnStartup: false, handler: syncPoll });
}
