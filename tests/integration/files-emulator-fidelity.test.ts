// The Files emulator behaves as the real service where a difference could hide a bug (issue 10,
// "Emulator fidelity"), checked through the real @azure/storage-file-share client: name rules,
// the 4 TiB limit, SMB / lease / MD5 / Content-Range headers, listing extras, file leases and rename.
// Each expectation follows the reference page or SDK recording cited in tests/support/files-emulator.
// The SDK's rename returns destination clients without the account segment of a path-style URL
// (setURLPath replaces the whole path), so tests address the destination from the share client.

import {
  RestError,
  ShareServiceClient,
  type ShareClient,
  type ShareFileClient,
} from '@azure/storage-file-share';
import { createHash } from 'node:crypto';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

const TIB = 1024 ** 4;

let emulator: FilesEmulator;
let service: ShareServiceClient;
let share: ShareClient;
let counter = 0;

beforeAll(async () => {
  emulator = await startFilesEmulator();
  service = ShareServiceClient.fromConnectionString(emulator.connectionString, {
    retryOptions: { maxTries: 1 },
  });
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  share = service.getShareClient(`fidelity-${++counter}`);
  await share.create();
});

async function expectRestError(action: Promise<unknown>, status: number, code: string): Promise<RestError> {
  const error = await action.then(
    () => undefined,
    (thrown: unknown) => thrown,
  );
  expect(error).toBeInstanceOf(RestError);
  const rest = error as RestError;
  // A HEAD error has no body: then the code is only in x-ms-error-code.
  const errorCode = rest.code ?? rest.response?.headers.get('x-ms-error-code');
  expect({ status: rest.statusCode, code: errorCode }).toEqual({ status, code });
  return rest;
}

const file = (path: string) => share.rootDirectoryClient.getFileClient(path);
const contentOf = async (download: ReturnType<ShareFileClient['download']>) =>
  buffer((await download).readableStreamBody!);
const md5 = (data: Buffer) => createHash('md5').update(data).digest('base64');

describe('names', () => {
  it('trims trailing dots unless x-ms-allow-trailing-dot is true', async () => {
    await file('notes.txt..').create(3);
    expect((await file('notes.txt').getProperties()).contentLength).toBe(3);
    await share.getDirectoryClient('folder.').create();
    expect((await share.getDirectoryClient('folder').getProperties()).fileId).toBeTruthy();

    const dotted = ShareServiceClient.fromConnectionString(emulator.connectionString, {
      allowTrailingDot: true,
    })
      .getShareClient(share.name)
      .rootDirectoryClient.getFileClient('kept.');
    await dotted.create(1);
    const names = [];
    for await (const item of share.rootDirectoryClient.listFilesAndDirectories()) names.push(item.name);
    expect(names.sort()).toEqual(['folder', 'kept.', 'notes.txt']);
  });

  it.each(['"', '\\', ':', '|', '<', '>', '*', '?', '\u0001'])(
    'refuses %j in a file or directory name with 400 InvalidResourceName',
    async (character) => {
      await expectRestError(file(`bad${character}name`).create(1), 400, 'InvalidResourceName');
      await expectRestError(share.getDirectoryClient(`dir${character}`).create(), 400, 'InvalidResourceName');
    },
  );

  it('refuses a name that is only dots, and reserved device names', async () => {
    await expectRestError(file('...').create(1), 400, 'InvalidResourceName');
    await expectRestError(file('LPT1').create(1), 400, 'InvalidResourceName');
  });

  it.each(['ab', 'Upper', 'under_score', '-lead', 'trail-', 'dou--ble', 'x'.repeat(64)])(
    'refuses the share name %j with 400 InvalidResourceName',
    async (name) => {
      await expectRestError(service.getShareClient(name).create(), 400, 'InvalidResourceName');
    },
  );

  it('accepts the share names the rules allow', async () => {
    for (const name of ['abc', 'a-b-c', '0ab', 'x'.repeat(63)]) {
      expect((await service.getShareClient(name).create())._response.status).toBe(201);
    }
  });
});

