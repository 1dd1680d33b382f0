// The operator's Kusto queries (infra/workbook/queries: the workbook; infra/alerts: the alerts
// docs/operations.md describes) parse and analyse cleanly against the Application Insights tables, name only
// events and metrics the app emits, and the workbook the Bicep deploys carries exactly those queries.

import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { kqlErrors } from '../support/kusto.js';
import { infra, infraSkipReason, root, type Json, type Resource } from './infra-snapshot.js';

/** The telemetry contract (issue 13): trace events (customDimensions.event) and custom metric names. */
const EVENTS = [
  'sync.started',
  'sync.succeeded',
  'sync.failed',
  'sync.skipped',
  'webhook.accepted',
  'webhook.ignored',
  'webhook.rejected',
  'webhook.duplicate',
  'connection.changed',
];
const METRICS = [
  'sync.duration_ms',
  'sync.files_written',
  'sync.bytes_written',
  'sync.storage_requests',
  'webhook.outcome',
];
/** customDimensions keys the queries may read: the contract's, plus what connection.changed carries. */
const DIMENSIONS = [
  'event',
  'jobId',
  'trigger',
  'commit',
  'errorCode',
  'durationMs',
  'filesWritten',
  'filesDeleted',
  'bytesWritten',
  'storageRequests',
  'outcome',
  'action',
  'repository',
  'branch',
  'tokenExpiresAt',
];

const queryFiles = (folder: string) =>
  readdirSync(join(root, folder))
    .filter((name) => name.endsWith('.kql'))
    .map((name) => ({ file: `${folder}/${name}`, text: readFileSync(join(root, folder, name), 'utf8') }));
const workbookQueries = queryFiles('infra/workbook/queries');
const alertQueries = queryFiles('infra/alerts');

describe('Kusto queries', () => {
  it('exist for every view the workbook promises and every alert docs/operations.md describes', () => {
    expect(workbookQueries.map((q) => q.file.split('/').at(-1)).sort()).toEqual([
      'connection-and-last-sync.kql',
      'failed-jobs.kql',
      'files-per-sync.kql',
      'storage-load.kql',
      'sync-duration.kql',
      'syncs-by-outcome.kql',
      'webhook-outcomes.kql',
    ]);
    expect(alertQueries.map((q) => q.file.split('/').at(-1)).sort()).toEqual([
      'sync-failed.kql',
      'sync-stalled.kql',
      'token-expiring.kql',
    ]);
  });

  it.each([...workbookQueries, ...alertQueries])('$file parses and analyses without errors', ({ text }) => {
    expect(kqlErrors(text)).toEqual([]);
  });

  it('would catch a misspelt column, table or function, and a syntax error', () => {
    const errors = (query: string) => kqlErrors(query).join('\n');
    expect(errors('traces | project timestmp')).toMatch(/^1:18 .*'timestmp'/);
    expect(errors('trace | take 1')).toMatch(/^1:1 .*'trace'/);
    expect(errors('traces | summarize percentil(severityLevel, 50)')).toMatch(/'percentil'/);
    expect(errors('traces | where | take 1')).toMatch(/^1:\d+ /);
  });

  it.each([...workbookQueries, ...alertQueries])(
    '$file names only events, metrics and dimensions the app emits',
    ({ text }) => {
      const code = text.replace(/\/\/.*$/gm, '');
      for (const [, name] of code.matchAll(/"((?:sync|webhook|connection)\.[a-z_]+)"/g)) {
        expect([...EVENTS, ...METRICS]).toContain(name);
      }
      for (const [, prefix] of code.matchAll(/startswith "([a-z]+\.)"/g)) {
        expect(EVENTS.some((event) => event.startsWith(prefix))).toBe(true);
      }
      for (const [, dimension] of code.matchAll(/customDimensions\.(\w+)/g))
        expect(DIMENSIONS).toContain(dimension);
    },
  );
});

describe.skipIf(infraSkipReason)('operations workbook (bicep snapshot)', () => {
  let workbook: Resource;
  let appInsights: Resource;
  let content: Json;

  beforeAll(() => {
    workbook = infra().single('Microsoft.Insights/workbooks');
    appInsights = infra().single('Microsoft.Insights/components');
    content = JSON.parse(workbook.properties.serializedData);
  });

  it('is a shared workbook on the Application Insights component, with a stable GUID name', () => {
    expect(workbook.kind).toBe('shared');
    expect(workbook.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
    expect(workbook.properties).toMatchObject({ category: 'workbook', sourceId: appInsights.id });
    expect(workbook.properties.displayName).toBeTruthy();
    expect(content.version).toBe('Notebook/1.0');
    expect(content.fallbackResourceIds).toEqual([appInsights.id]);
  });

  it('carries every workbook query file verbatim, once, as a Logs query on the component', () => {
    const items = (content.items as Json[]).filter((item) => item.type === 3);
    expect(items.map((item) => item.content.query).sort()).toEqual(workbookQueries.map((q) => q.text).sort());
    for (const item of items) {
      expect(item.content).toMatchObject({
        version: 'KqlItem/1.0',
        queryType: 0,
        resourceType: 'microsoft.insights/components',
      });
      expect(item.content.title).toBeTruthy();
      expect(['table', 'timechart', 'barchart']).toContain(item.content.visualization);
    }
  });

  it('lets the operator pick the time range, except for the current connection, which looks further back', () => {
    const parameters = (content.items as Json[]).find((item) => item.type === 9)!.content
      .parameters as Json[];
    const names = parameters.map((p) => p.name);
    for (const item of (content.items as Json[]).filter((i) => i.type === 3)) {
      if (item.name === 'connection') {
        expect(item.content.timeContext.durationMs).toBeGreaterThanOrEqual(30 * 24 * 3600 * 1000);
        expect(item.content.timeContextFromParameter).toBeUndefined();
      } else {
        expect(names).toContain(item.content.timeContextFromParameter);
      }
    }
  });
});

describe('host.json logging', () => {
  it('sends every invocation, successful ones too, to the requests table, unsampled', () => {
    const logging = JSON.parse(readFileSync(join(root, 'host.json'), 'utf8')).logging;
    // Host.Results is the category the host writes requests with; above Information, successes are dropped.
    expect(['Trace', 'Debug', 'Information']).toContain(
      logging.logLevel['Host.Results'] ?? logging.logLevel.default,
    );
    expect(logging.applicationInsights.samplingSettings.excludedTypes.split(';')).toContain('Request');
  });
});
