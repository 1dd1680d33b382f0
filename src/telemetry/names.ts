// The one naming scheme for telemetry: `<area>.<what happened>`, lower camel case after the dot
// (`sync.succeeded`, `webhook.accepted`, `poll.checked`). Every event is a trace whose
// customDimensions.event is its name; every metric is a customMetrics row under its name. The
// operator workbook and alerts (infra/workbook/queries, infra/alerts) read these names verbatim,
// and tests/unit/telemetry-names.test.ts holds the two sides together.

import { SeverityNumber } from '@opentelemetry/api-logs';

const { INFO, WARN, ERROR } = SeverityNumber;

/** Each event and the severity its trace carries (severityLevel in Application Insights). */
export const EVENTS = {
  'sync.started': INFO,
  'sync.succeeded': INFO,
  'sync.failed': ERROR,
  'sync.skipped': INFO,
  /** A delivery failed and the queue will hand the message out again. */
  'sync.retrying': WARN,
  /** Another sync or an edit held the workspace; the message was re-queued with a delay. */
  'sync.busy': INFO,
  /** The job had already finished: a redelivered message. */
  'sync.duplicate': INFO,
  'sync.unknownJob': WARN,
  'sync.invalidMessage': WARN,
  'webhook.accepted': INFO,
  'webhook.ignored': INFO,
  'webhook.rejected': WARN,
  'webhook.duplicate': INFO,
  'connection.changed': INFO,
  'poll.checked': INFO,
  'poll.failed': WARN,
  'jobs.abandoned': WARN,
  'dedupe.swept': INFO,
} as const satisfies Record<string, SeverityNumber>;

export type EventName = keyof typeof EVENTS;

/**
 * Each metric and its instrument. Counters are sums over the export interval (the Azure Monitor
 * exporter asks for delta temporality, so summing valueSum over time is right); the histogram
 * keeps count, sum, min and max per interval.
 */
export const METRICS = {
  'sync.duration_ms': { kind: 'histogram', unit: 'ms' },
  'sync.files_written': { kind: 'counter', unit: '{file}' },
  'sync.bytes_written': { kind: 'counter', unit: 'By' },
  'sync.storage_requests': { kind: 'counter', unit: '{request}' },
  'webhook.outcome': { kind: 'counter', unit: '{delivery}' },
} as const satisfies Record<string, { kind: 'counter' | 'histogram'; unit: string }>;

export type MetricName = keyof typeof METRICS;

export function isEventName(name: string): name is EventName {
  return Object.hasOwn(EVENTS, name);
}
