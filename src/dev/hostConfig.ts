// The parts of host.json the local runtime honours: the HTTP route prefix and the storage
// queue trigger settings, with the Functions host's defaults where host.json is silent.

import { readFileSync } from 'node:fs';

export interface QueueOptions {
  batchSize: number;
  newBatchThreshold: number;
  maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
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

/** Parses a .NET TimeSpan as host.json writes it: `[d.]hh:mm:ss[.fff]`. */
export function parseTimeSpan(text: string): number {
  const match = /^(?:(\d+)\.)?(\d{1,2}):(\d{2}):(\d{2})(?:\.(\d{1,7}))?$/.exec(text.trim());
  if (!match) throw new Error(`host.json: "${text}" is not a TimeSpan like 00:00:30`);
  const [, days, hours, minutes, seconds, fraction] = match;
  const ms = Number(`0.${fraction ?? '0'}`) * 1000;
  return (
    (((Number(days ?? 0) * 24 + Number(hours)) * 60 + Number(minutes)) * 60 + Number(seconds)) * 1000 + ms
  );
}

function devMs(env: Record<string, string | undefined>, name: string): number | undefined {
  const value = env[name]?.trim();
  if (!value) return undefined;
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0)
    throw new Error(`Setting ${name} must be a whole number of milliseconds`);
  return n;
}

interface HostJson {
  extensions?: {
    http?: { routePrefix?: string };
    queues?: {
      batchSize?: number;
      newBatchThreshold?: number;
      maxDequeueCount?: number;
      visibilityTimeout?: string;
      maxPollingInterval?: string;
      messageEncoding?: string;
    };
  };
}

export function loadHostConfig(path: string, env: Record<string, string | undefined>): HostConfig {
  const json = JSON.parse(readFileSync(path, 'utf8')) as HostJson;
  const queues = json.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  const encoding = (queues.messageEncoding ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new Error(`host.json: extensions.queues.messageEncoding must be "base64" or "none"`);
  }
  return {
    routePrefix: (json.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    queues: {
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      visibilityTimeoutMs:
        devMs(env, 'DEV_QUEUE_VISIBILITY_TIMEOUT_MS') ??
        parseTimeSpan(queues.visibilityTimeout ?? '00:00:00'),
      maxPollingIntervalMs: parseTimeSpan(queues.maxPollingInterval ?? '00:01:00'),
      messageEncoding: encoding,
      processingLeaseMs: devMs(env, 'DEV_QUEUE_LEASE_MS') ?? 10 * 60_000,
    },
  };
}
