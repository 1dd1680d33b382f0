import { describe, expect, it } from 'vitest';
import { hostSettings } from '../../src/hostJson.js';
import { parseSyncMessage } from '../../src/sync/runJob.js';

describe('parseSyncMessage', () => {
  it('accepts the parsed JSON object the trigger hands over, or its string form', () => {
    const message = { jobId: '8204285870640-b023b740', trigger: 'push', commit: 'abc' };
    expect(parseSyncMessage(message)).toEqual(message);
    expect(parseSyncMessage(JSON.stringify(message))).toEqual(message);
  });

  it('keeps only the known fields', () => {
    expect(
      parseSyncMessage({ jobId: 'j', trigger: 'manual', clone_url: 'https://evil.example/x.git' }),
    ).toEqual({
      jobId: 'j',
      trigger: 'manual',
      commit: undefined,
    });
  });

  it('refuses what is not a sync message', () => {
    for (const raw of [
      undefined,
      null,
      42,
      'not json',
      '{"trigger":"push"}',
      { jobId: 7, trigger: 'push' },
    ]) {
      expect(parseSyncMessage(raw)).toBeUndefined();
    }
  });
});

describe('maxDequeueCount', () => {
  it('comes from host.json, the same value the host uses to poison messages', async () => {
    const { readFile } = await import('node:fs/promises');
    const host = JSON.parse(await readFile('host.json', 'utf8'));
    expect(hostSettings().queues.maxDequeueCount).toBe(host.extensions.queues.maxDequeueCount);
  });
});
