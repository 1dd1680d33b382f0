// Runs the real function handlers in-process against a private Azurite (one per test file, so
// queue and table counts are this file's alone) and a temporary local workspace.

import { HttpRequest, InvocationContext, type HttpRequestInit } from '@azure/functions';
import { QueueClient } from '@azure/storage-queue';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startAzurite, type RunningAzurite } from '../../src/dev/azurite.js';
import { ensureStorage } from '../../src/jobs/storageClients.js';

export interface Harness {
  azurite: RunningAzurite;
  workspace: string;
  /** Every line the handlers logged, for "no secret in logs" checks. */
  logs: string[];
  context(): InvocationContext;
  request(init: HttpRequestInit): HttpRequest;
  /** Decoded JSON bodies of the messages waiting on a queue (peeked, not taken). */
  queueMessages(queue: string): Promise<unknown[]>;
  stop(): Promise<void>;
}

/** Must run before the first handler call: the app reads its settings once per process. */
export async function startHarness(settings: Record<string, string> = {}): Promise<Harness> {
  const azurite = await startAzurite();
  const workspace = await mkdtemp(join(tmpdir(), 'ws-harness-'));
  Object.assign(process.env, {
    AzureWebJobsStorage: azurite.connectionString,
    WORKSPACE_BACKEND: 'local',
    WORKSPACE_PATH: workspace,
    // Each test file its own secret store (the default is .data/secrets.json in the checkout).
    LOCAL_SECRETS_PATH: `${workspace}.secrets.json`,
    ...settings,
  });
  await ensureStorage({ kind: 'connectionString', connectionString: azurite.connectionString });
  const logs: string[] = [];
  const record =
    (level: string) =>
    (...args: unknown[]) =>
      logs.push(`${level} ${args.map((a) => (typeof a === 'string' ? a : JSON.stringify(a))).join(' ')}`);
  return {
    azurite,
    workspace,
    logs,
    context: () =>
      new InvocationContext({
        functionName: 'test',
        logHandler: (level, ...args) => record(level)(...args),
      }),
    request: (init) => new HttpRequest(init),
    async queueMessages(queue) {
      const client = new QueueClient(azurite.connectionString, queue);
      if (!(await client.exists())) return [];
      const { peekedMessageItems } = await client.peekMessages({ numberOfMessages: 32 });
      return peekedMessageItems.map((m) => JSON.parse(Buffer.from(m.messageText, 'base64').toString('utf8')));
    },
    async stop() {
      await azurite.stop();
      await rm(workspace, { recursive: true, force: true });
      await rm(`${workspace}.secrets.json`, { force: true });
    },
  };
}
