// Crash takeover (issue 10 item 8: a SIGKILLed sync's retry takes over within 20 s).
//
// Each round, on a fresh Azurite and workspace that outlive the runtimes: the compiled local
// runtime (`npm start`'s) connects a token-protected repository served by `git http-backend`;
// once the first sync is writing files, the runtime is SIGKILLed and a second one is started on
// the same storage. The dead worker's workspace lease (15 s, renewed every 5 s) is not released;
// the queue message comes back (DEV_QUEUE_LEASE_MS, the dev stand-in for the host's message
// lease), meets the held lease, is re-queued every 5 s, and takes over once the lease runs out.
//
// Measured from the kill, per round:
//   - ready:     the second runtime answers (its start-up);
//   - takeover:  the retry holds the workspace lease and the job is running again (the job's
//                `startedAt` of attempt 2, written right after the lease is taken);
//   - succeeded: the job's `finishedAt`.
// Medians and ranges over the rounds; target takeover <= 20 s.
//
//   npm run bench -- crash [--rounds 5] [--files 3000] [--queue-lease-ms 3000]

import { readdir, rm } from 'node:fs/promises';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite } from '../../src/dev/azurite.js';
import type { SyncJob } from '../../src/jobs/types.js';
import { TEMP_PREFIX } from '../../src/workspace/localStore.js';
import { localAppSettings, startRuntime, waitFor, type Runtime } from '../../tests/e2e/support/runtime.js';
import { startGitHttpServer } from '../../tests/support/gitHttpServer.js';
import { createTestRepo } from '../../tests/support/gitRepos.js';
import { median, report, type Row } from '../lib/report.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '5' },
    files: { type: 'string', default: '3000' },
    'queue-lease-ms': { type: 'string', default: '3000' },
  },
});
const rounds = Number(values.rounds);
const fileCount = Number(values.files);
const queueLeaseMs = values['queue-lease-ms'];
const TOKEN = 'bench-crash-token-0123456789';
const TARGET_TAKEOVER_S = 20;

interface Sample {
  readyS: number;
  takeoverS: number;
  succeededS: number;
  /** Times the retry met the dead worker's lease and was re-queued. */
  busyRetries: number;
  attempt: number;
  /** Temp files of the killed writes still on disk after the retry succeeded. */
  leftovers: number;
}

async function namesUnder(folder: string): Promise<string[]> {
  return (await readdir(folder, { recursive: true }).catch(() => [])) as string[];
}