describe('limits', () => {
  it('holds a 4 TiB file, storing only the ranges written', async () => {
    const big = file('big.bin');
    const before = process.memoryUsage().rss;
    await big.create(4 * TIB);
    const tail = Buffer.from('tail');
    await big.uploadRange(tail, 4 * TIB - 4, 4);
    await big.uploadRange(Buffer.from('head'), 0, 4);
    expect((await big.getProperties()).contentLength).toBe(4 * TIB);
    expect(await contentOf(big.download(4 * TIB - 4, 4))).toEqual(tail);
    const middle = await contentOf(big.download(2 * TIB, 10));
    expect(middle).toEqual(Buffer.alloc(10));
    expect(process.memoryUsage().rss - before).toBeLessThan(64 * 1024 * 1024);
    // The SDK itself refuses more than 4 TiB; files-emulator.test.ts sends it to the emulator raw.
    await expect(file('too-big.bin').create(4 * TIB + 1)).rejects.toThrow(RangeError);
  });

  it('shrinking drops the bytes past the end; growing again reads zeros there', async () => {
    const f = file('resize.bin');
    await f.create(8);
    await f.uploadRange(Buffer.from('abcdefgh'), 0, 8);
    await f.resize(3);
    await f.resize(6);
    expect(await contentOf(f.download())).toEqual(Buffer.from('abc\0\0\0'));
  });
});

describe('create with content (version 2026-02-06 and later)', () => {
  it('writes up to 4 MiB from offset 0 in the Create File request, zero-filled to x-ms-content-length', async () => {
    const body = Buffer.from('hello');
    const f = file('with-content.txt');
    await f.create(8, { content: body, contentLength: body.length });
    expect(await contentOf(f.download())).toEqual(Buffer.concat([body, Buffer.alloc(3)]));
    const full = Buffer.alloc(4 * 1024 * 1024, 7);
    await file('four.bin').create(full.length, { content: full, contentLength: full.length });
    expect(md5(await contentOf(file('four.bin').download()))).toBe(md5(full));
  });

  it('refuses a body over 4 MiB, longer than the file, or whose Content-MD5 does not match', async () => {
    const over = Buffer.alloc(4 * 1024 * 1024 + 1);
    await expectRestError(
      file('over.bin').create(over.length, { content: over, contentLength: over.length }),
      413,
      'RequestBodyTooLarge',
    );
    const body = Buffer.from('longer');
    await expectRestError(
      file('short.bin').create(2, { content: body, contentLength: body.length }),
      400,
      'InvalidHeaderValue',
    );
    await expectRestError(
      file('md5.bin').create(body.length, {
        content: body,
        contentLength: body.length,
        contentMD5: createHash('md5').update('other').digest(),
      }),
      400,
      'Md5Mismatch',
    );
  });
});

