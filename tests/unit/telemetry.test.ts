// Events and metrics through the real OpenTelemetry SDK, captured by its in-memory exporters: an
// event is one log record whose attributes are the dimensions (what the Azure Monitor exporter
// turns into customDimensions), metrics are the instruments the workbook reads, and no secret
// survives the trip.

import { metrics } from '@opentelemetry/api';
import { logs, SeverityNumber } from '@opentelemetry/api-logs';
import { InMemoryLogRecordExporter, LoggerProvider, SimpleLogRecordProcessor } from '@opentelemetry/sdk-logs';
import {
  AggregationTemporality,
  DataPointType,
  InMemoryMetricExporter,
  MeterProvider,
  PeriodicExportingMetricReader,
} from '@opentelemetry/sdk-metrics';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { connectionChanged, event, metric, syncLogger, webhookOutcome } from '../../src/telemetry/index.js';
import { toJsonLine } from '../../src/telemetry/jsonLines.js';

let records: InMemoryLogRecordExporter;
let measured: InMemoryMetricExporter;
let meterProvider: MeterProvider;

beforeEach(() => {
  logs.disable();
  metrics.disable();
  records = new InMemoryLogRecordExporter();
  measured = new InMemoryMetricExporter(AggregationTemporality.DELTA);
  logs.setGlobalLoggerProvider(new LoggerProvider({ processors: [new SimpleLogRecordProcessor(records)] }));
  meterProvider = new MeterProvider({
    readers: [new PeriodicExportingMetricReader({ exporter: measured, exportIntervalMillis: 3_600_000 })],
  });
  metrics.setGlobalMeterProvider(meterProvider);
});

afterEach(async () => {
  await meterProvider.shutdown();
  logs.disable();
  metrics.disable();
});

const emitted = () => records.getFinishedLogRecords();

/** Every data point exported so far, by metric name: [attributes, value] pairs. */
async function dataPoints(): Promise<Map<string, [Record<string, unknown>, unknown][]>> {
  await meterProvider.forceFlush();
  const byName = new Map<string, [Record<string, unknown>, unknown][]>();
  for (const resource of measured.getMetrics()) {
    for (const scope of resource.scopeMetrics) {
      for (const data of scope.metrics) {
        const points = data.dataPoints.map(
          (point) =>
            [
              point.attributes,
              data.dataPointType === DataPointType.HISTOGRAM
                ? (point.value as { count: number; sum: number })
                : point.value,
            ] as [Record<string, unknown>, unknown],
        );
        byName.set(data.descriptor.name, [...(byName.get(data.descriptor.name) ?? []), ...points]);
      }
    }
  }
  return byName;
}

describe('event', () => {
  it('is one log record: event = name plus the dimensions as attributes, the message as body', () => {
    event(
      'sync.failed',
      { jobId: 'j1', errorCode: 'BRANCH_NOT_FOUND', durationMs: 12 },
      'Branch "x" is gone',
    );
    expect(emitted()).toHaveLength(1);
    const [record] = emitted();
    expect(record!.attributes).toEqual({
      event: 'sync.failed',
      jobId: 'j1',
      errorCode: 'BRANCH_NOT_FOUND',
      durationMs: 12,
    });
    expect(record!.body).toBe('Branch "x" is gone');
    expect(record!.severityNumber).toBe(SeverityNumber.ERROR);
  });

  it('uses the name as the body when there is no message, and leaves out undefined dimensions', () => {
    event('webhook.accepted', { jobId: undefined, deliveryId: 'd1' });
    expect(emitted()[0]!.body).toBe('webhook.accepted');
    expect(emitted()[0]!.attributes).toEqual({ event: 'webhook.accepted', deliveryId: 'd1' });
  });

  it('cannot be renamed by a dimension called event', () => {
    event('sync.started', { event: 'sync.succeeded' });
    expect(emitted()[0]!.attributes.event).toBe('sync.started');
  });
});

