// "Connect with GitHub" → workspace synced, through the local runtime (`npm start`, over HTTP),
// with and without webhook management, in the same run:
//
//   npm run bench -- connect [--rounds 7] [--files 1000] [--job-poll-ms 50]
//
// (a) managed: GITHUB_API_URL points at the GitHub fake and PUBLIC_BASE_URL is known, so the
//     connect checks the repository and token with the API, keeps the token and a new webhook
//     secret in the secret store, creates the hook (which the fake then pings) and queues the sync.
// (b) plain: no GitHub API for the repository's host (GITHUB_API_URL left at api.github.com) and no
//     PUBLIC_BASE_URL: no API call, no hook (status manual), the same token kept, the same sync.
// Each side has its own runtime, Azurite, workspace folder and a repository with the same
// 1,000-file tree behind one git server. A round connects over an empty workspace (a full sync),
// then disconnects (which on (a) deletes the hook) and empties the folder; sides take turns going
// first. Target: median (a) <= 1.2 x median (b).

import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { freePort, startAzurite } from '../../src/dev/azurite.js';
import { localAppSettings } from '../../tests/e2e/support/runtime.js';
import { startGitHttpServer } from '../../tests/support/gitHttpServer.js';
import { startGitHubFake } from '../../tests/support/github-fake/index.js';
import { createBigRepo } from '../e2e/repo.js';
import { median, report, type Row } from '../lib/report.js';
import { createConnectSide, type ConnectSample, type ConnectSide } from './side.js';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '7' },
    files: { type: 'string', default: '1000' },
    'job-poll-ms': { type: 'string', default: '50' },
  },
});
const rounds = Number(values.rounds);
const files = Number(values.files);
const jobPollMs = Number(values['job-poll-ms']);
const TOKEN = 'bench-connect-token-7c2e';
const TARGET_RATIO = 1.2;

const scratch = await mkdtemp(join(tmpdir(), 'bench-connect-'));
const started = performance.now();
const [azuriteA, azuriteB, git, github, portA] = await Promise.all([
  startAzurite(),
  startAzurite(),
  startGitHttpServer({ token: TOKEN }),
  startGitHubFake(),
  freePort(),
]);
const [repoA, repoB] = [
  await createBigRepo(git, 'acme/site-a', files),
  await createBigRepo(git, 'acme/site-b', files),
];
github.addRepository(repoA.name, { cloneUrl: git.repoUrl(repoA.name) });
github.addToken(TOKEN);

/** What both sides run with; only storage, folders, and the GitHub API and public URL differ. */
async function settings(side: string, storage: string, extra: Record<string, string>) {
  const workspace = join(scratch, `workspace-${side}`);
  await mkdir(workspace);
  return localAppSettings(
    workspace,
    { webhookSecret: '', token: '' },
    {
      AzureWebJobsStorage: storage,
      SYNC_CONCURRENCY: '16',
      SYNC_TEMP_DIR: scratch,
      SYNC_POLL_SCHEDULE: 'off',
      ...extra,
    },
  );
}

const sides: Record<'managed' | 'plain', ConnectSide> = {
  managed: await createConnectSide({
    settings: await settings('managed', azuriteA.connectionString, {
      GITHUB_API_URL: github.url,
      PUBLIC_BASE_URL: `http://127.0.0.1:${portA}`,
    }),
    port: portA,
    repositoryUrl: git.repoUrl(repoA.name),
    token: TOKEN,
    jobPollMs,
  }),
  plain: await createConnectSide({
    settings: await settings('plain', azuriteB.connectionString, { GITHUB_API_URL: '', PUBLIC_BASE_URL: '' }),
    repositoryUrl: git.repoUrl(repoB.name),
    token: TOKEN,
    jobPollMs,
  }),
};
const expectedWebhook = { managed: 'active', plain: 'manual' } as const;

/** A connect that did not do exactly a full sync of the tree, or managed the hook wrongly, is not a measurement. */
function check(side: keyof typeof sides, sample: ConnectSample) {
  const added = sample.job.counts?.added;
  if (added !== files) throw new Error(`${side}: the connect added ${added} files, expected ${files}`);
  if (sample.webhook !== expectedWebhook[side]) {
    throw new Error(`${side}: webhook ${sample.webhook}, expected ${expectedWebhook[side]}`);
  }
  if (side === 'managed' && github.hooks(repoA.name).length !== 1) {
    throw new Error(`managed: ${github.hooks(repoA.name).length} hooks on the fake, expected 1`);
  }
}

