// The app's queue functions run in-process by the queue host `npm start` uses (src/dev/queueHost.ts):
// the real registrations through @azure/functions, the Functions host's retry and poison semantics
// from host.json (maxDequeueCount, `<queue>-poison`), and the library's own trigger conversion.
// Only the retry delay is shortened, with the local runtime's own knob, so five deliveries take
// seconds rather than five visibility timeouts.

import { join } from 'node:path';
import { createCoreApi, installCoreModule } from '../../src/dev/coreShim.js';
import { loadHostConfig } from '../../src/dev/hostConfig.js';
import type { Logger } from '../../src/dev/log.js';
import { queueTriggers, startQueueTriggers } from '../../src/dev/queueHost.js';

const REPO_ROOT = join(import.meta.dirname, '../..');

export interface AppQueueHost {
  /** Every line the host and the functions logged. */
  logs: string[];
  /** Names of the queues a trigger listens on. */
  queues: string[];
  stop(): Promise<void>;
}

/**
 * Registers the functions `importApp` loads (once per process: @azure/functions looks for its
 * host once) and starts their queue triggers against `connectionString`.
 */
export async function startAppQueueHost(
  importApp: () => Promise<unknown>,
  connectionString: string,
): Promise<AppQueueHost> {
  const logs: string[] = [];
  const logger: Logger = {
    info: (message) => logs.push(message),
    warn: (message) => logs.push(`warning: ${message}`),
    error: (message) => logs.push(`error: ${message}`),
    system: (level, _category, message) => logs.push(`${level}: ${message}`),
    functionLog: (name, _invocationId, level, _category, message) =>
      logs.push(`${name} ${level}: ${message}`),
  };
  const { api, registry } = createCoreApi(logger.system);
  installCoreModule(api);
  await importApp();
  const host = loadHostConfig(join(REPO_ROOT, 'host.json'), { DEV_QUEUE_VISIBILITY_TIMEOUT_MS: '0' });
  const triggers = queueTriggers(registry.functions);
  const running = startQueueTriggers(triggers, {
    registry,
    defaultConnection: connectionString,
    queue: host.queues,
    logger,
  });
  return {
    logs,
    queues: triggers.map((t) => t.queueName),
    stop: async () => {
      await Promise.all(running.map((queue) => queue.stop(10_000)));
    },
  };
}
