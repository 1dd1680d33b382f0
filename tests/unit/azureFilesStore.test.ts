// The Azure Files store's client, against the Files emulator: the health probe uses only what the
// data-plane role allows (issue 13 §2), and the trimmed pipeline still signs and retries (§6).

import { ShareServiceClient } from '@azure/storage-file-share';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { AzureFilesWorkspaceStore } from '../../src/workspace/azureFilesStore.js';
import { createWorkspaceStore, trimPipeline, UNNEEDED_POLICIES } from '../../src/workspace/createStore.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

let emulator: FilesEmulator;
beforeAll(async () => {
  emulator = await startFilesEmulator();
});
afterAll(() => emulator.stop());

const storeOn = (share: string) =>
  createWorkspaceStore(
    { backend: 'azure-files', share, connectionString: emulator.connectionString },
    { retry: { maxTries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 } },
  );

describe('ping (the /health probe)', () => {
  it('lists one entry of the root and never reads share properties (not a data action of the role)', async () => {
    const store = storeOn(`ping${randomBytes(4).toString('hex')}`);
    await store.write('a.txt', Buffer.from('a')); // creates the share
    await store.write('b.txt', Buffer.from('b'));
    emulator.resetCounts();
    await expect(store.ping()).resolves.toBeUndefined();
    expect(emulator.counts).toEqual({ total: 1, list: 1 });
  });

  it('fails with a StoreError naming the service code when the share is not there', async () => {
    const service = ShareServiceClient.fromConnectionString(emulator.connectionString);
    const store = new AzureFilesWorkspaceStore(
      service.getShareClient(`missing${randomBytes(4).toString('hex')}`),
    );
    await expect(store.ping()).rejects.toMatchObject({ name: 'StoreError', storageCode: 'ShareNotFound' });
  });

  it('rides out a transient failure: the retry policy survives the trim', async () => {
    const store = storeOn(`retry${randomBytes(4).toString('hex')}`);
    await store.ping(); // creates the share
    emulator.resetCounts();
    emulator.setFaults([{ kind: 'InternalError', operation: 'list' }]);
    try {
      await expect(store.ping()).resolves.toBeUndefined();
      expect(emulator.counts.list).toBe(2);
    } finally {
      emulator.setFaults([]);
    }
  });
});

describe('the trimmed pipeline', () => {
  it('drops the per-request policies the store does not need and keeps retry and signing', () => {
    const left = trimPipeline(ShareServiceClient.fromConnectionString(emulator.connectionString));
    for (const name of UNNEEDED_POLICIES) expect(left).not.toContain(name);
    expect(left).toEqual(
      expect.arrayContaining([
        'storageRetryPolicy',
        'storageSharedKeyCredentialPolicy',
        'setClientRequestIdPolicy',
      ]),
    );
  });

  it('still writes and reads through directory clients it reuses', async () => {
    const store = storeOn(`trim${randomBytes(4).toString('hex')}`);
    await store.makeDirectory('d');
    for (const name of ['x', 'y', 'x']) await store.write(`d/${name}`, Buffer.from(name));
    const listed = (await store.list('d')).map((e) => e.name).sort();
    expect(listed).toEqual(['x', 'y']);
    const chunks: Buffer[] = [];
    for await (const chunk of await store.read('d/y')) chunks.push(chunk as Buffer);
    expect(Buffer.concat(chunks).toString()).toBe('y');
  });
});
