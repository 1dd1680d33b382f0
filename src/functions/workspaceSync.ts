// Queue trigger for `workspace-sync`: one message = one sync job. Everything happens in
// runSyncMessage; a throw hands the message back to the host, which retries it and, after
// host.json's maxDequeueCount, moves it to `workspace-sync-poison`.

import { app, type InvocationContext } from '@azure/functions';
import { getServices } from '../services.js';
import { QUEUES } from '../storage-names.js';
import { hostSettings } from '../hostJson.js';
import { runSyncMessage } from '../sync/runJob.js';

export async function workspaceSync(message: unknown, context: InvocationContext): Promise<void> {
  const services = await getServices();
  const { config } = services;
  await runSyncMessage(
    message,
    {
      ...services,
      settings: { ...config.sync, token: config.github.token, hosts: config.github.hosts },
      log: (event, fields) => context.log(event, fields),
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
