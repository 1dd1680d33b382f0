// The local runtime (`node dist/dev/main.js`) hosting a small app (devRuntimeApp.mjs) over real
// HTTP and a real Azurite queue: routing from registered metadata, streaming bodies, failures,
// hooks, the queue trigger's retry/poison semantics, and clean shutdown.

import { createHash, randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { QueueClient } from '@azure/storage-queue';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRuntime, waitFor, type Runtime } from '../e2e/support/runtime.js';

const APP = join(import.meta.dirname, 'devRuntimeApp.mjs');
const connectionString = inject('azuriteConnectionString');

const base64 = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64');

function runtimeEnv(queue: string, extra: Record<string, string> = {}) {
  return {
    AzureWebJobsStorage: connectionString,
    WORKSPACE_PATH: mkdtempSync(join(tmpdir(), 'dev-ws-')),
    DEV_FIXTURE_QUEUE: queue,
    DEV_QUEUE_VISIBILITY_TIMEOUT_MS: '0',
    ...extra,
  };
}

async function seen(runtime: Runtime) {
  const res = await fetch(`${runtime.url}/api/seen`);
  return (await res.json()) as {
    seen: { message: Record<string, unknown>; dequeueCount: number }[];
    preInvocations: number;
  };
}

describe('local runtime, HTTP streaming on', () => {
  const queueName = `dev-work-${Date.now()}`;
  const queue = new QueueClient(connectionString, queueName);
  const poison = new QueueClient(connectionString, `${queueName}-poison`);
  let runtime: Runtime;

  beforeAll(async () => {
    await queue.createIfNotExists();
    runtime = await startRuntime({ args: ['--app', APP], env: runtimeEnv(queueName) });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('routes by template with decoded route values, query and headers', async () => {
    const res = await fetch(`${runtime.url}/api/items/a%20b?q=1`, { headers: { 'x-test': 'hi' } });
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ id: 'a b', q: '1', header: 'hi' });
  });

  it('serves catch-all routes, keeps an encoded slash, and prefers a literal route', async () => {
    const nested = await fetch(`${runtime.url}/api/files/x/y%2Fz/w.txt`, { method: 'PUT', body: 'x' });
    expect(await nested.json()).toEqual({ method: 'PUT', path: 'x/y%2Fz/w.txt' });
    const root = await fetch(`${runtime.url}/api/files`);
    expect(await root.json()).toEqual({ method: 'GET', path: null });
    const literal = await fetch(`${runtime.url}/api/FILES/list`);
    expect(await literal.json()).toEqual({ literal: true });
  });

  it('answers 404 for an unknown path or a method the route does not take', async () => {
    expect((await fetch(`${runtime.url}/api/nothing-here`)).status).toBe(404);
    expect((await fetch(`${runtime.url}/api/items/1`, { method: 'DELETE' })).status).toBe(404);
    expect((await fetch(`${runtime.url}/items/1`)).status).toBe(404);
  });

  it('streams a large request body through the function and back', async () => {
    const body = randomBytes(8 * 1024 * 1024);
    const res = await fetch(`${runtime.url}/api/echo`, {
      method: 'POST',
      body,
      headers: { 'Content-Type': 'application/x-test' },
    });
    expect(res.status).toBe(201);
    expect(res.headers.get('x-echo')).toBe('yes');
    expect(res.headers.get('content-type')).toBe('application/x-test');
    const back = Buffer.from(await res.arrayBuffer());
    expect(createHash('sha256').update(back).digest('hex')).toBe(
      createHash('sha256').update(body).digest('hex'),
    );
  });

  it('answers 500 when the handler throws and logs the error', async () => {
    const res = await fetch(`${runtime.url}/api/boom`);
    expect(res.status).toBe(500);
    expect(runtime.output()).toContain('boom');
  });

  it('runs the app’s invocation hooks', async () => {
    const before = (await seen(runtime)).preInvocations;
    await fetch(`${runtime.url}/api/items/1`);
    expect((await seen(runtime)).preInvocations).toBe(before + 2);
  });

  it('decodes base64 messages and passes dequeueCount', async () => {
    await queue.sendMessage(base64({ tag: 'plain' }));
    const entry = await waitFor('the message', async () =>
      (await seen(runtime)).seen.find((s) => s.message.tag === 'plain'),
    );
    expect(entry.dequeueCount).toBe(1);
    await waitFor('the message to be deleted', async () =>
      (await queue.peekMessages()).peekedMessageItems.length === 0 ? true : undefined,
    );
  });

  it('retries a failing message with a growing dequeueCount until it succeeds', async () => {
    await queue.sendMessage(base64({ tag: 'flaky', failUntil: 3 }));
    await waitFor('three tries', async () => {
      const tries = (await seen(runtime)).seen.filter((s) => s.message.tag === 'flaky');
      return tries.length === 3 ? tries : undefined;
    });
    const tries = (await seen(runtime)).seen.filter((s) => s.message.tag === 'flaky');
    expect(tries.map((t) => t.dequeueCount)).toEqual([1, 2, 3]);
  });

  it('moves a message that fails maxDequeueCount times to the poison queue', async () => {
    await queue.sendMessage(base64({ tag: 'poison', failUntil: 99 }));
    const poisoned = await waitFor('the poison queue', async () => {
      const exists = await poison.exists();
      const peeked = exists ? (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems : [];
      return peeked.find((m) => m.messageText === base64({ tag: 'poison', failUntil: 99 }));
    });
    expect(poisoned).toBeDefined();
    const tries = (await seen(runtime)).seen.filter((s) => s.message.tag === 'poison');
    expect(tries.map((t) => t.dequeueCount)).toEqual([1, 2, 3, 4, 5]);
  });

  it('sends a message that is not base64 to the poison queue without running the function', async () => {
    const raw = JSON.stringify({ tag: 'raw-json' });
    await queue.sendMessage(raw);
    await waitFor('the raw message in the poison queue', async () =>
      (await poison.peekMessages({ numberOfMessages: 32 })).peekedMessageItems.find(
        (m) => m.messageText === raw,
      ),
    );
    expect((await seen(runtime)).seen.some((s) => s.message.tag === 'raw-json')).toBe(false);
  });
});

describe('local runtime, HTTP streaming off', () => {
  let runtime: Runtime;
  beforeAll(async () => {
    runtime = await startRuntime({
      args: ['--app', APP],
      env: runtimeEnv(`dev-off-${Date.now()}`, { DEV_FIXTURE_STREAM: 'false' }),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('passes the request and response as RPC data', async () => {
    expect(runtime.output()).toContain('HTTP streaming: off');
    const res = await fetch(`${runtime.url}/api/items/7?q=x`, { headers: { 'x-test': 'y' } });
    expect(await res.json()).toEqual({ id: '7', q: 'x', header: 'y' });
    const echo = await fetch(`${runtime.url}/api/echo`, { method: 'POST', body: 'hello' });
    expect(echo.status).toBe(201);
    expect(await echo.text()).toBe('hello');
  });
});

describe('local runtime shutdown', () => {
  it('lets a running queue message finish on SIGTERM, then exits 0', async () => {
    const queueName = `dev-stop-${Date.now()}`;
    const queue = new QueueClient(connectionString, queueName);
    await queue.createIfNotExists();
    const runtime = await startRuntime({ args: ['--app', APP], env: runtimeEnv(queueName) });
    const marker = join(mkdtempSync(join(tmpdir(), 'dev-marker-')), 'done');
    await queue.sendMessage(base64({ tag: 'slow', sleepMs: 2000, marker }));
    await waitFor('the slow message to start', async () =>
      (await seen(runtime)).seen.some((s) => s.message.tag === 'slow') ? true : undefined,
    );
    expect(await runtime.stop('SIGTERM')).toBe(0);
    expect(existsSync(marker)).toBe(true);
    expect((await queue.peekMessages()).peekedMessageItems).toHaveLength(0);
    expect(runtime.output()).toContain('stopped');
  });

  it('fails start-up with one clear line when the app cannot load', async () => {
    await expect(
      startRuntime({ args: ['--app', join(import.meta.dirname, 'no-such-app.mjs')], env: runtimeEnv('x') }),
    ).rejects.toThrow(/npm start failed: .*no-such-app/);
  });

  it('the real app refuses to start on a malformed setting, naming it in one line', async () => {
    await expect(startRuntime({ env: { ...runtimeEnv('x'), SYNC_CONCURRENCY: 'lots' } })).rejects.toThrow(
      /npm start failed: Setting SYNC_CONCURRENCY must be an integer from 1 to 256, got "lots"/,
    );
  });
});
