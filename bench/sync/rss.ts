// RSS growth of a sync (issue 10, "Scale"): peak RSS while the sync runs minus RSS before it.
// Each sync runs in a fresh child process (rssWorker.ts), so earlier rounds, an earlier sync's
// leftover heap and the benchmark's own data never count. Per round: a first sync into an empty
// local workspace, then a resync with every file unchanged, which holds the manifest, the full
// listing and the plan at once.

import { fork } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { JobTrigger } from '../../src/jobs/types.js';
import type { SyncSettings } from '../../src/sync/runJob.js';
import {
  buildDependencies,
  createResources,
  deleteResources,
  uniqueNames,
  type DepsSpec,
} from '../../tests/integration/syncDeps.js';
import { median, type Row } from '../lib/report.js';
import type { RssSample, RssTask } from './rssWorker.js';

const WORKER = fileURLToPath(new URL('./rssWorker.ts', import.meta.url));
/** The bound at 100,000 files. */
export const RSS_GROWTH_TARGET_MB = 150;
const STEPS: [JobTrigger, string][] = [
  ['connect', 'first (empty workspace)'],
  ['manual', 'resync (all unchanged)'],
];

export interface RssSetup {
  azurite: string;
  url: string;
  scratch: string;
  settings: SyncSettings;
}

function runWorker(task: RssTask): Promise<RssSample> {
  const child = fork(WORKER, [], { execArgv: ['--import', 'tsx', '--expose-gc'] });
  return new Promise((resolve, reject) => {
    child.once('message', (sample) => resolve(sample as RssSample));
    child.once('exit', (code) => reject(new Error(`rss worker exited with ${code}`)));
    child.send(task);
  });
}

/** One round: both syncs of STEPS against a fresh workspace and fresh state. */
async function round(setup: RssSetup): Promise<RssSample[]> {
  const workspace = { path: await mkdtemp(join(setup.scratch, 'rss-ws-')) };
  const spec: DepsSpec = {
    azurite: setup.azurite,
    names: uniqueNames(),
    workspace,
    settings: setup.settings,
  };
  await createResources(spec);
  await buildDependencies(spec, () => undefined).connections.connect(setup.url, 'main');
  const samples: RssSample[] = [];
  for (const [trigger] of STEPS) samples.push(await runWorker({ spec, url: setup.url, trigger }));
  await deleteResources(spec);
  await rm(workspace.path, { recursive: true, force: true });
  return samples;
}

const span = (values: number[]) => `${Math.round(Math.min(...values))}–${Math.round(Math.max(...values))}`;

export async function rssRows(files: number, setup: RssSetup, rounds: number): Promise<Row[]> {
  const runs: RssSample[][] = [];
  for (let i = 0; i < rounds; i++) runs.push(await round(setup));
  return STEPS.map(([, label], step) => {
    const samples = runs.map((run) => run[step]!);
    const growth = samples.map((s) => s.peakMb - s.beforeMb);
    const worst = Math.max(...growth);
    const row: Row = {
      files,
      sync: label,
      sync_ms: Math.round(median(samples.map((s) => s.ms))),
      rss_before_mb: Math.round(median(samples.map((s) => s.beforeMb))),
      rss_growth_mb: Math.round(median(growth)),
      growth_range_mb: span(growth),
      growth_per_file_b: Math.round((median(growth) * 1024 * 1024) / files),
    };
    if (files < 100_000) return row;
    return { ...row, target: `< ${RSS_GROWTH_TARGET_MB} MB`, pass: worst < RSS_GROWTH_TARGET_MB };
  });
}