const samples = { managed: [] as ConnectSample[], plain: [] as ConnectSample[] };
try {
  console.log(
    `set-up with two ${files}-file repositories: ${((performance.now() - started) / 1000).toFixed(1)} s`,
  );
  // One unmeasured connect per side warms the runtime (module loading, first git spawn, tables).
  for (const side of ['managed', 'plain'] as const) {
    check(side, await sides[side].connect());
    await sides[side].reset();
  }
  for (let round = 0; round < rounds; round++) {
    const order = round % 2 === 0 ? (['managed', 'plain'] as const) : (['plain', 'managed'] as const);
    for (const side of order) {
      const sample = await sides[side].connect();
      check(side, sample);
      samples[side].push(sample);
      await sides[side].reset();
    }
    if (github.hooks(repoA.name).length !== 0) throw new Error('managed: disconnect left a hook behind');
    const [a, b] = [samples.managed.at(-1)!, samples.plain.at(-1)!];
    console.log(
      `round ${round + 1}/${rounds}: managed ${a.totalMs.toFixed(0)} ms (PUT ${a.connectMs.toFixed(0)} ms), ` +
        `plain ${b.totalMs.toFixed(0)} ms (PUT ${b.connectMs.toFixed(0)} ms)`,
    );
  }
} catch (error) {
  for (const [side, { runtime }] of Object.entries(sides)) {
    console.error(`${side} runtime output (tail):\n${runtime.output().slice(-8000)}`);
  }
  throw error;
} finally {
  await Promise.all(Object.values(sides).map((side) => side.stop()));
  await Promise.all([azuriteA.stop(), azuriteB.stop(), git.stop(), github.stop()]);
  await Promise.all([repoA.cleanup(), repoB.cleanup(), rm(scratch, { recursive: true, force: true })]);
}

const stat = ([measure, values]: [string, number[]]): Row => ({
  measure,
  median_ms: median(values),
  min_ms: Math.min(...values),
  max_ms: Math.max(...values),
});
const a = samples.managed;
const b = samples.plain;
const medianA = median(a.map((s) => s.totalMs));
const medianB = median(b.map((s) => s.totalMs));
const ratio = medianA / medianB;
const met = ratio <= TARGET_RATIO;
const rows: Row[] = [
  ...(<[string, number[]][]>[
    ['(a) managed: PUT -> GET shows succeeded', a.map((s) => s.totalMs)],
    ['    PUT -> 202 (API check, ls-remote, secrets, hook)', a.map((s) => s.connectMs)],
    ['    job queued -> started', a.map((s) => s.queueWaitMs)],
    ['    job started -> finished (full sync)', a.map((s) => s.syncMs)],
    ['(b) plain: PUT -> GET shows succeeded', b.map((s) => s.totalMs)],
    ['    PUT -> 202 (ls-remote, secrets)', b.map((s) => s.connectMs)],
    ['    job queued -> started', b.map((s) => s.queueWaitMs)],
    ['    job started -> finished (full sync)', b.map((s) => s.syncMs)],
  ]).map(stat),
  { measure: 'ratio median (a) / median (b)', median_ms: ratio, min_ms: '', max_ms: '' },
  {
    measure: `target: median (a) <= ${TARGET_RATIO} x median (b)`,
    median_ms: TARGET_RATIO * medianB,
    min_ms: met ? 'met' : 'NOT met',
    max_ms: '',
  },
];
await report('connect', rows, {
  rounds,
  files,
  jobPollMs,
  target: { ratio: TARGET_RATIO, measured: ratio, met },
  samples: {
    managed: a.map(({ job: _job, ...s }) => s),
    plain: b.map(({ job: _job, ...s }) => s),
  },
});
console.log(
  `median (a) ${medianA.toFixed(0)} ms vs (b) ${medianB.toFixed(0)} ms: ratio ${ratio.toFixed(2)}, target ${TARGET_RATIO}: ${met ? 'met' : 'NOT met'}`,
);
