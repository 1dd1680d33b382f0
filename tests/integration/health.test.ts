// GET /api/health: 200 with every dependency up (Azurite + local store); 503 naming what is
// down, with a short reason and nothing secret, when storage refuses, hangs, or the store fails.

import { HttpResponse, type HttpResponseInit } from '@azure/functions';
import { createServer, type Server } from 'node:net';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/dev/azurite.js';
import { queueClient, stateContainer, tableClient } from '../../src/jobs/storageClients.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import { checkHealth } from '../../src/workspace/health.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let silent: Server;
let silentPort: number;

beforeAll(async () => {
  harness = await startHarness();
  // Accepts connections and never answers: a hung dependency.
  silent = createServer(() => undefined);
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  silentPort = (silent.address() as { port: number }).port;
});

afterAll(async () => {
  silent?.close();
  await harness?.stop();
});

it('answers 200 with every dependency up', async () => {
  const { health } = await import('../../src/functions/health.js');
  const request = harness.request({ method: 'GET', url: 'http://127.0.0.1/api/health' });
  const response = new HttpResponse((await health(request, harness.context())) as HttpResponseInit);
  expect(response.status).toBe(200);
  const body = (await response.json()) as { status: string; checks: Record<string, { status: string }> };
  expect(body.status).toBe('healthy');
  expect(Object.keys(body.checks).sort()).toEqual(['blob', 'queue', 'table', 'workspace']);
  expect(Object.values(body.checks).every((check) => check.status === 'up')).toBe(true);
});

it('warns (still 200) when the token expires within 7 days, and says degraded once it has expired', async () => {
  const { health } = await import('../../src/functions/health.js');
  const { ConnectionStore } = await import('../../src/jobs/connectionStore.js');
  const connections = new ConnectionStore(
    tableClient(
      { kind: 'connectionString', connectionString: harness.azurite.connectionString },
      'Connection',
    ),
  );
  const call = async () => {
    const request = harness.request({ method: 'GET', url: 'http://127.0.0.1/api/health' });
    const response = new HttpResponse((await health(request, harness.context())) as HttpResponseInit);
    return {
      status: response.status,
      body: (await response.json()) as { status: string; warnings?: string[] },
    };
  };
  const inDays = (days: number) => new Date(Date.now() + days * 86_400_000).toISOString();
  try {
    await connections.connect('https://github.com/o/r', 'main', { tokenExpiresAt: inDays(30) });
    expect(await call()).toMatchObject({ status: 200, body: { status: 'healthy' } });
    await connections.connect('https://github.com/o/r', 'main', { tokenExpiresAt: inDays(3) });
    const soon = await call();
    expect(soon).toMatchObject({ status: 200, body: { status: 'warning' } });
    expect(soon.body.warnings?.[0]).toMatch(/expires at/);
    await connections.connect('https://github.com/o/r', 'main', { tokenExpiresAt: inDays(-1) });
    expect(await call()).toMatchObject({ status: 200, body: { status: 'degraded' } });
  } finally {
    await connections.disconnect();
  }
  expect(await call()).toMatchObject({ status: 200, body: { status: 'healthy' } });
});

it('names what is down, gives up on a hung one at the timeout, without secrets', async () => {
  const hung = `http://127.0.0.1:${silentPort}/${DEV_ACCOUNT}`;
  const storage = {
    kind: 'connectionString' as const,
    connectionString:
      `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY};` +
      `BlobEndpoint=${hung};QueueEndpoint=http://127.0.0.1:1/${DEV_ACCOUNT};TableEndpoint=${harness.azurite.connectionString.match(/TableEndpoint=([^;]+)/)![1]};`,
  };
  const notADirectory = join(harness.workspace, 'plain-file');
  await writeFile(notADirectory, 'x');
  const table = tableClient(storage, 'Connection');
  const queue = queueClient(storage, 'workspace-sync');
  const blob = stateContainer(storage);
  const store = new LocalWorkspaceStore(join(notADirectory, 'workspace'));

  const report = await checkHealth(
    {
      table: (abortSignal) => table.listEntities({ abortSignal }).byPage({ maxPageSize: 1 }).next(),
      queue: (abortSignal) => queue.getProperties({ abortSignal }),
      blob: (abortSignal) => blob.getProperties({ abortSignal }),
      workspace: () => store.ping(),
    },
    1000,
  );
  // The report came although the blob endpoint never answers: its check gave up at the timeout
  // (no wall-clock bound on the whole call; the test's own timeout catches a check that waits on).
  expect(report.checks.blob!.ms).toBeGreaterThanOrEqual(999);
  expect(report.status).toBe('unhealthy');
  expect(report.checks.table!.status).toBe('up');
  expect(report.checks.queue).toMatchObject({ status: 'down' });
  expect(report.checks.blob).toMatchObject({ status: 'down', reason: 'no answer within 1000 ms' });
  expect(report.checks.workspace).toMatchObject({ status: 'down' });
  const text = JSON.stringify(report);
  expect(text).not.toContain(DEV_KEY);
  expect(text).not.toContain('127.0.0.1');
  expect(text).not.toContain(harness.workspace);
});
