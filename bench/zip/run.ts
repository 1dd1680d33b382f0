// ZIP download benchmarks, each against a reference measured side by side in the same run:
//  1. throughput on two 10,000-file trees (the generated source-like one, and a scripts
//     repository's many small, very repetitive files): Info-ZIP `zip -qr` at -6 and -1, the
//     direct zipFolder call on the local store at the default level and at 6, and the archive
//     downloaded over HTTP from the local runtime (`npm start`'s, a child process), all in the
//     same rounds, interleaved;
//  2. the azure-files store on the Files emulator (its own process) with injected latency vs the
//     ideal files x latency / prefetch window, broken down into walk, downloads and the full ZIP;
//  3. RSS growth zipping 100 MB and 1 GB workspaces, streamed vs collected in memory.
//
//   npm run bench -- zip [--rounds 3] [--files 10000] [--mb 100] [--scripts-mb 88] [--large-mb 1024]
//                        [--latency 5] [--only throughput,latency,rss]

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, stat } from 'node:fs/promises';
import { get } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import type { Entry, WorkspaceStore } from '../../src/workspace/store.js';
import { ZIP_DEFAULTS, zipFolder, type ZipOptions } from '../../src/workspace/zip.js';
import { startEmulatorProcess } from '../lib/emulatorProcess.js';
import { median, report, type Row } from '../lib/report.js';
import { localAppSettings, startRuntime } from '../../tests/e2e/support/runtime.js';
import { generateScripts } from './scripts.js';
import { generateTree } from './tree.js';

const run = promisify(execFile);
const SECTIONS = ['throughput', 'latency', 'rss'] as const;
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    files: { type: 'string', default: '10000' },
    mb: { type: 'string', default: '100' },
    'scripts-mb': { type: 'string', default: '88' },
    'large-mb': { type: 'string', default: '1024' },
    latency: { type: 'string', default: '5' },
    only: { type: 'string', default: SECTIONS.join(',') },
  },
});
const rounds = Number(values.rounds);
const files = Number(values.files);
const latencyMs = Number(values.latency);
const only = new Set(values.only.split(','));
for (const name of only) {
  if (!SECTIONS.includes(name as (typeof SECTIONS)[number])) {
    throw new Error(`--only takes ${SECTIONS.join(', ')}; got ${name}`);
  }
}
const MB = 1024 * 1024;

const scratch = await mkdtemp(join(tmpdir(), 'bench-zip-'));
const rows: Row[] = [];
const meta: Record<string, unknown> = { rounds, files, latencyMs, zip: ZIP_DEFAULTS };

const discard = (counter: { bytes: number }) =>
  new Writable({ write: (chunk: Buffer, _e, done) => ((counter.bytes += chunk.length), done()) });

async function timeOurs(
  store: WorkspaceStore,
  options: ZipOptions = {},
): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  const counter = { bytes: 0 };
  await pipeline(zipFolder(store, '', options), discard(counter));
  return { ms: performance.now() - started, bytes: counter.bytes };
}

async function timeInfoZip(root: string, level: 1 | 6): Promise<{ ms: number; bytes: number }> {
  const out = join(scratch, 'infozip.zip');
  await rm(out, { force: true });
  const started = performance.now();
  await run('zip', ['-qr', `-${level}`, out, '.'], { cwd: root });
  const ms = performance.now() - started;
  return { ms, bytes: (await stat(out)).size };
}

/** GET /api/workspace/zip?path=folder from the runtime, the body read and dropped as it comes. */
function timeHttp(baseUrl: string, folder: string): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    get(`${baseUrl}/api/workspace/zip?path=${encodeURIComponent(folder)}`, (response) => {
      if (response.statusCode !== 200) reject(new Error(`HTTP ${response.statusCode} from the runtime`));
      let bytes = 0;
      response.on('data', (chunk: Buffer) => (bytes += chunk.length));
      response.on('end', () => resolve({ ms: performance.now() - started, bytes }));
      response.on('error', reject);
    }).on('error', reject);
  });
}

type Tree = { name: string; root: string; files: number; bytes: number };

/**
 * Throughput against Info-ZIP on each tree, rounds interleaved so every case sees the same
 * machine load. The runtime serves the ZIP at its default level (ZIP_DEFAULTS.level), so the
 * HTTP row is read against Info-ZIP -6 (what issue 13 measured) and -1 (like for like).
 */
