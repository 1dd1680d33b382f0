// Sync benchmarks (npm run bench -- sync [--quick]):
//  1. Local store, full sync of a generated repository, side by side with the reference
//     `git clone --depth 1` + `rsync -a` into an empty folder (target: at most 1.3x its time).
//  2. Azure Files emulator with 5 ms latency per request: storage requests by operation and
//     wall time for a full sync, a one-file change and a no-op push, for the real sync and for
//     the original notes' algorithm (download and hash every file), with the cost targets. Both
//     run as a job through runSyncMessage, so both pay the same lease and job bookkeeping. A last
//     row runs the full sync against the emulator answering at once: the CPU floor under the ideal.
//  3. CPU per storage request of the apply phase alone (applyCpu.ts), against the SDK's defaults.
//  4. Memory: RSS growth of a first sync and of an all-unchanged resync (rss.ts), at each size and
//     at 100,000 small files (target: under 150 MB). `--memory` runs this table alone; `--size N`
//     runs every table at N files only. `--emulator` runs tables 2 and 3 alone.
// Everything real: git over HTTP with token auth, Azurite for jobs/leases/manifest.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { startAzurite } from '../../src/dev/azurite.js';
import { gitEnv } from '../../src/git/gitAuth.js';
import { runSyncMessage, type SyncStep } from '../../src/sync/runJob.js';
import type { JobTrigger } from '../../src/jobs/types.js';
import { writeRequests, type FilesEmulator } from '../../tests/support/files-emulator/index.js';
import { startGitHttpServer } from '../../tests/support/gitHttpServer.js';
import {
  buildDependencies,
  createResources,
  deleteResources,
  uniqueNames,
  type DepsSpec,
} from '../../tests/integration/syncDeps.js';
import { median, report, type Row } from '../lib/report.js';
import { generateRepo, pathOf, type GeneratedRepo } from './generate.js';
import { startEmulatorProcess, type RemoteEmulator } from '../lib/emulatorProcess.js';
import { naiveSync } from './naive.js';
import { rssRows } from './rss.js';
import { applyCpuRows } from './applyCpu.js';

const run = promisify(execFile);
const quick = process.argv.includes('--quick');
const memoryOnly = process.argv.includes('--memory');
/** `--emulator` runs the emulator and apply-CPU tables alone: the storage figures, quickly. */
const emulatorOnly = process.argv.includes('--emulator');
/** `--size N` runs one size alone (and no 100,000-file memory row): a 10,000-file run without the rest. */
const sizeArg = process.argv.indexOf('--size');
const onlySize = sizeArg > 0 ? Number(process.argv[sizeArg + 1]) : undefined;
const SIZES = onlySize ? [onlySize] : quick ? [1000] : [1000, 10_000];
/** The memory table's extra row: many small files, where per-file overhead shows. */
const MEMORY_SIZE = 100_000;
const ITERATIONS = quick ? 3 : 5;
const MEMORY_ROUNDS = 3;
const LATENCY_MS = 5;
/** Writes through the store before the emulator rounds are timed (see the warm-up below). */
const WARM_UP_WRITES = 10_000;
const CONCURRENCY = 16;
const TOKEN = 'bench-token';

const azurite = await startAzurite();
const server = await startGitHttpServer({ token: TOKEN });
const scratch = await mkdtemp(join(tmpdir(), 'bench-sync-'));
const settings = {
  token: TOKEN,
  hosts: ['127.0.0.1'],
  allowLocalRepos: true,
  exclude: ['.git/**', '.github/**'],
  concurrency: CONCURRENCY,
  tempDir: scratch,
};

/** One isolated sync target: its own tables/queues/container and workspace, connected to the repo. */
async function target(url: string, workspace: DepsSpec['workspace']) {
  const spec: DepsSpec = { azurite: azurite.connectionString, names: uniqueNames(), workspace, settings };
  await createResources(spec);
  let phases: Record<string, number> = {};
  const deps = buildDependencies(spec, (_event, fields) => {
    if (fields.phases) phases = fields.phases as Record<string, number>;
  });
  await deps.connections.connect(url, 'main');
  return {
    /** Runs one job through the real entry point (with `step` in place of the sync, if given); returns wall ms and the phase timings. */
    async sync(trigger: JobTrigger, step?: SyncStep) {
      const job = await deps.jobs.create({ trigger, repositoryUrl: url, branch: 'main' });
      const start = performance.now();
      const outcome = await runSyncMessage(
        { jobId: job.id, trigger },
        deps,
        { dequeueCount: 1, maxDequeueCount: 5 },
        step,
      );
      const ms = performance.now() - start;
      if (outcome !== 'succeeded' && outcome !== 'skipped') throw new Error(`sync ended ${outcome}`);
      return { ms, phases, outcome };
    },
    store: deps.store,
    dispose: () => deleteResources(spec),
  };
}