describe('headers', () => {
  it('Put Range returns the Content-MD5 of the body and refuses a request whose MD5 does not match', async () => {
    const f = file('md5.txt');
    await f.create(11);
    const data = Buffer.from('Hello World');
    const response = await f.uploadRange(data, 0, data.length);
    expect(Buffer.from(response.contentMD5!).toString('base64')).toBe(md5(data));
    expect(md5(data)).toBe('sQqNsWTgdUEFt6mb5y4/5Q=='); // the value recorded from the real service
    await expectRestError(
      f.uploadRange(data, 0, data.length, { contentMD5: createHash('md5').update('other').digest() }),
      400,
      'Md5Mismatch',
    );
  });

  it('a 416 carries Content-Range: bytes */<size>', async () => {
    const f = file('short.txt');
    await f.create(5);
    const error = await expectRestError(f.download(5, 1), 416, 'InvalidRange');
    expect(error.response?.headers.get('content-range')).toBe('bytes */5');
  });

  it('Create and Get Properties return the SMB properties and the lease state', async () => {
    const directory = share.getDirectoryClient('smb');
    const createdDirectory = await directory.create();
    expect(createdDirectory.fileAttributes).toBe('Directory');
    expect(createdDirectory.fileParentId).toBe('0');
    const f = directory.getFileClient('f.txt');
    const created = await f.create(1);
    for (const response of [created, await f.getProperties()]) {
      expect(response).toMatchObject({
        fileAttributes: 'Archive',
        fileId: created.fileId,
        fileParentId: createdDirectory.fileId,
        filePermissionKey: expect.stringMatching(/^\d+\*\d+$/),
      });
      expect(response.fileCreatedOn).toBeInstanceOf(Date);
      expect(response.fileLastWriteOn).toBeInstanceOf(Date);
      expect(response.fileChangeOn).toBeInstanceOf(Date);
    }
    expect(await f.getProperties()).toMatchObject({ leaseState: 'available', leaseStatus: 'unlocked' });
    expect((await f.getProperties()).leaseDuration).toBeUndefined();
    const at = new Date('2020-01-02T03:04:05.678Z');
    const set = await f.setProperties({ creationTime: at, fileAttributes: undefined });
    expect(set.fileCreatedOn).toEqual(at);
    expect((await f.getProperties()).fileCreatedOn).toEqual(at);
  });

  it('listings honour include=Attributes,PermissionKey and return DirectoryId and FileId', async () => {
    const directory = share.getDirectoryClient('listed');
    const { fileId: directoryId } = await directory.create();
    const { fileId } = await directory.getFileClient('a.txt').create(2);
    await directory.getDirectoryClient('sub').create();
    const pages = directory
      .listFilesAndDirectories({
        includeAttributes: true,
        includePermissionKey: true,
        includeTimestamps: true,
        includeEtag: true,
      })
      .byPage();
    const page = (await pages.next()).value;
    expect(page.directoryId).toBe(directoryId);
    expect(page.segment.fileItems).toEqual([
      expect.objectContaining({
        name: 'a.txt',
        fileId,
        attributes: 'Archive',
        permissionKey: expect.stringMatching(/^\d+\*\d+$/),
        properties: expect.objectContaining({ contentLength: 2, etag: expect.stringMatching(/^"0x8D/) }),
      }),
    ]);
    expect(page.segment.directoryItems).toEqual([
      expect.objectContaining({ name: 'sub', attributes: 'Directory', fileId: expect.any(String) }),
    ]);
    const plain = (await directory.listFilesAndDirectories().byPage().next()).value;
    expect(plain.segment.fileItems[0]?.attributes).toBeUndefined();
    expect(plain.segment.fileItems[0]?.permissionKey).toBeUndefined();
  });
});

describe('file leases', () => {
  it('acquire locks writes and deletes to the lease id; change, break and release behave as recorded', async () => {
    const f = file('leased.txt');
    await f.create(4);
    const lease = f.getShareLeaseClient();
    const { leaseId } = await lease.acquireLease();
    expect(leaseId).toBeTruthy();
    expect(await f.getProperties()).toMatchObject({
      leaseState: 'leased',
      leaseStatus: 'locked',
      leaseDuration: 'infinite',
    });

    const data = Buffer.from('data');
    await expectRestError(f.uploadRange(data, 0, 4), 412, 'LeaseIdMissing');
    await expectRestError(f.delete(), 412, 'LeaseIdMissing');
    await expectRestError(f.setMetadata({ a: 'b' }), 412, 'LeaseIdMissing');
    await expectRestError(f.resize(8), 412, 'LeaseIdMissing');
    await expectRestError(f.create(4), 412, 'LeaseIdMissing');
    const wrong = { leaseAccessConditions: { leaseId: '00000000-0000-0000-0000-000000000000' } };
    await expectRestError(f.uploadRange(data, 0, 4, wrong), 412, 'LeaseIdMismatchWithFileOperation');
    await expectRestError(f.getProperties(wrong), 412, 'LeaseIdMismatchWithFileOperation');
    await f.uploadRange(data, 0, 4, { leaseAccessConditions: { leaseId } });
    expect(await contentOf(f.download())).toEqual(data);

    await expectRestError(
      f.getShareLeaseClient('11111111-1111-1111-1111-111111111111').acquireLease(),
      409,
      'LeaseAlreadyPresent',
    );
    const newId = '22222222-2222-2222-2222-222222222222';
    await lease.changeLease(newId);
    expect(lease.leaseId).toBe(newId);
    await expectRestError(
      f.uploadRange(data, 0, 4, { leaseAccessConditions: { leaseId } }),
      412,
      'LeaseIdMismatchWithFileOperation',
    );

    const broken = await lease.breakLease();
    expect(broken._response.status).toBe(202);
    expect(await f.getProperties()).toMatchObject({ leaseState: 'broken', leaseStatus: 'unlocked' });
    await f.uploadRange(data, 0, 4); // a broken lease no longer guards writes
    await lease.releaseLease();
    expect((await f.getProperties()).leaseState).toBe('available');
    await expectRestError(lease.changeLease(leaseId!), 409, 'LeaseNotPresentWithLeaseOperation');
    await expectRestError(lease.releaseLease(), 409, 'LeaseNotPresentWithLeaseOperation');
    await f.delete();
  });
});

describe('rename', () => {
  it('moves a file, keeping its id and content, and refuses an existing destination unless asked to replace', async () => {
    const source = file('from.txt');
    const { fileId } = await source.create(5);
    await source.uploadRange(Buffer.from('hello'), 0, 5);
    await share.getDirectoryClient('to').create();
    await source.rename('to/renamed.txt');
    const destinationFileClient = share.getDirectoryClient('to').getFileClient('renamed.txt');
    const properties = await destinationFileClient.getProperties();
    expect(properties.fileId).toBe(fileId);
    expect(properties.fileParentId).toBe((await share.getDirectoryClient('to').getProperties()).fileId);
    expect((await contentOf(destinationFileClient.download())).toString()).toBe('hello');
    await expectRestError(source.getProperties(), 404, 'ResourceNotFound');

    const other = file('other.txt');
    await other.create(1);
    await expectRestError(other.rename('to/renamed.txt'), 409, 'ResourceAlreadyExists');
    await other.rename('to/renamed.txt', { replaceIfExists: true });
    expect((await destinationFileClient.getProperties()).contentLength).toBe(1);
    await expectRestError(file('missing.txt').rename('x.txt'), 404, 'ResourceNotFound');
    await expectRestError(destinationFileClient.rename('nowhere/x.txt'), 404, 'ParentNotFound');
  });

  it('a leased source or destination needs its lease id', async () => {
    const source = file('leased-source.txt');
    await source.create(1);
    const { leaseId } = await source.getShareLeaseClient().acquireLease();
    await expectRestError(source.rename('moved.txt'), 412, 'LeaseIdMissing');
    await source.rename('moved.txt', { sourceLeaseAccessConditions: { leaseId: leaseId! } });
    expect((await file('moved.txt').getProperties()).contentLength).toBe(1);

    const destination = file('destination.txt');
    await destination.create(1);
    const { leaseId: destinationLease } = await destination.getShareLeaseClient().acquireLease();
    const next = file('next.txt');
    await next.create(2);
    await expectRestError(next.rename('destination.txt', { replaceIfExists: true }), 412, 'LeaseIdMissing');
    await next.rename('destination.txt', {
      replaceIfExists: true,
      destinationLeaseAccessConditions: { leaseId: destinationLease! },
    });
    expect((await destination.getProperties()).contentLength).toBe(2);
  });

  it('moves a directory with its contents', async () => {
    const directory = share.getDirectoryClient('old');
    const { fileId } = await directory.create();
    await directory.getFileClient('inside.txt').create(3);
    await directory.rename('new');
    const destinationDirectoryClient = share.getDirectoryClient('new');
    expect((await destinationDirectoryClient.getProperties()).fileId).toBe(fileId);
    expect((await destinationDirectoryClient.getFileClient('inside.txt').getProperties()).contentLength).toBe(
      3,
    );
    await expectRestError(directory.getProperties(), 404, 'ResourceNotFound');
    await share.getDirectoryClient('other').create();
    await expectRestError(share.getDirectoryClient('other').rename('new'), 409, 'ResourceAlreadyExists');
    await expectRestError(destinationDirectoryClient.rename('new/below'), 400, 'InvalidInput');
  });
});
