// Pure parts of the local runtime: route templates, settings resolution, host.json reading,
// queue message decoding.

import { EventEmitter } from 'node:events';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadHostConfig, parseTimeSpan } from '../../src/dev/hostConfig.js';
import { abortableSleep, decodeMessage } from '../../src/dev/queueHost.js';
import { compileTemplate } from '../../src/dev/routes.js';
import { parseArgs, resolveSettings, wantsLocalAzurite } from '../../src/dev/settings.js';

describe('route templates', () => {
  const match = (template: string, path: string) =>
    compileTemplate(template, 'api').regex.exec(path)?.slice(1);

  it('matches literals case-insensitively under the prefix', () => {
    expect(match('sync/jobs', '/api/Sync/Jobs')).toEqual([]);
    expect(match('sync/jobs', '/api/sync/jobs/')).toEqual([]);
    expect(match('sync/jobs', '/sync/jobs')).toBeUndefined();
  });

  it('captures parameters, optional parameters and constraints', () => {
    expect(match('sync/jobs/{id}', '/api/sync/jobs/42')).toEqual(['42']);
    expect(match('items/{id:int}', '/api/items/42')).toEqual(['42']);
    expect(match('items/{id?}', '/api/items')).toEqual([undefined]);
    expect(match('file.{ext}', '/api/file.txt')).toEqual(['txt']);
  });

  it('captures the rest of the path, or nothing, with a catch-all', () => {
    expect(match('workspace/files/{*path}', '/api/workspace/files/a/b/c.txt')).toEqual(['a/b/c.txt']);
    expect(match('workspace/files/{*path}', '/api/workspace/files')).toEqual([undefined]);
  });

  it('ranks literals before parameters before catch-alls', () => {
    expect(compileTemplate('a/{x}/{*rest}', '').rank).toEqual([0, 1, 3]);
  });

  it('rejects a template it cannot read', () => {
    expect(() => compileTemplate('a/{broken', 'api')).toThrow(/cannot read segment/);
  });
});

describe('settings', () => {
  const dir = () => mkdtempSync(join(tmpdir(), 'dev-settings-'));

  it('reads local.settings.json before the example, with environment overrides and dev defaults', () => {
    const appDir = dir();
    writeFileSync(join(appDir, 'local.settings.json.example'), JSON.stringify({ Values: { A: 'example' } }));
    writeFileSync(
      join(appDir, 'local.settings.json'),
      JSON.stringify({ Values: { A: 'file', B: 'b', C: 3 } }),
    );
    const settings = resolveSettings(appDir, { B: 'env' });
    expect(settings.file).toBe('local.settings.json');
    expect(settings.values).toMatchObject({ A: 'file', B: 'env', C: '3', WORKSPACE_BACKEND: 'local' });
    expect(settings.sources).toMatchObject({
      A: 'local.settings.json',
      B: 'environment',
      WORKSPACE_PATH: 'dev default',
    });
  });

  it('falls back to the example and keeps dev defaults over empty values', () => {
    const appDir = dir();
    writeFileSync(
      join(appDir, 'local.settings.json.example'),
      JSON.stringify({ Values: { WORKSPACE_PATH: '' } }),
    );
    const settings = resolveSettings(appDir, {});
    expect(settings.file).toBe('local.settings.json.example');
    expect(settings.values.WORKSPACE_PATH).toBe('.data/workspace');
  });

  it('names the file when it is not JSON', () => {
    const appDir = dir();
    writeFileSync(join(appDir, 'local.settings.json'), '{');
    expect(() => resolveSettings(appDir, {})).toThrow(/local\.settings\.json is not valid JSON/);
  });

  it('starts Azurite only for development storage or nothing', () => {
    expect(wantsLocalAzurite(undefined)).toBe(true);
    expect(wantsLocalAzurite('UseDevelopmentStorage=true')).toBe(true);
    expect(wantsLocalAzurite('AccountName=x;AccountKey=y')).toBe(false);
  });

  it('parses --persist and refuses unknown arguments', () => {
    expect(parseArgs(['--persist'])).toEqual({ persist: true });
    expect(() => parseArgs(['--nope'])).toThrow(/Unknown argument "--nope"/);
  });
});

describe('host.json', () => {
  it('parses TimeSpans', () => {
    expect(parseTimeSpan('00:00:30')).toBe(30_000);
    expect(parseTimeSpan('1.00:00:00.5')).toBe(86_400_500);
    expect(() => parseTimeSpan('30s')).toThrow(/not a TimeSpan/);
  });

  it('reads the queue options of this repository, with the dev overrides', () => {
    const path = join(import.meta.dirname, '../../host.json');
    const config = loadHostConfig(path, {});
    expect(config.routePrefix).toBe('api');
    expect(config.queues).toMatchObject({
      batchSize: 1,
      newBatchThreshold: 0,
      maxDequeueCount: 5,
      visibilityTimeoutMs: 30_000,
      maxPollingIntervalMs: 500,
      messageEncoding: 'base64',
      processingLeaseMs: 600_000,
    });
    const dev = loadHostConfig(path, { DEV_QUEUE_VISIBILITY_TIMEOUT_MS: '500', DEV_QUEUE_LEASE_MS: '4000' });
    expect(dev.queues).toMatchObject({ visibilityTimeoutMs: 500, processingLeaseMs: 4000 });
    expect(() => loadHostConfig(path, { DEV_QUEUE_LEASE_MS: 'soon' })).toThrow(/DEV_QUEUE_LEASE_MS/);
  });
});

describe('queue message decoding', () => {
  it('decodes base64 and refuses anything else, like the host', () => {
    const encoded = Buffer.from('{"a":1}').toString('base64');
    expect(decodeMessage(encoded, 'base64')).toBe('{"a":1}');
    expect(decodeMessage('{"a":1}', 'base64')).toBeUndefined();
    expect(decodeMessage('abc', 'base64')).toBeUndefined();
    expect(decodeMessage('{"a":1}', 'none')).toBe('{"a":1}');
  });
});

describe('queue polling waits', () => {
  it('leave no abort listener behind, however many polls run (a listener per poll leaked before)', async () => {
    const stopping = new AbortController();
    for (let i = 0; i < 20; i++) await abortableSleep(1, stopping.signal);
    expect(EventEmitter.getEventListeners(stopping.signal, 'abort')).toHaveLength(0);
    const waiting = abortableSleep(60_000, stopping.signal);
    stopping.abort();
    await waiting; // ends at once on abort
  });
});