async function referenceRun(url: string): Promise<number> {
  const dir = await mkdtemp(join(scratch, 'ref-'));
  const start = performance.now();
  await run(
    'git',
    ['clone', '--quiet', '--depth', '1', '--single-branch', '--no-tags', url, join(dir, 'clone')],
    {
      env: gitEnv({ token: TOKEN }),
    },
  );
  await mkdir(join(dir, 'dest'));
  await run('rsync', ['-a', '--exclude=.git', `${join(dir, 'clone')}/`, `${join(dir, 'dest')}/`]);
  const ms = performance.now() - start;
  await rm(dir, { recursive: true, force: true });
  return ms;
}

async function localComparison(gen: GeneratedRepo, url: string): Promise<Row> {
  const ours: number[] = [];
  const reference: number[] = [];
  const phases: Record<string, number>[] = [];
  // One untimed round of each first: module loading, Azurite tables, the page cache.
  for (let i = -1; i < ITERATIONS; i++) {
    // Alternate who goes first, so neither always gets the warm cache.
    const order = i % 2 === 0 ? ['ours', 'ref'] : ['ref', 'ours'];
    for (const who of order) {
      if (who === 'ref') {
        const ms = await referenceRun(url);
        if (i >= 0) reference.push(ms);
        continue;
      }
      const path = await mkdtemp(join(scratch, 'ws-'));
      const t = await target(url, { path });
      const result = await t.sync('connect');
      if (i >= 0) {
        ours.push(result.ms);
        phases.push(result.phases);
      }
      await t.dispose();
      await rm(path, { recursive: true, force: true });
    }
  }
  const ratio = median(ours) / median(reference);
  return {
    files: gen.files,
    MB: Math.round(gen.bytes / 1e6),
    sync_ms: Math.round(median(ours)),
    of_which_clone_ms: Math.round(median(phases.map((p) => p.cloneMs ?? 0))),
    of_which_apply_ms: Math.round(median(phases.map((p) => p.applyMs ?? 0))),
    clone_rsync_ms: Math.round(median(reference)),
    ratio,
    target: '<= 1.3',
    pass: ratio <= 1.3,
  };
}

interface Measured {
  ms: number;
  /** This process's CPU (user + system) during the run: the storage client, plan and blob reads; git and the emulator run elsewhere. */
  cpuMs: number;
  storageMs: number;
  listMs: number;
  /** The emulator's mean delay per request as served (its timers fire late when it is busy). */
  servedLatencyMs: number;
  counts: FilesEmulator['counts'];
  gitRequests: number;
}

type Scenarios = Awaited<ReturnType<typeof emulatorScenarios>>;

