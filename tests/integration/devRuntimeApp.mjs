// A small app for the local runtime's own tests (tests/integration/devRuntime.test.ts): it
// registers through @azure/functions like src/index.ts does, so the runtime is tested without
// the real functions. DEV_FIXTURE_STREAM=false turns HTTP streaming off.
import { writeFileSync } from 'node:fs';
import { setTimeout } from 'node:timers/promises';
import { app } from '@azure/functions';

app.setup({ enableHttpStream: process.env.DEV_FIXTURE_STREAM !== 'false' });

const seen = [];
let preInvocations = 0;
app.hook.preInvocation(() => {
  preInvocations++;
});

app.http('item', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'items/{id}',
  handler: async (request) => ({
    jsonBody: { id: request.params.id, q: request.query.get('q'), header: request.headers.get('x-test') },
  }),
});

app.http('files', {
  methods: ['GET', 'PUT'],
  authLevel: 'function',
  route: 'files/{*path}',
  handler: async (request) => ({ jsonBody: { method: request.method, path: request.params.path ?? null } }),
});

app.http('filesList', {
  methods: ['GET'],
  authLevel: 'function',
  route: 'files/list',
  handler: async () => ({ jsonBody: { literal: true } }),
});

app.http('echo', {
  methods: ['POST'],
  authLevel: 'anonymous',
  handler: async (request) => ({
    status: 201,
    headers: {
      'Content-Type': request.headers.get('content-type') ?? 'application/octet-stream',
      'X-Echo': 'yes',
    },
    body: request.body,
  }),
});

app.http('boom', {
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => {
    throw new Error('boom');
  },
});

app.http('seen', {
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: { seen, preInvocations } }),
});

app.storageQueue('work', {
  queueName: process.env.DEV_FIXTURE_QUEUE ?? 'fixture-work',
  connection: 'AzureWebJobsStorage',
  handler: async (message, context) => {
    const dequeueCount = context.triggerMetadata.dequeueCount;
    seen.push({ message, dequeueCount });
    if (message.sleepMs) await setTimeout(message.sleepMs);
    if (message.marker) writeFileSync(message.marker, 'done');
    if (message.failUntil && dequeueCount < message.failUntil)
      throw new Error(`failing on try ${dequeueCount}`);
  },
});
