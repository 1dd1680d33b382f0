// Create File with content outside the SDK's generated client (src/workspace/azureFilesCreate.ts,
// issue 13 §6), against the Files emulator: what it writes is what the SDK reads back, byte for
// byte and name for name; the store maps its failures as it maps the SDK's; retries still happen.

import { ShareServiceClient, type ShareClient } from '@azure/storage-file-share';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fileCreator, type FileCreator } from '../../src/workspace/azureFilesCreate.js';
import { createWorkspaceStore, sharedKeyOf } from '../../src/workspace/createStore.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';
import { createTestPki, type TestPki } from '../support/keyvault-emulator/certificate.js';
import { TestCredential } from '../support/keyvault-emulator/testCredential.js';

const RETRY = { maxTries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };
let emulator: FilesEmulator;
let share: ShareClient;
let creator: FileCreator;

beforeAll(async () => {
  emulator = await startFilesEmulator();
  share = ShareServiceClient.fromConnectionString(emulator.connectionString).getShareClient(
    `create${randomBytes(4).toString('hex')}`,
  );
  await share.create();
  await share.getDirectoryClient('dir').create();
  creator = fileCreator(share.url, sharedKeyOf(emulator.connectionString)!, { retry: RETRY });
});
afterAll(() => emulator.stop());

async function download(path: string): Promise<Buffer> {
  const [dir, name] = path.split('/');
  return share.getDirectoryClient(dir).getFileClient(name).downloadToBuffer();
}

describe('fileCreator', () => {
  it.each(['plain.txt', 'a b.txt', '100%.txt', 'c++.h', 'x#y=1&w;v.txt', 'ünï cødé 😀.md', "it's (1).txt"])(
    'creates %j with exactly its bytes, its mode in metadata, and the stamps the service reports',
    async (name) => {
      const body = randomBytes(3000);
      const stamp = await creator.create(`dir/${name}`, body, '755');
      const file = share.getDirectoryClient('dir').getFileClient(name);
      const properties = await file.getProperties();
      expect(await file.downloadToBuffer()).toEqual(body);
      expect(properties.metadata).toEqual({ mode: '755' });
      expect(stamp.etag).toBe(properties.etag);
      expect(stamp.lastModified).toEqual(properties.lastModified);
      const listed = [];
      for await (const item of share.getDirectoryClient('dir').listFilesAndDirectories({ prefix: name })) {
        listed.push(item.name);
      }
      expect(listed).toContain(name);
    },
  );

  it('replaces a longer file entirely, and creates an empty one with no body', async () => {
    await creator.create('dir/shrink.txt', Buffer.alloc(5000, 1), '644');
    await creator.create('dir/shrink.txt', Buffer.from('short'), '644');
    expect((await download('dir/shrink.txt')).toString()).toBe('short');
    await creator.create('dir/empty.txt', Buffer.alloc(0), '644');
    expect(await download('dir/empty.txt')).toEqual(Buffer.alloc(0));
  });

  it('retries a 503 ServerBusy and a reset connection, as the SDK would', async () => {
    emulator.resetCounts();
    emulator.setFaults([
      { kind: 'ServerBusy', operation: 'createFile' },
      { kind: 'reset', operation: 'createFile', nth: 2 },
    ]);
    try {
      await creator.create('dir/retried.txt', Buffer.from('kept'), '644');
    } finally {
      emulator.setFaults([]);
    }
    expect(emulator.counts.createFile).toBe(3);
    expect((await download('dir/retried.txt')).toString()).toBe('kept');
  });

  it('sends nothing once its signal is aborted', async () => {
    emulator.resetCounts();
    const aborted = AbortSignal.abort();
    await expect(creator.create('dir/aborted.txt', Buffer.from('x'), '644', aborted)).rejects.toMatchObject({
      name: 'AbortError',
    });
    expect(emulator.counts.total).toBe(0);
  });
});

