// One ZIP of a local workspace in a fresh process, reporting its RSS growth:
//   node --expose-gc --import tsx bench/zip/rssChild.ts <stream|memory> <root>
// stream: the archive goes to a sink that discards it as it is produced (what the HTTP response does).
// memory: the archive is collected into one Buffer first (what a non-streaming handler would do).
//
// The baseline is taken once everything is loaded and collected; growth is the highest RSS seen
// while zipping minus that. RSS is sampled every 20 ms from a worker thread, so a main thread busy
// compressing or concatenating does not skip samples (RSS is per process; the worker reads it all).

import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { Worker } from 'node:worker_threads';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import { zipFolder } from '../../src/workspace/zip.js';

const [mode, root] = process.argv.slice(2);
if ((mode !== 'stream' && mode !== 'memory') || !root)
  throw new Error('usage: rssChild.ts <stream|memory> <root>');

const SAMPLER = `
const { parentPort } = require('node:worker_threads');
let peak = 0;
const sample = () => (peak = Math.max(peak, process.memoryUsage.rss()));
const timer = setInterval(sample, 20);
parentPort.on('message', () => { sample(); clearInterval(timer); parentPort.postMessage(peak); });
`;

const MB = 1024 * 1024;
const store = new LocalWorkspaceStore(root);
await store.stat(''); // the store is ready and its code paths loaded before the baseline
const sampler = new Worker(SAMPLER, { eval: true });
await new Promise((resolve) => sampler.once('online', resolve));
globalThis.gc?.();
const baseline = process.memoryUsage.rss();

const started = performance.now();
const archive = zipFolder(store, '');
let bytes = 0;
if (mode === 'stream') {
  await pipeline(
    archive,
    new Writable({ write: (chunk: Buffer, _e, done) => ((bytes += chunk.length), done()) }),
  );
} else {
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  bytes = Buffer.concat(chunks).length; // the chunks stay referenced until the last sample below
}
const ms = performance.now() - started;
sampler.postMessage('stop');
const peak = await new Promise<number>((resolve) => sampler.once('message', resolve));
await sampler.terminate();
console.log(JSON.stringify({ baselineMb: baseline / MB, peakMb: peak / MB, zipBytes: bytes, ms }));