describe('secrets', () => {
  const token = 'ghp_' + 'a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8';
  const pat = 'github_pat_' + '11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz';
  const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjM0NTY3ODkwIn0.c2lnbmF0dXJlLXBhcnQ';
  const accountKey = 'Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmFyYmF6cXV4Zm9vYmE=';
  const commit = '4b825dc642cb6eb9a060e54bf8d69288fbee4904';

  it('drops secret-named dimensions and replaces credential shapes inside values and the message', () => {
    event(
      'sync.failed',
      {
        githubToken: token,
        webhookSecret: 'hunter2hunter2',
        Authorization: 'Bearer abc',
        apiKey: 'k',
        repository: `https://x-access-token:${token}@github.com/o/r.git`,
        reason: `header said token ${pat} and Bearer ${jwt}`,
        payload: `https://acct.blob.core.windows.net/c?sv=2024&sig=${encodeURIComponent(accountKey)}`,
        errorCode: 'STORAGE_ERROR',
        commit,
        tokenExpiresAt: '2026-12-01T00:00:00.000Z',
      },
      `AccountKey=${accountKey};EndpointSuffix=core.windows.net failed for ${jwt}`,
    );
    const [record] = emitted();
    const sent = JSON.stringify({ body: record!.body, attributes: record!.attributes });
    for (const secret of [
      token,
      pat,
      jwt,
      accountKey,
      encodeURIComponent(accountKey),
      'hunter2',
      'Bearer abc',
    ]) {
      expect(sent).not.toContain(secret);
    }
    expect(Object.keys(record!.attributes)).not.toEqual(
      expect.arrayContaining(['githubToken', 'webhookSecret', 'Authorization', 'apiKey']),
    );
    // Not secrets: a commit SHA, an error code, an expiry date, the readable rest of a message.
    expect(record!.attributes).toMatchObject({
      commit,
      errorCode: 'STORAGE_ERROR',
      tokenExpiresAt: '2026-12-01T00:00:00.000Z',
      repository: 'https://[redacted]@github.com/o/r.git',
    });
    expect(record!.body).toBe('AccountKey=[redacted];EndpointSuffix=core.windows.net failed for [redacted]');
  });

  it('keeps ordinary words after "token"', () => {
    event('poll.failed', {}, 'token expired or revoked');
    expect(emitted()[0]!.body).toBe('token expired or revoked');
  });
});

describe('metric', () => {
  it('adds to counters and records into the duration histogram, with its dimensions', async () => {
    metric('sync.files_written', 3, { trigger: 'push' });
    metric('sync.files_written', 4, { trigger: 'push' });
    metric('sync.duration_ms', 250, { outcome: 'succeeded', trigger: 'push' });
    metric('sync.duration_ms', 750, { outcome: 'succeeded', trigger: 'push' });
    const points = await dataPoints();
    expect(points.get('sync.files_written')).toEqual([[{ trigger: 'push' }, 7]]);
    expect(points.get('sync.duration_ms')).toEqual([
      [{ outcome: 'succeeded', trigger: 'push' }, expect.objectContaining({ count: 2, sum: 1000 })],
    ]);
  });
});