/** Full sync, one-file change and no-op push on a fresh share, with the real sync or the naive one. */
async function emulatorScenarios(
  gen: GeneratedRepo,
  url: string,
  algorithm: 'sync' | 'naive',
  emulator: RemoteEmulator,
  fullOnly = false,
): Promise<{ full: Measured; oneFile?: Measured; noop?: Measured }> {
  const share = `bench${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const t = await target(url, { connectionString: emulator.connectionString, share });
  const naiveStep: SyncStep = async () => {
    await naiveSync(url, 'main', TOKEN, t.store, CONCURRENCY);
    return { status: 'succeeded', commit: '' };
  };
  const measure = async (trigger: JobTrigger): Promise<Measured> => {
    await emulator.resetCounts();
    const gitBefore = server.requests.length;
    let ms: number;
    let storageMs = NaN;
    let listMs = NaN;
    const cpuBefore = process.cpuUsage();
    if (algorithm === 'sync') {
      const result = await t.sync(trigger);
      ms = result.ms;
      const skipped = result.outcome === 'skipped';
      listMs = skipped ? 0 : (result.phases.listMs ?? 0);
      storageMs = skipped ? 0 : listMs + (result.phases.applyMs ?? 0);
    } else {
      // Inside the same job bookkeeping (lease, job rows, connection record) as the real sync.
      ms = (await t.sync(trigger, naiveStep)).ms;
    }
    const cpu = process.cpuUsage(cpuBefore);
    return {
      ms,
      cpuMs: (cpu.user + cpu.system) / 1000,
      storageMs,
      listMs,
      servedLatencyMs: await emulator.deliveredLatencyMs(),
      counts: await emulator.counts(),
      gitRequests: server.requests.length - gitBefore,
    };
  };
  const full = await measure('connect');
  if (fullOnly) {
    await t.dispose();
    return { full };
  }
  await gen.repo.write(pathOf(7), `changed at ${Date.now()}\n`);
  await gen.repo.commitAndPush('one file');
  const oneFile = await measure('push');
  const noop = await measure('push');
  await t.dispose();
  return { full, oneFile, noop };
}

const span = (values: number[]) => `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;

function emulatorRow(gen: GeneratedRepo, algorithm: string, scenario: string, runs: Measured[]): Row {
  const writes = median(runs.map((r) => writeRequests(r.counts)));
  const requests = median(runs.map((r) => r.counts.total));
  const ideal = (requests * LATENCY_MS) / CONCURRENCY;
  const storageMs = median(runs.map((r) => r.storageMs));
  const listMs = median(runs.map((r) => r.listMs));
  const reads = median(runs.map((r) => r.counts.getFile ?? 0));
  const cpuMs = median(runs.map((r) => r.cpuMs));
  const served = median(runs.map((r) => r.servedLatencyMs));
  const row: Row = {
    files: gen.files,
    algorithm,
    scenario,
    wall_ms: Math.round(median(runs.map((r) => r.ms))),
    wall_range: span(runs.map((r) => r.ms)),
    storage_ms: Number.isNaN(storageMs) ? '-' : Math.round(storageMs),
    storage_range: Number.isNaN(storageMs) ? '-' : span(runs.map((r) => r.storageMs)),
    of_which_list_ms: Number.isNaN(listMs) ? '-' : Math.round(listMs),
    requests,
    writes,
    lists: median(runs.map((r) => r.counts.list ?? 0)),
    downloads: reads,
    git_requests: median(runs.map((r) => r.gitRequests)),
    ideal_ms: Math.round(ideal),
    // What the emulator actually served instead of 5 ms, and the ideal at that latency: how much of
    // the ratio to ideal is the emulator's own timer lateness on the shared 2 cores.
    served_latency_ms: requests && served > 0 ? Number(served.toFixed(2)) : '-',
    vs_served_ideal:
      requests && served > 0 && !Number.isNaN(storageMs)
        ? storageMs / ((requests * served) / CONCURRENCY)
        : '-',
    cpu_ms: Math.round(cpuMs),
    // Per request only where requests dominate: the whole run's CPU (plan, blob reads) over 5 requests says nothing.
    cpu_us_per_request: requests > 100 ? Math.round((cpuMs * 1000) / requests) : '-',
  };
  if (algorithm !== 'sync') return row;
  // Each generated file is under 4 MiB: one Create File carrying its content, plus one per folder.
  const targets: Record<string, [string, boolean]> = {
    full: [
      `writes <= ${gen.files + gen.folders}, 0 downloads`,
      writes <= gen.files + gen.folders && reads === 0,
    ],
    'one file': ['writes <= 2, 0 downloads', writes <= 2 && reads === 0],
    'no-op push': ['0 storage requests, no clone', requests === 0 && (row.git_requests as number) <= 2],
  };
  const [text, ok] = targets[scenario]!;
  // "Ideal" assumes every request in parallel; a one-file change lists folder by folder, so its
  // time is held to nothing but its request counts.
  const timed = scenario === 'full';
  const timeOk = !timed || storageMs <= 1.5 * ideal;
  return {
    ...row,
    target: timed ? `${text}; storage_ms <= 1.5 x ideal` : text,
    time_ratio: requests ? storageMs / ideal : 0,
    pass: ok && timeOk,
  };
}

/**
 * The same full sync against the emulator answering at once: its storage time over the 5 ms ideal
 * is what this machine's cores allow before any latency (this process, the emulator and git share
 * them). The 1.5x target has only the room above this floor.
 */
async function cpuFloorRow(gen: GeneratedRepo, url: string, emulator: RemoteEmulator): Promise<Row> {
  console.log('emulator, sync at 0 ms…');
  await emulator.setLatency(0);
  const runs: Measured[] = [];
  for (let i = 0; i < ITERATIONS; i++)
    runs.push((await emulatorScenarios(gen, url, 'sync', emulator, true)).full);
  await emulator.setLatency(LATENCY_MS);
  const row = emulatorRow(gen, 'sync, service at 0 ms', 'full', runs);
  return { ...row, time_ratio: (row.storage_ms as number) / (row.ideal_ms as number) };
}

async function memoryRows(gen: GeneratedRepo, url: string): Promise<Row[]> {
  console.log(`memory, ${gen.files} files…`);
  return rssRows(gen.files, { azurite: azurite.connectionString, url, scratch, settings }, MEMORY_ROUNDS);
}

const localRows: Row[] = [];
const emulatorRows: Row[] = [];
const memory: Row[] = [];
const cpuRows: Row[] = [];
const SCENARIO_NAMES = { full: 'full', oneFile: 'one file', noop: 'no-op push' } as const;
for (const files of SIZES) {
  console.log(`generating ${files} files…`);
  const gen = await generateRepo(server.root, files);
  const url = server.repoUrl(gen.repo.name);
  if (!emulatorOnly) memory.push(...(await memoryRows(gen, url)));
  if (memoryOnly) {
    await gen.repo.cleanup();
    continue;
  }
  if (!emulatorOnly) {
    console.log('local store vs git clone + rsync…');
    localRows.push(await localComparison(gen, url));
  }
  // One emulator process per size, each run on a share of its own. Rounds of each algorithm go
  // first untimed (this process's and the emulator's JIT, sockets), as a long-running service
  // would be warm; then they alternate who goes first, so neither always meets the quieter
  // machine. One warm-up round is not enough at 1,000 files: full syncs in a row there took
  // 2.9, 2.3, 1.8, 1.8, 1.6 … and from the eighth about 1.5x ideal, so the warm-up lasts until
  // some 10,000 writes (both algorithms' together) have gone through the store.
  const emulator = await startEmulatorProcess(LATENCY_MS);
  const runsOf = { sync: [] as Scenarios[], naive: [] as Scenarios[] };
  const warmUp = Math.max(1, Math.ceil(WARM_UP_WRITES / 2 / files));
  for (let i = -warmUp; i < ITERATIONS; i++) {
    for (const algorithm of i % 2 === 0 ? (['sync', 'naive'] as const) : (['naive', 'sync'] as const)) {
      console.log(
        `emulator, ${algorithm}, ${i < 0 ? `warm-up ${warmUp + i + 1}/${warmUp}` : `round ${i + 1}`}…`,
      );
      const scenarios = await emulatorScenarios(gen, url, algorithm, emulator);
      if (i >= 0) runsOf[algorithm].push(scenarios);
    }
  }
  const rows = (['sync', 'naive'] as const).flatMap((algorithm) =>
    (['full', 'oneFile', 'noop'] as const).map((key) =>
      emulatorRow(
        gen,
        algorithm,
        SCENARIO_NAMES[key],
        runsOf[algorithm].map((r) => r[key]!),
      ),
    ),
  );
  // Issue 13 §6: a full sync no slower than the naive algorithm in the same run.
  const [syncFull, naiveFull] = [rows[0]!, rows[3]!];
  const vsNaive = (syncFull.wall_ms as number) / (naiveFull.wall_ms as number);
  Object.assign(syncFull, { vs_naive: vsNaive, pass: syncFull.pass === true && vsNaive <= 1 });
  syncFull.target += '; wall <= naive';
  emulatorRows.push(...rows, await cpuFloorRow(gen, url, emulator));
  console.log('emulator, apply phase CPU…');
  cpuRows.push(...(await applyCpuRows(emulator, files, ITERATIONS, CONCURRENCY, LATENCY_MS)));
  await emulator.stop();
  await gen.repo.cleanup();
}
if (!quick && !onlySize && !emulatorOnly) {
  console.log(`generating ${MEMORY_SIZE} small files…`);
  const gen = await generateRepo(server.root, MEMORY_SIZE, true);
  memory.push(...(await memoryRows(gen, server.repoUrl(gen.repo.name))));
  await gen.repo.cleanup();
}

const meta = {
  quick,
  iterations: ITERATIONS,
  warmUpWrites: WARM_UP_WRITES,
  latencyMs: LATENCY_MS,
  concurrency: CONCURRENCY,
  statistic: 'median',
};
if (!memoryOnly) {
  if (!emulatorOnly) {
    console.log('\nLocal store, full sync vs git clone --depth 1 + rsync -a');
    await report('sync-local', localRows, meta);
  }
  console.log(`\nAzure Files emulator, ${LATENCY_MS} ms per request, concurrency ${CONCURRENCY}`);
  await report('sync-emulator', emulatorRows, meta);
  console.log(`\nApply phase alone on the emulator: CPU of this process per storage request`);
  await report('sync-cpu', cpuRows, meta);
}
if (!emulatorOnly) {
  console.log(
    `\nRSS growth of a sync (peak - before, local store, ${MEMORY_ROUNDS} rounds, each in a fresh process)`,
  );
  await report('sync-memory', memory, { ...meta, iterations: MEMORY_ROUNDS });
}

await server.stop();
await azurite.stop();
await rm(scratch, { recursive: true, force: true });
