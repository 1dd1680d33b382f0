// The parts of host.json the local runtime honours: the HTTP route prefix and the storage
// queue trigger settings, with the Functions host's defaults where host.json is silent.

import { readHostSettings, type HostQueueSettings } from '../hostJson.js';

export { parseTimeSpan } from '../hostJson.js';

export interface QueueOptions extends HostQueueSettings {
  /**
   * How long a received message stays invisible while its function runs; renewed at half this
   * period. The Functions host uses 10 minutes; a dev override makes crash recovery quick.
   */
  processingLeaseMs: number;
}

export interface HostConfig {
  routePrefix: string;
  queues: QueueOptions;
}

function devMs(env: Record<string, string | undefined>, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`Setting ${name} must be a whole number of milliseconds`);
  return n;
}

export function loadHostConfig(path: string, env: Record<string, string | undefined>): HostConfig {
  const { routePrefix, queues } = readHostSettings(path);
  return {
    routePrefix,
    queues: {
      ...queues,
      visibilityTimeoutMs: devMs(env, 'DEV_QUEUE_VISIBILITY_TIMEOUT_MS') ?? queues.visibilityTimeoutMs,
      processingLeaseMs: devMs(env, 'DEV_QUEUE_LEASE_MS') ?? 10 * 60_000,
    },
  };
}