describe('syncLogger', () => {
  // The fields runSyncMessage (src/sync/runJob.ts) logs, in the order one delivery logs them.
  const started = { jobId: 'j1', attempt: 1, trigger: 'push' };
  const succeeded = {
    jobId: 'j1',
    attempt: 1,
    durationMs: 1234,
    commitSynced: '4b825dc642cb6eb9a060e54bf8d69288fbee4904',
    counts: { added: 2, updated: 1, deleted: 3, unchanged: 10, skipped: 0 },
    skippedTotal: 0,
    error: null,
    phases: { lsRemoteMs: 20, cloneMs: 400, listMs: 30, applyMs: 700 },
    bytesWritten: 5120,
    storageRequests: 17,
  };

  it('maps a delivery to sync.* events with the workbook dimensions, carrying the trigger over', async () => {
    const log = syncLogger(() => expect.unreachable('a sync event went to the fallback'));
    log('sync.started', started);
    log('sync.succeeded', succeeded);
    expect(emitted().map((r) => r.attributes)).toEqual([
      { event: 'sync.started', jobId: 'j1', attempt: 1, trigger: 'push' },
      {
        event: 'sync.succeeded',
        jobId: 'j1',
        attempt: 1,
        trigger: 'push',
        commit: succeeded.commitSynced,
        durationMs: 1234,
        filesWritten: 3,
        filesDeleted: 3,
        filesSkipped: 0,
        bytesWritten: 5120,
        storageRequests: 17,
        lsRemoteMs: 20,
        cloneMs: 400,
        listMs: 30,
        applyMs: 700,
      },
    ]);
    const points = await dataPoints();
    expect(points.get('sync.duration_ms')).toEqual([
      [{ outcome: 'succeeded', trigger: 'push' }, expect.objectContaining({ count: 1, sum: 1234 })],
    ]);
    expect(points.get('sync.files_written')).toEqual([[{ trigger: 'push' }, 3]]);
    expect(points.get('sync.bytes_written')).toEqual([[{ trigger: 'push' }, 5120]]);
    expect(points.get('sync.storage_requests')).toEqual([[{ trigger: 'push' }, 17]]);
  });

  it('gives a failure its error code as a dimension and its message as the body', async () => {
    const log = syncLogger(() => expect.unreachable());
    log('sync.started', { ...started, trigger: 'manual' });
    log('sync.failed', {
      jobId: 'j1',
      attempt: 5,
      durationMs: 90,
      error: { code: 'BRANCH_NOT_FOUND', message: 'Branch "main" does not exist in the repository' },
    });
    const failed = emitted()[1]!;
    expect(failed.attributes).toEqual({
      event: 'sync.failed',
      jobId: 'j1',
      attempt: 5,
      trigger: 'manual',
      errorCode: 'BRANCH_NOT_FOUND',
      durationMs: 90,
    });
    expect(failed.body).toBe('Branch "main" does not exist in the repository');
    expect(failed.severityNumber).toBe(SeverityNumber.ERROR);
    const points = await dataPoints();
    expect(points.get('sync.duration_ms')).toEqual([
      [{ outcome: 'failed', trigger: 'manual' }, expect.objectContaining({ count: 1, sum: 90 })],
    ]);
    expect(points.has('sync.files_written')).toBe(false);
  });

  it('hands names it does not know to the fallback, unchanged', () => {
    const other: [string, Record<string, unknown>][] = [];
    syncLogger((name, fields) => other.push([name, fields]))('sync.somethingNew', { jobId: 'j1' });
    expect(other).toEqual([['sync.somethingNew', { jobId: 'j1' }]]);
    expect(emitted()).toEqual([]);
  });
});

describe('webhookOutcome and connectionChanged', () => {
  it('emits webhook.<outcome> and counts it under webhook.outcome', async () => {
    webhookOutcome('accepted', { deliveryId: 'd1', jobId: 'j1', commit: 'abc' });
    webhookOutcome('rejected', { reason: 'invalid-signature' });
    webhookOutcome('rejected', { reason: 'invalid-signature' });
    expect(emitted().map((r) => r.attributes)).toEqual([
      { event: 'webhook.accepted', deliveryId: 'd1', jobId: 'j1', commit: 'abc' },
      { event: 'webhook.rejected', reason: 'invalid-signature' },
      { event: 'webhook.rejected', reason: 'invalid-signature' },
    ]);
    const points = await dataPoints();
    expect(points.get('webhook.outcome')).toEqual(
      expect.arrayContaining([
        [{ outcome: 'accepted' }, 1],
        [{ outcome: 'rejected' }, 2],
      ]),
    );
  });

  it('records the connection with the token expiry as ISO 8601, whatever form GitHub gave it in', () => {
    connectionChanged('connected', {
      repository: 'octo/scripts',
      branch: 'main',
      tokenExpiresAt: '2026-04-26 16:44:21 -0700',
      jobId: 'j1',
    });
    connectionChanged('disconnected', { repository: 'octo/scripts', tokenExpiresAt: 'not a date' });
    expect(emitted().map((r) => r.attributes)).toEqual([
      {
        event: 'connection.changed',
        action: 'connected',
        repository: 'octo/scripts',
        branch: 'main',
        tokenExpiresAt: '2026-04-26T23:44:21.000Z',
        jobId: 'j1',
      },
      { event: 'connection.changed', action: 'disconnected', repository: 'octo/scripts' },
    ]);
  });
});

describe('local JSON lines', () => {
  it('prints each event as one line of JSON with its dimensions', () => {
    event('sync.failed', { jobId: 'j1', errorCode: 'X' }, 'it broke\non two lines');
    const line = toJsonLine(emitted()[0]!);
    expect(line).not.toContain('\n');
    expect(JSON.parse(line)).toEqual({
      time: expect.stringMatching(/^\d{4}-\d{2}-\d{2}T/),
      event: 'sync.failed',
      jobId: 'j1',
      errorCode: 'X',
      message: 'it broke\non two lines',
    });
  });
});
