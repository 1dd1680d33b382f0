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
import { TableClient, type TransactionAction } from '@azure/data-tables';
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
const services = await (await import('../../src/functions/services.js')).getServices();
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

/** The storage calls the handler makes, issued bare: what is left of it is HTTP, signature and JSON work. */
async function storageFloor(): Promise<void> {
  const row = (): TransactionAction => ['create', { partitionKey: 'p', rowKey: randomUUID(), jobId: 'x' }];
  await table.submitTransaction([row(), row(), row()]);
  await queue.sendMessage(Buffer.from(JSON.stringify({ jobId: randomUUID() })).toString('base64'));
}

const SIDES = {
  reference: { label: 'reference: 1 table insert + 1 queue put', run: reference },
  floor: { label: "the handler's storage calls alone (job + 2 markers in one txn, put)", run: storageFloor },
  webhook: { label: 'webhook handler (verify, dedupe x2, job, enqueue)', run: delivery },
} as const;
type Side = keyof typeof SIDES;
const order: Side[] = ['reference', 'floor', 'webhook'];

// Warm every path (connections, JIT) before measuring.
for (const side of order) await drive(concurrency, () => SIDES[side].run());

const latencies = Object.fromEntries(order.map((side) => [side, [] as number[]])) as Record<Side, number[]>;
const walls = Object.fromEntries(order.map((side) => [side, [] as number[]])) as Record<Side, number[]>;
for (let round = 0; round < rounds; round++) {
  // Rotate the order so drift on a shared machine hits every side alike.
  for (const side of [...order.slice(round % 3), ...order.slice(0, round % 3)]) {
    const run = await drive(deliveries, () => SIDES[side].run());
    latencies[side].push(...run.latencies);
    walls[side].push(run.wallMs);
  }
}
await azurite.stop();

const rows: Row[] = order.map((side) => ({
  path: SIDES[side].label,
  p50_ms: median(latencies[side]),
  p99_ms: percentile(latencies[side], 99),
  per_s: (deliveries / median(walls[side])) * 1000,
}));
const p50 = (side: Side) => median(latencies[side]);
const ratio = p50('webhook') / p50('reference');
rows.push({ path: 'ratio webhook / reference (p50)', p50_ms: ratio, p99_ms: '', per_s: '' });
rows.push({
  path: 'ratio webhook / its storage floor (p50)',
  p50_ms: p50('webhook') / p50('floor'),
  p99_ms: '',
  per_s: '',
});
await report('webhook', rows, { deliveries, concurrency, rounds, targets: { p50Ratio: 1.5, p99Ms: 100 } });
console.log(
  `p50 ratio ${ratio.toFixed(2)} (target <= 1.5); p99 ${percentile(latencies.webhook, 99).toFixed(1)} ms (target < 100)`,
);