async function throughput(trees: Tree[], workspace: string): Promise<void> {
  const runtime = await startRuntime({
    env: localAppSettings(workspace, { webhookSecret: 'bench-webhook', token: 'bench-token' }),
  });
  const cases = [
    ['infozip6', 'Info-ZIP zip -qr -6 (reference)', (t: Tree) => timeInfoZip(t.root, 6)],
    ['infozip1', 'Info-ZIP zip -qr -1', (t: Tree) => timeInfoZip(t.root, 1)],
    [
      'direct',
      `zipFolder, local store, level ${ZIP_DEFAULTS.level}`,
      (t: Tree) => timeOurs(new LocalWorkspaceStore(t.root)),
    ],
    [
      'direct6',
      'zipFolder, local store, level 6',
      (t: Tree) => timeOurs(new LocalWorkspaceStore(t.root), { level: 6 }),
    ],
    [
      'http',
      `HTTP from the local runtime, level ${ZIP_DEFAULTS.level}`,
      (t: Tree) => timeHttp(runtime.url, t.name),
    ],
  ] as const;
  type Case = (typeof cases)[number][0];
  const samples = new Map<string, number[]>();
  const sizes = new Map<string, number>();
  const key = (tree: Tree, name: Case) => `${tree.name}/${name}`;
  try {
    for (let round = 0; round < rounds; round++) {
      for (const tree of trees) {
        for (const [name, , measure] of cases) {
          const { ms, bytes } = await measure(tree);
          samples.set(key(tree, name), [...(samples.get(key(tree, name)) ?? []), ms]);
          sizes.set(key(tree, name), bytes);
        }
      }
    }
  } finally {
    await runtime.stop();
  }
  for (const tree of trees) {
    const reference = (level: 1 | 6) => median(samples.get(key(tree, `infozip${level}`))!);
    for (const [name, label] of cases) {
      const ms = samples.get(key(tree, name))!;
      rows.push({
        bench: 'throughput',
        tree: tree.name,
        case: label,
        files: tree.files,
        dataMB: tree.bytes / MB,
        medianMs: median(ms),
        rangeMs: `${Math.min(...ms).toFixed(0)}-${Math.max(...ms).toFixed(0)}`,
        MBps: tree.bytes / MB / (median(ms) / 1000),
        zipMB: sizes.get(key(tree, name))! / MB,
        ratioVsInfoZip6: reference(6) / median(ms),
        ratioVsInfoZip1: reference(1) / median(ms),
        ratioRange6: `${(reference(6) / Math.max(...ms)).toFixed(2)}-${(reference(6) / Math.min(...ms)).toFixed(2)}`,
      });
    }
  }
}

/**
 * The azure-files store on the emulator, every request delayed, broken down so the ZIP's time can
 * be read against its parts: the walk alone (listing requests), the downloads alone (every file
 * read `prefetch` at a time, no archive: what files x latency / window models), and both again at
 * 0 ms, where what is left is CPU: the SDK per request, compression, and the emulator process,
 * which shares the machine's cores. cpuMs is this process's CPU (all threads) during the phase.
 */
async function latency(tree: string): Promise<void> {
  const emulator = await startEmulatorProcess(0);
  try {
    const remote = createWorkspaceStore({
      backend: 'azure-files',
      share: 'bench',
      connectionString: emulator.connectionString,
    });
    await copyStore(new LocalWorkspaceStore(tree), remote);
    const entries: Entry[] = [];
    for await (const entry of remote.walk('')) entries.push(entry);
    const phases = [
      ['walk', latencyMs, () => timeWalk(remote)],
      ['downloads', latencyMs, () => timeDownloads(remote, entries)],
      ['downloads', 0, () => timeDownloads(remote, entries)],
      ['zip', 0, () => timeOurs(remote)],
      ['zip', latencyMs, () => timeOurs(remote)],
    ] as const;
    const samples = phases.map(() => ({
      ms: [] as number[],
      cpuMs: [] as number[],
      emulatorCpuMs: [] as number[],
      requests: [] as number[],
    }));
    for (let round = 0; round < rounds; round++) {
      for (const [i, [, delay, measure]] of phases.entries()) {
        await emulator.setLatency(delay);
        await emulator.resetCounts();
        const emulatorCpu = await emulator.cpuMs();
        const cpu = process.cpuUsage();
        const { ms } = await measure();
        const { user, system } = process.cpuUsage(cpu);
        samples[i]!.ms.push(ms);
        samples[i]!.cpuMs.push((user + system) / 1000);
        samples[i]!.emulatorCpuMs.push((await emulator.cpuMs()) - emulatorCpu);
        samples[i]!.requests.push((await emulator.counts()).total);
      }
    }
    const window = ZIP_DEFAULTS.prefetch;
    const ideal = (files * latencyMs) / window;
    for (const [i, [phase, delay]] of phases.entries()) {
      const ms = median(samples[i]!.ms);
      rows.push({
        bench: 'latency',
        case: `emulator process, ${delay} ms/request: ${phase}`,
        files,
        medianMs: ms,
        idealMs: ideal,
        ratioVsIdeal: ms / ideal,
        requestsPerRound: median(samples[i]!.requests),
        cpuMs: median(samples[i]!.cpuMs),
        emulatorCpuMs: median(samples[i]!.emulatorCpuMs),
      });
    }
    meta.latencyIdeal = `files x latency / prefetch = ${files} x ${latencyMs} / ${window} ms`;
  } finally {
    await emulator.stop();
  }
}

