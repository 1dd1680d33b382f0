// ZIP download benchmarks, each against a reference measured side by side in the same run:
//  1. local store vs Info-ZIP `zip -qr -6` of the same 10,000-file folder (throughput ratio);
//  2. the azure-files store on the Files emulator with injected latency vs the ideal
//     files x latency / prefetch window;
//  3. peak RSS growth streaming 100 MB and 1 GB workspaces vs collecting the ZIP in memory.
//
//   npm run bench -- zip [--rounds 3] [--files 10000] [--mb 100] [--large-mb 1024] [--latency 5] [--skip-rss]

import { execFile } from 'node:child_process';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { fileURLToPath } from 'node:url';
import { parseArgs, promisify } from 'node:util';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { ZIP_DEFAULTS, zipFolder, type ZipOptions } from '../../src/workspace/zip.js';
import { startFilesEmulator } from '../../tests/support/files-emulator/index.js';
import { median, report, type Row } from '../lib/report.js';
import { generateTree } from './tree.js';

const run = promisify(execFile);
const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    files: { type: 'string', default: '10000' },
    mb: { type: 'string', default: '100' },
    'large-mb': { type: 'string', default: '1024' },
    latency: { type: 'string', default: '5' },
    'skip-rss': { type: 'boolean', default: false },
  },
});
const rounds = Number(values.rounds);
const files = Number(values.files);
const latencyMs = Number(values.latency);
const MB = 1024 * 1024;

const scratch = await mkdtemp(join(tmpdir(), 'bench-zip-'));
const rows: Row[] = [];
const meta: Record<string, unknown> = { rounds, files, latencyMs, zip: ZIP_DEFAULTS };

async function timeOurs(
  store: WorkspaceStore,
  options: ZipOptions = {},
): Promise<{ ms: number; bytes: number }> {
  const started = performance.now();
  let bytes = 0;
  const sink = new Writable({ write: (chunk: Buffer, _e, done) => ((bytes += chunk.length), done()) });
  await pipeline(zipFolder(store, '', options), sink);
  return { ms: performance.now() - started, bytes };
}

async function timeInfoZip(root: string): Promise<{ ms: number; bytes: number }> {
  const out = join(scratch, 'infozip.zip');
  await rm(out, { force: true });
  const started = performance.now();
  await run('zip', ['-qr', '-6', out, '.'], { cwd: root });
  const ms = performance.now() - started;
  return { ms, bytes: (await stat(out)).size };
}

try {
  // 1. Throughput against Info-ZIP, rounds interleaved so both see the same machine load.
  const tree = join(scratch, 'tree');
  const dataBytes = await generateTree(tree, { files, totalBytes: Number(values.mb) * MB });
  const local = new LocalWorkspaceStore(tree);
  const samples = { infozip: [] as number[], ours: [] as number[], ours6: [] as number[] };
  const sizes = { infozip: 0, ours: 0, ours6: 0 };
  for (let round = 0; round < rounds; round++) {
    const reference = await timeInfoZip(tree);
    const ours = await timeOurs(local);
    const ours6 = await timeOurs(local, { level: 6 });
    samples.infozip.push(reference.ms);
    samples.ours.push(ours.ms);
    samples.ours6.push(ours6.ms);
    Object.assign(sizes, { infozip: reference.bytes, ours: ours.bytes, ours6: ours6.bytes });
  }
  const throughput = (ms: number) => dataBytes / MB / (ms / 1000);
  const infozipMs = median(samples.infozip);
  for (const [name, label] of [
    ['infozip', 'Info-ZIP zip -qr -6 (reference)'],
    ['ours', `local store, level ${ZIP_DEFAULTS.level}`],
    ['ours6', 'local store, level 6'],
  ] as const) {
    const ms = median(samples[name]);
    rows.push({
      bench: 'throughput',
      case: label,
      files,
      dataMB: dataBytes / MB,
      medianMs: ms,
      MBps: throughput(ms),
      zipMB: sizes[name] / MB,
      ratioVsInfoZip: infozipMs / ms,
    });
  }

  // 2. Latency: the azure-files store on the emulator, every request delayed.
  const emulator = await startFilesEmulator();
  try {
    const remote = createWorkspaceStore({
      backend: 'azure-files',
      share: 'bench',
      connectionString: emulator.connectionString,
    });
    await copyStore(local, remote);
    emulator.setLatency(latencyMs);
    emulator.resetCounts();
    const remoteMs: number[] = [];
    for (let round = 0; round < rounds; round++) remoteMs.push((await timeOurs(remote)).ms);
    const ideal = (files * latencyMs) / ZIP_DEFAULTS.prefetch;
    const ms = median(remoteMs);
    rows.push({
      bench: 'latency',
      case: `emulator, ${latencyMs} ms per request, prefetch ${ZIP_DEFAULTS.prefetch}`,
      files,
      medianMs: ms,
      idealMs: ideal,
      ratioVsIdeal: ms / ideal,
      requestsPerRound: emulator.counts.total / rounds,
    });
  } finally {
    await emulator.stop();
  }

  // 3. Memory: peak RSS growth in a fresh process per run.
  if (!values['skip-rss']) {
    for (const mb of [Number(values.mb), Number(values['large-mb'])]) {
      const root = join(scratch, `rss-${mb}`);
      const bytes = await generateTree(root, {
        files: Math.max(1000, Math.round(mb * 10)),
        totalBytes: mb * MB,
        seed: mb,
      });
      for (const mode of ['memory', 'stream'] as const) {
        const child = fileURLToPath(new URL('./rssChild.ts', import.meta.url));
        const { stdout } = await run(process.execPath, ['--import', 'tsx', child, mode, root], {
          maxBuffer: MB,
        });
        const result = JSON.parse(stdout) as {
          baselineMb: number;
          peakMb: number;
          zipBytes: number;
          ms: number;
        };
        rows.push({
          bench: 'rss',
          case: mode === 'stream' ? 'streamed ZIP' : 'ZIP collected in memory (reference)',
          dataMB: bytes / MB,
          zipMB: result.zipBytes / MB,
          baselineMB: result.baselineMb,
          peakMB: result.peakMb,
          growthMB: result.peakMb - result.baselineMb,
        });
      }
      await rm(root, { recursive: true, force: true });
    }
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