async function jobOf(runtime: Runtime, jobId: string): Promise<SyncJob> {
  const res = await fetch(`${runtime.url}/api/sync/jobs/${jobId}`);
  if (!res.ok) throw new Error(`GET job: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as SyncJob;
}

async function oneRound(repositoryUrl: string): Promise<Sample> {
  const azurite = await startAzurite();
  const workspace = mkdtempSync(join(tmpdir(), 'bench-crash-ws-'));
  const runtimes: Runtime[] = [];
  try {
    const env = localAppSettings(
      workspace,
      { webhookSecret: 'bench-crash-webhook-secret', token: TOKEN },
      {
        AzureWebJobsStorage: azurite.connectionString,
        DEV_QUEUE_LEASE_MS: queueLeaseMs,
        DEV_QUEUE_VISIBILITY_TIMEOUT_MS: '300',
      },
    );
    const first = await startRuntime({ env });
    runtimes.push(first);
    const res = await fetch(`${first.url}/api/github/connection`, {
      method: 'PUT',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ repositoryUrl, branch: 'main' }),
    });
    if (res.status !== 202) throw new Error(`connect: HTTP ${res.status} ${await res.text()}`);
    const { jobId } = (await res.json()) as { jobId: string };
    await waitFor(
      'the sync to be writing',
      async () => ((await namesUnder(workspace)).length > 20 ? true : undefined),
      60_000,
      5,
    );
    const killedAt = Date.now();
    await first.stop('SIGKILL');

    const second = await startRuntime({ env });
    runtimes.push(second);
    const readyS = (Date.now() - killedAt) / 1000;
    const job = await waitFor(
      `job ${jobId} to finish`,
      async () => {
        const found = await jobOf(second, jobId);
        return ['succeeded', 'failed', 'skipped'].includes(found.status) ? found : undefined;
      },
      120_000,
      200,
    );
    if (job.status !== 'succeeded' || !job.startedAt || !job.finishedAt) {
      throw new Error(`the job did not succeed after the restart: ${JSON.stringify(job)}`);
    }
    const names = await namesUnder(workspace);
    const files = names.filter((name) => /\/f\d+\.txt$/.test(name)).length;
    if (files !== fileCount) throw new Error(`the workspace has ${files} of ${fileCount} files`);
    return {
      readyS,
      takeoverS: (Date.parse(job.startedAt) - killedAt) / 1000,
      succeededS: (Date.parse(job.finishedAt) - killedAt) / 1000,
      busyRetries: second.output().split('"event":"sync.busy"').length - 1,
      attempt: job.attempt,
      leftovers: names.filter((name) => name.split('/').at(-1)!.startsWith(TEMP_PREFIX)).length,
    };
  } finally {
    for (const runtime of runtimes) await runtime.stop('SIGKILL');
    await azurite.stop();
    await rm(workspace, { recursive: true, force: true });
    await rm(`${workspace}.secrets.json`, { force: true });
  }
}

const git = await startGitHttpServer({ token: TOKEN });
const files: Record<string, string> = {};
// Enough files that the sync is still writing when the runtime is killed.
for (let i = 0; i < fileCount; i++) files[`d${i % 40}/f${i}.txt`] = `${i}\n`.repeat(200);
const repo = await createTestRepo(git.root, 'acme/crash', { initialFiles: files });
const samples: Sample[] = [];
try {
  for (let round = 0; round < rounds; round++) {
    const sample = await oneRound(git.repoUrl('acme/crash'));
    samples.push(sample);
    console.log(
      `round ${round + 1}/${rounds}: ready ${sample.readyS.toFixed(1)} s, takeover ${sample.takeoverS.toFixed(1)} s, ` +
        `succeeded ${sample.succeededS.toFixed(1)} s (${sample.busyRetries} busy retries, ${sample.leftovers} temp leftovers)`,
    );
  }
} finally {
  await git.stop();
  await repo.cleanup();
}

const summary = (pick: (s: Sample) => number) => {
  const all = samples.map(pick);
  return `${median(all).toFixed(1)} (${Math.min(...all).toFixed(1)}–${Math.max(...all).toFixed(1)})`;
};
const rows: Row[] = samples.map((s, i) => ({
  round: String(i + 1),
  'ready s': s.readyS,
  'takeover s': s.takeoverS,
  'succeeded s': s.succeededS,
  'busy retries': s.busyRetries,
  attempt: s.attempt,
  'temp leftovers': s.leftovers,
}));
rows.push({
  round: 'median (range)',
  'ready s': summary((s) => s.readyS),
  'takeover s': summary((s) => s.takeoverS),
  'succeeded s': summary((s) => s.succeededS),
  'busy retries': summary((s) => s.busyRetries),
});
const takeover = median(samples.map((s) => s.takeoverS));
const worst = Math.max(...samples.map((s) => s.takeoverS));
console.log(`\nSIGKILL mid-sync of ${fileCount} files, ${rounds} rounds, times from the kill\n`);
await report('crash', rows, {
  rounds,
  files: fileCount,
  queueLeaseMs: Number(queueLeaseMs),
  leaseSeconds: 15,
  leaseRenewSeconds: 5,
  busyRetrySeconds: 5,
  target: `takeover <= ${TARGET_TAKEOVER_S} s`,
  takeoverMedianS: takeover,
  takeoverMaxS: worst,
  withinTarget: worst <= TARGET_TAKEOVER_S,
});
console.log(
  `takeover median ${takeover.toFixed(1)} s, worst ${worst.toFixed(1)} s (target <= ${TARGET_TAKEOVER_S} s): ` +
    `${worst <= TARGET_TAKEOVER_S ? 'met' : 'NOT met'}`,
);
