// The one host.json reader: the values the app and the local runtime take from the deployed
// host.json, with the Functions host's own defaults where it is silent, so each setting lives in
// one place (host.json) and nothing re-parses it its own way.

import { readFileSync } from 'node:fs';

export interface HostQueueSettings {
  batchSize: number;
  newBatchThreshold: number;
  /** After this many deliveries a message goes to the poison queue. */
  maxDequeueCount: number;
  /** Delay before a failed message is visible again. */
  visibilityTimeoutMs: number;
  maxPollingIntervalMs: number;
  messageEncoding: 'base64' | 'none';
}

export interface HostSettings {
  routePrefix: string;
  /** functionTimeout: the longest one invocation (a sync) may run. */
  functionTimeoutMs: number;
  queues: HostQueueSettings;
}

interface HostJson {
  functionTimeout?: string;
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

export const APP_HOST_JSON = new URL('../host.json', import.meta.url);

export function readHostSettings(path: string | URL = APP_HOST_JSON): HostSettings {
  const json = JSON.parse(readFileSync(path, 'utf8')) as HostJson;
  const queues = json.extensions?.queues ?? {};
  const batchSize = queues.batchSize ?? 16;
  const encoding = (queues.messageEncoding ?? 'base64').toLowerCase();
  if (encoding !== 'base64' && encoding !== 'none') {
    throw new Error(`host.json: extensions.queues.messageEncoding must be "base64" or "none"`);
  }
  return {
    routePrefix: (json.extensions?.http?.routePrefix ?? 'api').replace(/^\/+|\/+$/g, ''),
    // The host's default on Premium and Dedicated plans.
    functionTimeoutMs: parseTimeSpan(json.functionTimeout ?? '00:30:00'),
    queues: {
      batchSize,
      newBatchThreshold: queues.newBatchThreshold ?? Math.floor(batchSize / 2),
      maxDequeueCount: queues.maxDequeueCount ?? 5,
      visibilityTimeoutMs: parseTimeSpan(queues.visibilityTimeout ?? '00:00:00'),
      maxPollingIntervalMs: parseTimeSpan(queues.maxPollingInterval ?? '00:01:00'),
      messageEncoding: encoding,
    },
  };
}

let cached: HostSettings | undefined;

/** The app's own host.json, read once. */
export function hostSettings(): HostSettings {
  cached ??= readHostSettings();
  return cached;
}
