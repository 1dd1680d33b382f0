// The production path end to end: src/telemetry/setup.ts with APPLICATIONINSIGHTS_CONNECTION_STRING
// set, the real Azure Monitor exporters, and a loopback stand-in for the ingestion endpoint
// (Breeze: POST {IngestionEndpoint}/v2.1/track, a JSON array of envelopes, answered with
// {itemsReceived, itemsAccepted, errors}; the generated client in @azure/monitor-opentelemetry-exporter).
// What arrives is what Application Insights stores: a MessageData envelope is a `traces` row whose
// properties are customDimensions, a MetricData envelope a `customMetrics` row.
//
// The exporter turns an http:// endpoint into https:// (utils/connectionStringParser.js), so the
// stand-in speaks TLS with a throw-away CA, which the app process trusts through
// NODE_EXTRA_CA_CERTS; Node reads that only at start-up, hence a child process for the app side.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { gunzipSync } from 'node:zlib';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createTestPki } from '../support/keyvault-emulator/certificate.js';

interface Envelope {
  tags: Record<string, string>;
  data: { baseType: string; baseData: Record<string, any> };
}

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';

/** The app side: set up as src/index.ts does, emit inside an invocation's trace context, flush. */
const APP = `
const { context, metrics, propagation, ROOT_CONTEXT } = await import('@opentelemetry/api');
const { logs } = await import('@opentelemetry/api-logs');
await import('./src/telemetry/setup.ts');
const { event, metric } = await import('./src/telemetry/index.ts');
// What the Functions instrumentation's preInvocation hook does with the host's trace context.
const invocation = propagation.extract(ROOT_CONTEXT, { traceparent: '00-${TRACE_ID}-00f067aa0ba902b7-01' });
context.with(invocation, () =>
  event('sync.succeeded', { jobId: 'j1', commit: 'abc', filesWritten: 3, githubToken: 'ghp_x' }),
);
metric('sync.bytes_written', 2048, { trigger: 'push' });
metric('sync.bytes_written', 1024, { trigger: 'push' });
await logs.getLoggerProvider().forceFlush();
await metrics.getMeterProvider().forceFlush();
process.exit(0);
`;

const received: Envelope[] = [];
let server: Server;
let dir: string;

async function body(request: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  const raw = Buffer.concat(chunks);
  return request.headers['content-encoding'] === 'gzip' ? gunzipSync(raw) : raw;
}

beforeAll(async () => {
  const pki = await createTestPki();
  dir = await mkdtemp(join(tmpdir(), 'telemetry-'));
  await writeFile(join(dir, 'ca.pem'), pki.ca);
  server = createServer({ key: pki.key, cert: pki.cert }, async (request, response) => {
    const envelopes = JSON.parse((await body(request)).toString('utf8')) as Envelope[];
    received.push(...envelopes);
    response.writeHead(200, { 'content-type': 'application/json' });
    response.end(
      JSON.stringify({ itemsReceived: envelopes.length, itemsAccepted: envelopes.length, errors: [] }),
    );
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await promisify(execFile)(process.execPath, ['--import', 'tsx', '--input-type=module', '-e', APP], {
    env: {
      ...process.env,
      APPLICATIONINSIGHTS_CONNECTION_STRING: `InstrumentationKey=00000000-0000-0000-0000-000000000000;IngestionEndpoint=https://127.0.0.1:${port}/`,
      NODE_EXTRA_CA_CERTS: join(dir, 'ca.pem'),
      // The SDK's own usage statistics go to Microsoft's endpoints: not from a test.
      APPLICATION_INSIGHTS_NO_STATSBEAT: 'true',
      WEBSITE_SITE_NAME: 'ws-test-site',
      TMPDIR: dir, // the exporter's retry store for envelopes it could not send
    },
    timeout: 60_000,
  });
}, 90_000);

afterAll(async () => {
  await new Promise((resolve) => server?.close(resolve));
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('telemetry in Azure', () => {
  it('sends an event as a trace whose customDimensions are its dimensions, in the invocation operation', () => {
    const traces = received.filter((e) => e.data.baseType === 'MessageData');
    expect(traces).toHaveLength(1);
    const [trace] = traces;
    expect(trace!.data.baseData.message).toBe('sync.succeeded');
    expect(trace!.data.baseData.properties).toEqual({
      event: 'sync.succeeded',
      jobId: 'j1',
      commit: 'abc',
      filesWritten: '3',
    });
    expect(trace!.tags['ai.operation.id']).toBe(TRACE_ID);
    expect(trace!.tags['ai.cloud.role']).toBe('ws-test-site');
  });

  it('sends metrics as customMetrics rows under their names, with their dimensions', () => {
    const rows = received
      .filter((e) => e.data.baseType === 'MetricData')
      .flatMap((e) =>
        e.data.baseData.metrics.map((m: object) => ({ ...m, properties: e.data.baseData.properties })),
      );
    expect(rows).toEqual([
      expect.objectContaining({ name: 'sync.bytes_written', value: 3072, properties: { trigger: 'push' } }),
    ]);
  });
});
