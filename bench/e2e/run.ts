// Webhook delivery → `succeeded` through the local runtime (`npm start`, over HTTP, queue trigger
// polling as host.json says), beside the same one-file sync run directly through
// `runSyncMessage` in the same command: the runtime's overhead, median of N rounds.
//
//   npm run bench -- e2e [--rounds 10] [--files 1000] [--idle-ms 4000] [--job-poll-ms 50]
//                        [--max-polling-ms <ms>]   (what-if: host.json's maxPollingInterval replaced)
//
// Each round pushes a one-file change to a 1,000-file repository, once per side (each side has
// its own repository, workspace folder and Azurite, so no lease or manifest is shared), in
// alternating order. Before each delivery the runtime has been idle for --idle-ms plus a phase
// that steps through one polling interval, so the queue listener has backed off to
// maxPollingInterval and deliveries land evenly over its poll cycle — a push to an idle app.

import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { startAzurite } from '../../src/dev/azurite.js';
import { loadHostConfig } from '../../src/dev/hostConfig.js';
import type { SyncJob } from '../../src/jobs/types.js';
import { localAppSettings, REPO_ROOT } from '../../tests/e2e/support/runtime.js';
import { startGitHttpServer } from '../../tests/support/gitHttpServer.js';
import { median, percentile, report, type Row } from '../lib/report.js';
import { createDirectSide, type DirectSample } from './direct.js';
import { createBigRepo, pushOneFileChange } from './repo.js';
import { createRuntimeSide, type RuntimeSample } from './viaRuntime.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '10' },
    files: { type: 'string', default: '1000' },
    'idle-ms': { type: 'string', default: '4000' },
    'job-poll-ms': { type: 'string', default: '50' },
    'max-polling-ms': { type: 'string' },
  },
});
const rounds = Number(values.rounds);
const files = Number(values.files);
const idleMs = Number(values['idle-ms']);
const jobPollMs = Number(values['job-poll-ms']);
const TOKEN = 'bench-e2e-token-5b1d';
const SECRET = 'bench-e2e-webhook-secret';
const BRANCH = 'main';
const TARGET = { ratio: 1.2, plusMs: 500 };

const scratch = await mkdtemp(join(tmpdir(), 'bench-e2e-'));
/** host.json's TimeSpan form of a polling interval under a minute, e.g. 500 → 00:00:00.500. */
function timeSpan(ms: number): string {
  if (!Number.isInteger(ms) || ms < 100 || ms >= 60_000) throw new Error('--max-polling-ms: 100 to 59999');
  return `00:00:${String(Math.floor(ms / 1000)).padStart(2, '0')}.${String(ms % 1000).padStart(3, '0')}`;
}
/** --max-polling-ms: run the app from a folder whose host.json differs only in maxPollingInterval. */
const appDir = values['max-polling-ms'] === undefined ? undefined : join(scratch, 'app');
if (appDir) {
  const hostJson = JSON.parse(await readFile(join(REPO_ROOT, 'host.json'), 'utf8'));
  hostJson.extensions.queues.maxPollingInterval = timeSpan(Number(values['max-polling-ms']));
  await mkdir(appDir);
  await writeFile(join(appDir, 'host.json'), JSON.stringify(hostJson, null, 2));
}
const { maxPollingIntervalMs } = loadHostConfig(join(appDir ?? REPO_ROOT, 'host.json'), {}).queues;
/** The app settings both sides run with; only storage and workspace folder differ. */
const settings = (storage: string, workspace: string): Record<string, string> =>
  localAppSettings(
    workspace,
    { webhookSecret: SECRET, token: TOKEN },
    { AzureWebJobsStorage: storage, SYNC_CONCURRENCY: '16', SYNC_TEMP_DIR: scratch },
  );

const started = performance.now();
const [azuriteA, azuriteB, git] = await Promise.all([
  startAzurite(),
  startAzurite(),
  startGitHttpServer({ token: TOKEN }),
]);
const repoA = await createBigRepo(git, 'acme/site-a', files);
const repoB = await createBigRepo(git, 'acme/site-b', files);
const urlA = git.repoUrl(repoA.name);
const urlB = git.repoUrl(repoB.name);
const workspaceA = join(scratch, 'workspace-runtime');
const workspaceB = join(scratch, 'workspace-direct');
const viaRuntime = await createRuntimeSide(settings(azuriteA.connectionString, workspaceA), {
  jobPollMs,
  appDir,
});
const direct = await createDirectSide(settings(azuriteB.connectionString, workspaceB));

/** A sync that did not do exactly the one-file update pushed is not a measurement. */
async function check(
  side: string,
  workspace: string,
  change: { path: string; content: string; head: string },
  job: SyncJob,
) {
  const { added, updated, deleted } = job.counts ?? {};
  if (job.commitSynced !== change.head || added !== 0 || updated !== 1 || deleted !== 0) {
    throw new Error(
      `${side} synced ${job.commitSynced} with ${JSON.stringify(job.counts)}, expected ${change.head} with one update`,
    );
  }
  if ((await readFile(join(workspace, change.path), 'utf8')) !== change.content) {
    throw new Error(`${side}: ${change.path} in the workspace is not the pushed content`);
  }
}

