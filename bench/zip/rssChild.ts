// One ZIP of a local workspace in a fresh process, reporting its peak RSS growth:
//   node --import tsx bench/zip/rssChild.ts <stream|memory> <root>
// stream: the archive goes to a sink as it is produced (what the HTTP response does).
// memory: the archive is collected into one Buffer first (what a non-streaming handler would do).

import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import { zipFolder } from '../../src/workspace/zip.js';

const [mode, root] = process.argv.slice(2);
if ((mode !== 'stream' && mode !== 'memory') || !root)
  throw new Error('usage: rssChild.ts <stream|memory> <root>');

const baselineKb = process.resourceUsage().maxRSS;
const started = performance.now();
const archive = zipFolder(new LocalWorkspaceStore(root), '');
let bytes = 0;
if (mode === 'stream') {
  await pipeline(
    archive,
    new Writable({ write: (chunk: Buffer, _e, done) => ((bytes += chunk.length), done()) }),
  );
} else {
  const chunks: Buffer[] = [];
  for await (const chunk of archive) chunks.push(chunk as Buffer);
  bytes = Buffer.concat(chunks).length;
}
const peakKb = process.resourceUsage().maxRSS;
console.log(
  JSON.stringify({
    baselineMb: baselineKb / 1024,
    peakMb: peakKb / 1024,
    zipBytes: bytes,
    ms: performance.now() - started,
  }),
);