describe('the store writing through it', () => {
  const storeOn = (name: string) =>
    createWorkspaceStore(
      { backend: 'azure-files', share: name, connectionString: emulator.connectionString },
      { retry: RETRY },
    );

  it('maps a missing parent, a directory in the way and a persistent 503 as it maps the SDK’s', async () => {
    const store = storeOn(`map${randomBytes(4).toString('hex')}`);
    await store.makeDirectory('folder');
    await expect(store.write('missing/a.txt', Buffer.from('a'))).rejects.toMatchObject({
      name: 'StoreError',
      code: 'PARENT_NOT_FOUND',
      storageCode: 'ParentNotFound',
    });
    await expect(store.write('folder', Buffer.from('a'))).rejects.toMatchObject({
      name: 'StoreError',
      code: 'IS_DIRECTORY',
    });
    emulator.setFaults([{ kind: 'ServerBusy', operation: 'createFile', times: RETRY.maxTries }]);
    try {
      const failure = store.write('folder/busy.txt', Buffer.from('a'));
      await expect(failure).rejects.toMatchObject({
        name: 'StoreError',
        code: 'STORAGE_ERROR',
        storageCode: 'ServerBusy',
        message: 'Cannot write folder/busy.txt: ServerBusy (HTTP 503)',
      });
    } finally {
      emulator.setFaults([]);
    }
  });

  it('writes a file that reads back, with its executable bit, through the same store', async () => {
    const store = storeOn(`rt${randomBytes(4).toString('hex')}`);
    const written = await store.write('run.sh', Buffer.from('#!/bin/sh\n'), { executable: true });
    expect(await store.stat('run.sh')).toMatchObject({
      type: 'file',
      size: 10,
      executable: true,
      etag: written.etag,
    });
  });
});

describe('under a managed identity (Azure Files OAuth over REST, HTTPS)', () => {
  const TOKEN = 'files-managed-identity-token';
  let pki: TestPki;
  let secure: FilesEmulator;
  let name: string;
  beforeAll(async () => {
    pki = await createTestPki();
    secure = await startFilesEmulator({ tls: pki, bearerToken: TOKEN });
    name = `oauth${randomBytes(4).toString('hex')}`;
    // OAuth cannot create shares (before 2024-11-04); the deployment creates it with Bicep.
    const admin = ShareServiceClient.fromConnectionString(secure.connectionString, {
      tlsOptions: { ca: pki.ca },
    } as object);
    await admin.getShareClient(name).create();
  });
  afterAll(() => secure?.stop());

  const storeAs = (credential: TestCredential) =>
    createWorkspaceStore(
      { backend: 'azure-files', share: name, url: secure.url },
      { retry: RETRY, credential, tls: { ca: pki.ca } },
    );

  it('writes with a storage token and the backup intent, which the service demands of every file call', async () => {
    const credential = new TestCredential(TOKEN);
    const store = storeAs(credential);
    await store.makeDirectory('scripts');
    const body = randomBytes(2048);
    const written = await store.write('scripts/job.ps1', body);
    const read = await store.read('scripts/job.ps1');
    expect(Buffer.concat(await read.toArray())).toEqual(body);
    expect(await store.stat('scripts/job.ps1')).toMatchObject({ size: 2048, etag: written.etag });
    expect(new Set(credential.requests.flatMap((r) => r.scopes))).toEqual(
      new Set(['https://storage.azure.com/.default']),
    );
  });

  it('fails a write with a token the service refuses, naming the code and never the token', async () => {
    const store = storeAs(new TestCredential('not-the-token'));
    const failure = await store.write('refused.txt', Buffer.from('x')).catch((error: unknown) => error);
    expect(failure).toMatchObject({ name: 'StoreError', storageCode: 'InvalidAuthenticationInfo' });
    expect(JSON.stringify(failure) + String(failure)).not.toContain('not-the-token');
  });
});

describe('sharedKeyOf (which connection strings the lean path can sign for)', () => {
  it('takes the account name and the base64 key, padding included', () => {
    const auth = sharedKeyOf(
      'DefaultEndpointsProtocol=https;AccountName=acct;AccountKey=a2V5IQ==;EndpointSuffix=x',
    );
    expect(auth).toEqual({ sharedKey: { accountName: 'acct', accountKey: Buffer.from('key!') } });
  });

  it('has nothing to sign with for a SAS connection string: the SDK sends those writes', () => {
    const sas =
      'FileEndpoint=https://acct.file.core.windows.net/;SharedAccessSignature=sv=2026-02-06&sig=abc%3D';
    expect(sharedKeyOf(sas)).toBeUndefined();
  });
});
