// Webhook intake latency: N concurrent signed push deliveries through the real handler
// (Azurite over loopback), beside the reference of one table insert + one queue put done
// directly with the SDKs in the same run, at the same concurrency.
//
//   npm run bench -- webhook [--deliveries 500] [--concurrency 50] [--rounds 3]

import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import functions from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { QueueClient } from '@azure/storage-queue';
import { startAzurite } from '../../src/dev/azurite.js';
import { sign } from '../../src/github/signature.js';
import { median, percentile, report, type Row } from '../lib/report.js';

const { values } = parseArgs({
  options: {
    deliveries: { type: 'string', default: '500' },
    concurrency: { type: 'string', default: '50' },
    rounds: { type: 'string', default: '3' },
  },
});
const deliveries = Number(values.deliveries);
const concurrency = Number(values.concurrency);
const rounds = Number(values.rounds);
const SECRET = 'bench-secret';

const azurite = await startAzurite();
Object.assign(process.env, {
  AzureWebJobsStorage: azurite.connectionString,
  WORKSPACE_BACKEND: 'local',
  WORKSPACE_PATH: await mkdtemp(join(tmpdir(), 'bench-webhook-')),
  GITHUB_WEBHOOK_SECRET: SECRET,
});
const { githubWebhook } = await import('../../src/functions/githubWebhook.js');
const services = await (await import('../../src/services.js')).getServices();
await services.connections.connect('https://github.com/acme/site.git', 'main');
// Node's ESM loader sees only some of this CommonJS bundle's named exports; the default has all.
const { HttpRequest, InvocationContext } = functions;
const quiet = () => new InvocationContext({ functionName: 'bench', logHandler: () => undefined });

/** Runs `count` calls of `op`, `concurrency` at a time; returns each call's latency in ms and the wall time. */
async function drive(count: number, op: (i: number) => Promise<void>) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) {
        const i = next++;
        const t = performance.now();
        await op(i);
        latencies.push(performance.now() - t);
      }
    }),
  );
  return { latencies, wallMs: performance.now() - started };
}

let sha = 0;
async function delivery(): Promise<void> {
  sha++;
  const body = JSON.stringify({
    ref: 'refs/heads/main',
    before: (sha * 2).toString(16).padStart(40, '0'),
    after: (sha * 2 + 1).toString(16).padStart(40, '0'),
    repository: { full_name: 'acme/site' },
  });
  const response = await githubWebhook(
    new HttpRequest({
      method: 'POST',
      url: 'http://127.0.0.1/api/github/webhook',
      headers: {
        'content-type': 'application/json',
        'x-github-event': 'push',
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': sign(SECRET, body),
      },
      body: { string: body },
    }),
    quiet(),
  );
  if (response.status !== 202) throw new Error(`delivery answered ${response.status}`);
}

const table = TableClient.fromConnectionString(azurite.connectionString, 'BenchReference', {
  allowInsecureConnection: true,
});
await table.createTable();
const queue = new QueueClient(azurite.connectionString, 'bench-reference');
await queue.createIfNotExists();
async function reference(): Promise<void> {
  await table.createEntity({ partitionKey: 'p', rowKey: randomUUID(), jobId: randomUUID() });
  await queue.sendMessage(Buffer.from(JSON.stringify({ jobId: randomUUID() })).toString('base64'));
}

// Warm both paths (connections, JIT) before measuring.
await drive(concurrency, () => reference());
await drive(concurrency, () => delivery());

const results = {
  webhook: [] as number[][],
  reference: [] as number[][],
  webhookWall: [] as number[],
  referenceWall: [] as number[],
};
for (let round = 0; round < rounds; round++) {
  // Alternate the order so drift on a shared machine hits both sides alike.
  const order = round % 2 === 0 ? (['reference', 'webhook'] as const) : (['webhook', 'reference'] as const);
  for (const side of order) {
    const run = await drive(deliveries, side === 'webhook' ? () => delivery() : () => reference());
    results[side].push(run.latencies);
    results[side === 'webhook' ? 'webhookWall' : 'referenceWall'].push(run.wallMs);
  }
}
await azurite.stop();

const rows: Row[] = (['reference', 'webhook'] as const).map((side) => {
  const all = results[side].flat();
  const wall = results[side === 'webhook' ? 'webhookWall' : 'referenceWall'];
  return {
    path:
      side === 'webhook'
        ? 'webhook handler (verify, dedupe x2, job, enqueue)'
        : 'reference: 1 table insert + 1 queue put',
    p50_ms: median(all),
    p99_ms: percentile(all, 99),
    per_s: (deliveries / median(wall)) * 1000,
  };
});
const ratio = (rows[1]!.p50_ms as number) / (rows[0]!.p50_ms as number);
rows.push({ path: 'ratio webhook/reference (p50)', p50_ms: ratio, p99_ms: '', per_s: '' });
await report('webhook', rows, { deliveries, concurrency, rounds, targets: { p50Ratio: 1.5, p99Ms: 100 } });
console.log(
  `p50 ratio ${ratio.toFixed(2)} (target <= 1.5); p99 ${(rows[1]!.p99_ms as number).toFixed(1)} ms (target < 100)`,
);
