// The operator workbook and the alert rules (infra/workbook/queries, infra/alerts) name events,
// metrics and dimensions as string literals. This holds them to what the app emits: every name a
// query filters on exists in src/telemetry/names.ts, and every customDimensions.X a query reads is
// carried by the records the app's own producers make for the events that query names.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { logs } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { connectionChanged, EVENTS, METRICS, syncLogger, webhookOutcome } from '../../src/telemetry/index.js';

const QUERY_DIRS = ['infra/workbook/queries', 'infra/alerts'];
const queries = QUERY_DIRS.flatMap((dir) =>
  readdirSync(dir)
    .filter((name) => name.endsWith('.kql'))
    .map((name) => ({ file: join(dir, name), text: readFileSync(join(dir, name), 'utf8') })),
);

/** Quoted literals shaped like our names (`"sync.failed"`) or name prefixes (`"webhook."`). */
function namesIn(text: string): string[] {
  const code = text.replace(/^\s*\/\/.*$/gm, ''); // comments mention names in prose
  return [...code.matchAll(/"([a-z]+\.[A-Za-z_]*)"/g)].map((match) => match[1]!);
}

const dimensionsIn = (text: string) => [...text.matchAll(/customDimensions\.(\w+)/g)].map((m) => m[1]!);
const isMetricQuery = (text: string) => /^\s*customMetrics\b/m.test(text);

/** The attributes each event carries when the app's producers are given everything they take. */
const carried = new Map<string, Set<string>>();

beforeAll(() => {
  logs.disable();
  const exporter = new InMemoryLogRecordExporter();
  logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor(exporter)] }));
  // runSyncMessage's fields (src/sync/runJob.ts), with bytesWritten and storageRequests as the
  // workbook expects them.
  const log = syncLogger(() => undefined);
  log('sync.started', { jobId: 'j', attempt: 1, trigger: 'push' });
  const finished = {
    jobId: 'j',
    attempt: 1,
    durationMs: 1,
    commitSynced: 'c',
    counts: { added: 1, updated: 1, deleted: 1, unchanged: 0, skipped: 0 },
    bytesWritten: 1,
    storageRequests: 1,
  };
  log('sync.succeeded', finished);
  log('sync.skipped', { ...finished, error: { code: 'NOT_CONNECTED', message: 'm' } });
  log('sync.failed', { ...finished, error: { code: 'E', message: 'm' } });
  for (const outcome of ['accepted', 'ignored', 'rejected', 'duplicate'] as const) {
    webhookOutcome(outcome, { deliveryId: 'd', githubEvent: 'push', reason: 'r', jobId: 'j', commit: 'c' });
  }
  connectionChanged('connected', {
    repository: 'o/r',
    branch: 'main',
    tokenExpiresAt: new Date(),
    jobId: 'j',
  });
  for (const record of exporter.getFinishedLogRecords()) {
    const name = String(record.attributes.event);
    carried.set(name, new Set([...(carried.get(name) ?? []), ...Object.keys(record.attributes)]));
  }
});

afterAll(() => logs.disable());

describe('telemetry names', () => {
  it('follow one scheme: <area>.<lowerCamel> for events, <area>.<snake_case> for metrics', () => {
    for (const name of Object.keys(EVENTS)) expect(name).toMatch(/^[a-z]+\.[a-z][A-Za-z]*$/);
    for (const name of Object.keys(METRICS)) expect(name).toMatch(/^[a-z]+\.[a-z_]+$/);
  });

  it('finds queries to check, each naming at least one event or metric', () => {
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const { file, text } of queries) expect(namesIn(text), file).not.toEqual([]);
  });

  it.each(queries)('$file names only events and metrics the app emits', ({ text }) => {
    const known = isMetricQuery(text) ? Object.keys(METRICS) : Object.keys(EVENTS);
    for (const name of namesIn(text)) {
      if (name.endsWith('.'))
        expect(
          known.some((k) => k.startsWith(name)),
          name,
        ).toBe(true);
      else expect(known, name).toContain(name);
    }
  });

  it.each(queries.filter(({ text }) => !isMetricQuery(text)))(
    '$file reads only dimensions its events carry',
    ({ text }) => {
      const events = namesIn(text).flatMap((name) =>
        name.endsWith('.') ? [...carried.keys()].filter((k) => k.startsWith(name)) : [name],
      );
      const available = new Set(events.flatMap((name) => [...(carried.get(name) ?? [])]));
      for (const dimension of dimensionsIn(text)) expect([...available], dimension).toContain(dimension);
    },
  );

  it('covers every event the workbook reads with a producer', () => {
    const read = new Set(queries.flatMap(({ text }) => (isMetricQuery(text) ? [] : namesIn(text))));
    for (const name of read) {
      if (!name.endsWith('.')) expect([...carried.keys()], name).toContain(name);
    }
  });
});
