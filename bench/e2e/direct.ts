// The reference side: the same sync run in this process straight through the domain entry point
// (`runSyncMessage`), wired by the app's own composition root (`createServices`) from the same
// settings the runtime gets — no HTTP, no queue, no host. It gets its own Azurite, so its
// connection record, manifest and lease are not the runtime's.

import { loadConfig } from '../../src/config.js';
import { connectRepository } from '../../src/jobs/connect.js';
import { createServices, type Services } from '../../src/functions/services.js';
import { hostSettings } from '../../src/hostJson.js';
import { runSyncMessage, type SyncDependencies } from '../../src/sync/runJob.js';
import type { JobTrigger, SyncJob } from '../../src/jobs/types.js';

export interface DirectSample {
  /** runSyncMessage's wall time. */
  totalMs: number;
  /** Call → job `startedAt`: job read and workspace lease. */
  beforeStartMs: number;
  /** The job's own `durationMs` (started → finished). */
  syncMs: number;
  job: SyncJob;
}

export interface DirectSide {
  connect(repositoryUrl: string, branch: string): Promise<SyncJob>;
  /** Creates a push job for `head` (not timed) and runs it through runSyncMessage (timed). */
  syncPush(repositoryUrl: string, branch: string, head: string): Promise<DirectSample>;
}

export async function createDirectSide(settings: Record<string, string>): Promise<DirectSide> {
  const services: Services = createServices(loadConfig(settings));
  await services.ready;
  const { config } = services;
  // What src/functions/workspaceSync.ts hands runSyncMessage, minus the host's logger.
  const deps: SyncDependencies = {
    ...services,
    settings: { ...config.sync, token: config.github.token, hosts: config.github.hosts },
  };

  async function run(jobId: string, trigger: JobTrigger, commit: string): Promise<DirectSample> {
    const calledAt = Date.now();
    const started = performance.now();
    const outcome = await runSyncMessage({ jobId, trigger, commit }, deps, {
      dequeueCount: 1,
      maxDequeueCount: hostSettings().queues.maxDequeueCount,
    });
    const totalMs = performance.now() - started;
    const job = (await services.jobs.get(jobId))!;
    if (outcome !== 'succeeded' || job.status !== 'succeeded') {
      throw new Error(`direct sync ended ${outcome}: ${JSON.stringify(job)}`);
    }
    return {
      totalMs,
      beforeStartMs: Date.parse(job.startedAt!) - calledAt,
      syncMs: job.durationMs!,
      job,
    };
  }

  return {
    async connect(repositoryUrl, branch) {
      const { job } = await connectRepository(
        services,
        { repositoryUrl, branch },
        {
          allowLocalRepos: config.sync.allowLocalRepos,
          hosts: config.github.hosts,
          defaultToken: config.github.token,
          publicBaseUrl: config.publicBaseUrl,
          apiUrl: config.github.apiUrl,
        },
        { id: 'bench', name: 'bench' },
      );
      return (await run(job.id, 'connect', job.commitRequested!)).job;
    },
    async syncPush(repositoryUrl, branch, head) {
      const job = await services.jobs.create({
        trigger: 'push',
        repositoryUrl,
        branch,
        commitRequested: head,
      });
      return run(job.id, 'push', head);
    },
  };
}
