// Queue trigger for `workspace-sync`: one message = one sync job. Everything happens in
// runSyncMessage; a throw hands the message back to the host, which retries it and, after
// host.json's maxDequeueCount, moves it to `workspace-sync-poison`. Its log lines become the
// sync.* events and metrics (src/telemetry/sync.ts).

import { app, type InvocationContext } from '@azure/functions';
import { getServices } from './services.js';
import { QUEUES } from '../storage-names.js';
import { hostSettings } from '../hostJson.js';
import { runSyncMessage } from '../sync/runJob.js';
import { syncLogger } from '../telemetry/index.js';

export async function workspaceSync(message: unknown, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const { config } = services;
  await runSyncMessage(
    message,
    {
      ...services,
      settings: { ...config.sync, token: config.github.token, hosts: config.github.hosts },
      log: syncLogger((name, fields) => context.log(name, fields)),
    },
    {
      dequeueCount: Number(context.triggerMetadata?.dequeueCount ?? 1),
      maxDequeueCount: hostSettings().queues.maxDequeueCount,
    },
  );
}

app.storageQueue('workspace-sync', {
  queueName: QUEUES.sync,
  connection: 'AzureWebJobsStorage',
  handler: workspaceSync,
});