const samples = { runtime: [] as RuntimeSample[], direct: [] as DirectSample[] };
try {
  // Initial full syncs, not measured.
  const initial = await Promise.all([viaRuntime.connect(urlA, BRANCH), direct.connect(urlB, BRANCH)]);
  let runtimeIdleSince = Date.parse(initial[0].finishedAt!);
  console.log(
    `set-up and initial syncs of ${files} files: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );

  for (let round = 0; round < rounds; round++) {
    const phaseMs = ((round + 0.5) / rounds) * maxPollingIntervalMs;
    const runtimeRound = async () => {
      const change = await pushOneFileChange(repoA, round, files);
      const sample = await viaRuntime.syncPush({
        repositoryUrl: urlA,
        branch: BRANCH,
        head: change.head,
        token: TOKEN,
        ready: () =>
          new Promise((done) =>
            setTimeout(done, Math.max(0, runtimeIdleSince + idleMs + phaseMs - Date.now())),
          ),
      });
      runtimeIdleSince = Date.parse(sample.job.finishedAt!);
      await check('runtime', workspaceA, change, sample.job);
      samples.runtime.push(sample);
    };
    const directRound = async () => {
      const change = await pushOneFileChange(repoB, round, files);
      const sample = await direct.syncPush(urlB, BRANCH, change.head);
      await check('direct', workspaceB, change, sample.job);
      samples.direct.push(sample);
    };
    // Alternate the order so drift on a shared machine hits both sides alike.
    for (const side of round % 2 === 0 ? [runtimeRound, directRound] : [directRound, runtimeRound])
      await side();
    const [a, b] = [samples.runtime.at(-1)!, samples.direct.at(-1)!];
    console.log(
      `round ${round + 1}/${rounds}: runtime ${a.totalMs.toFixed(0)} ms (queue wait ${a.queueWaitMs} ms), direct ${b.totalMs.toFixed(0)} ms`,
    );
  }
} catch (error) {
  console.error(`runtime output (tail):\n${viaRuntime.runtime.output().slice(-4000)}`);
  throw error;
} finally {
  await viaRuntime.stop();
  await Promise.all([azuriteA.stop(), azuriteB.stop(), git.stop()]);
  await Promise.all([repoA.cleanup(), repoB.cleanup(), rm(scratch, { recursive: true, force: true })]);
}

const stat = ([measure, values]: [string, number[]]): Row => ({
  measure,
  median_ms: median(values),
  p90_ms: percentile(values, 90),
});
const a = samples.runtime;
const b = samples.direct;
const medianA = median(a.map((s) => s.totalMs));
const medianB = median(b.map((s) => s.totalMs));
const limitMs = TARGET.ratio * medianB + TARGET.plusMs;
// The runtime's queue wait also covers the job read and lease the direct side does before it
// starts; what is left is the message waiting for the poll.
const pollingMs = median(a.map((s) => s.queueWaitMs)) - median(b.map((s) => s.beforeStartMs));
const rows: Row[] = [
  ...(<[string, number[]][]>[
    ['(a) runtime: webhook POST -> GET shows succeeded', a.map((s) => s.totalMs)],
    ['    POST -> 202 (verify, dedupe, job, enqueue)', a.map((s) => s.intakeMs)],
    ['    job queued -> started (queue poll, job read, lease)', a.map((s) => s.queueWaitMs)],
    ['    job started -> finished (the sync)', a.map((s) => s.syncMs)],
    [`    job finished -> seen (job write, ${jobPollMs} ms client poll)`, a.map((s) => s.seenAfterMs)],
    ['(b) direct: runSyncMessage wall time', b.map((s) => s.totalMs)],
    ['    call -> job started (job read, lease)', b.map((s) => s.beforeStartMs)],
    ['    job started -> finished (the sync)', b.map((s) => s.syncMs)],
  ]).map(stat),
  {
    measure: `queue polling in (a) (maxPollingInterval ${maxPollingIntervalMs} ms), est.`,
    median_ms: pollingMs,
    p90_ms: '',
  },
  { measure: 'ratio median (a) / median (b)', median_ms: medianA / medianB, p90_ms: '' },
  {
    measure: `target: median (a) <= ${TARGET.ratio} x median (b) + ${TARGET.plusMs} ms`,
    median_ms: limitMs,
    p90_ms: medianA <= limitMs ? 'met' : 'NOT met',
  },
];
await report('e2e', rows, {
  rounds,
  files,
  idleMs,
  maxPollingIntervalMs,
  jobPollMs,
  target: { ...TARGET, limitMs, met: medianA <= limitMs },
  samples: {
    runtime: a.map(({ job: _job, ...s }) => s),
    direct: b.map(({ job: _job, ...s }) => s),
  },
});
console.log(
  `median (a) ${medianA.toFixed(0)} ms vs limit ${limitMs.toFixed(0)} ms (1.2 x ${medianB.toFixed(0)} + 500): ${medianA <= limitMs ? 'met' : 'NOT met'}; about ${pollingMs.toFixed(0)} ms of (a) is queue polling`,
);