async function timeWalk(store: WorkspaceStore): Promise<{ ms: number }> {
  const started = performance.now();
  for await (const entry of store.walk('')) void entry;
  return { ms: performance.now() - started };
}

/** Every file read and drained, ZIP_DEFAULTS.prefetch at a time, listing excluded. */
async function timeDownloads(store: WorkspaceStore, entries: Entry[]): Promise<{ ms: number }> {
  const queue = entries.filter((e) => e.type === 'file').reverse();
  const started = performance.now();
  const worker = async () => {
    for (let entry = queue.pop(); entry; entry = queue.pop()) {
      await pipeline(await store.read(entry.path), discard({ bytes: 0 }));
    }
  };
  await Promise.all(Array.from({ length: ZIP_DEFAULTS.prefetch }, worker));
  return { ms: performance.now() - started };
}

/**
 * RSS growth in a fresh process per run (see rssChild.ts), `rounds` runs per row, medians; trees
 * are generated once per run. The diagnostic row shrinks V8's young generation so dead Buffers
 * (file chunks, deflate output) are collected at once: what is left is what the ZIP actually holds,
 * and the difference to the default row is garbage waiting for the collector.
 */
async function rss(trees: { root: string; bytes: number }[]): Promise<void> {
  const child = fileURLToPath(new URL('./rssChild.ts', import.meta.url));
  const modes = [
    ['memory', [], 'ZIP collected in memory (reference)'],
    ['stream', [], 'streamed ZIP'],
    ['stream', ['--max-semi-space-size=1'], 'streamed ZIP, --max-semi-space-size=1 (diagnostic)'],
  ] as const;
  type Result = { baselineMb: number; peakMb: number; zipBytes: number; ms: number };
  for (const { root, bytes } of trees) {
    for (const [mode, flags, label] of modes) {
      const results: Result[] = [];
      for (let round = 0; round < rounds; round++) {
        const args = ['--expose-gc', ...flags, '--import', 'tsx', child, mode, root];
        const { stdout } = await run(process.execPath, args, { maxBuffer: MB });
        results.push(JSON.parse(stdout) as Result);
      }
      const growth = results.map((r) => r.peakMb - r.baselineMb);
      rows.push({
        bench: 'rss',
        case: label,
        dataMB: bytes / MB,
        zipMB: results[0]!.zipBytes / MB,
        baselineMB: median(results.map((r) => r.baselineMb)),
        peakMB: median(results.map((r) => r.peakMb)),
        growthMB: median(growth),
        growthRangeMB: `${Math.min(...growth).toFixed(1)}-${Math.max(...growth).toFixed(1)}`,
        ms: median(results.map((r) => r.ms)),
      });
    }
  }
}

try {
  // One workspace folder holding both trees, so the runtime serves each with ?path=.
  const workspace = join(scratch, 'workspace');
  const tree = join(workspace, 'generated');
  const scripts = join(workspace, 'scripts');
  await mkdir(workspace);
  const dataBytes = await generateTree(tree, { files, totalBytes: Number(values.mb) * MB });
  if (only.has('throughput')) {
    const scriptBytes = await generateScripts(scripts, {
      files,
      totalBytes: Number(values['scripts-mb']) * MB,
    });
    await throughput(
      [
        { name: 'generated', root: tree, files, bytes: dataBytes },
        { name: 'scripts', root: scripts, files, bytes: scriptBytes },
      ],
      workspace,
    );
  }
  if (only.has('latency')) await latency(tree);
  if (only.has('rss')) {
    const largeMb = Number(values['large-mb']);
    const large = join(scratch, 'large');
    const largeBytes = await generateTree(large, { files: largeMb * 10, totalBytes: largeMb * MB, seed: 7 });
    await rss([
      { root: tree, bytes: dataBytes },
      { root: large, bytes: largeBytes },
    ]);
  }
  await report('zip', rows, meta);
} finally {
  await rm(scratch, { recursive: true, force: true });
}

async function copyStore(from: WorkspaceStore, to: WorkspaceStore): Promise<void> {
  const entries = [];
  for await (const entry of from.walk('')) entries.push(entry);
  for (const dir of entries.filter((e) => e.type === 'directory')) await to.makeDirectory(dir.path);
  const queue = entries.filter((e) => e.type === 'file');
  const worker = async () => {
    for (let entry = queue.pop(); entry; entry = queue.pop()) {
      await to.write(entry.path, await from.read(entry.path), {
        size: entry.size,
        executable: entry.executable,
      });
    }
  };
  await Promise.all(Array.from({ length: 16 }, worker));
}
