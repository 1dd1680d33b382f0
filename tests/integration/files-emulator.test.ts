// The Files REST emulator at the HTTP level, checked against the service's documented behaviour
// (each test cites its reference page): status codes, error codes and bodies, listing XML and
// paging, ranges, auth, and the faults it injects. The store contract suite covers it through the
// SDK; that the faults fire where asked and the counts are right is proven there, through the store.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createHttpHeaders, createPipelineRequest, type PipelineResponse } from '@azure/core-rest-pipeline';
import { storageSharedKeyCredentialPolicy } from '@azure/storage-common';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/dev/azurite.js';
import { EARLY_MS, startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

let emulator: FilesEmulator;
let share: string;
let counter = 0;

beforeAll(async () => {
  emulator = await startFilesEmulator();
});
afterAll(() => emulator.stop());
beforeEach(async () => {
  share = `emu-${++counter}`;
  expect((await call('PUT', '?restype=share')).status).toBe(201);
  emulator.resetCounts();
  emulator.setFaults([]);
});

const AUTH = { authorization: 'SharedKey devstoreaccount1:not-checked', 'x-ms-version': '2025-05-05' };

/** Signed as the SDK signs (x-ms-date and Authorization from storage-common's policy), sent with fetch. */
const signer = storageSharedKeyCredentialPolicy({
  accountName: DEV_ACCOUNT,
  accountKey: Buffer.from(DEV_KEY, 'base64'),
});
async function call(
  method: string,
  pathAndQuery: string,
  headers: Record<string, string> = {},
  body?: Buffer,
) {
  const request = createPipelineRequest({
    url: `${emulator.url}/${share}${pathAndQuery}`,
    method: method as 'GET',
    headers: createHttpHeaders({ 'x-ms-version': AUTH['x-ms-version'], ...headers }),
    body,
  });
  await signer.sendRequest(request, async () => ({}) as PipelineResponse);
  return fetch(request.url, { method, headers: request.headers.toJSON(), body });
}

const createFile = (path: string, size: number, headers: Record<string, string> = {}) =>
  call('PUT', `/${path}`, { 'x-ms-type': 'file', 'x-ms-content-length': String(size), ...headers });
const putRange = (path: string, start: number, body: Buffer) =>
  call(
    'PUT',
    `/${path}?comp=range`,
    { 'x-ms-range': `bytes=${start}-${start + body.length - 1}`, 'x-ms-write': 'update' },
    body,
  );

// References below are pages under https://learn.microsoft.com/rest/api/storageservices/.

/**
 * An error as Status and error codes (status-and-error-codes2) documents it: the code
 * in x-ms-error-code and in an XML <Error> body; a HEAD answer has no body (RFC 9110 §9.3.2).
 */
async function expectError(response: Response, status: number, code: string, { head = false } = {}) {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-ms-error-code')).toBe(code);
  const body = await response.text();
  expect(body).toEqual(head ? '' : expect.stringContaining(`<Error><Code>${code}</Code><Message>`));
}

describe('files emulator', () => {
  // Common REST API error codes (common-rest-api-error-codes).
  it('requires Shared Key for the emulated account: 401 NoAuthenticationInformation, 403 AuthenticationFailed', async () => {
    const anonymous = await fetch(`${emulator.url}/${share}?restype=share`);
    await expectError(anonymous, 401, 'NoAuthenticationInformation');
    const other = await fetch(`${emulator.url.replace('devstoreaccount1', 'other')}/${share}?restype=share`, {
      headers: AUTH,
    });
    await expectError(other, 403, 'AuthenticationFailed');
  });

  // Create File, Put Range (4 MiB a call), Get File with x-ms-range, Get File Properties
  // (create-file, put-range, get-file, get-file-properties).
  it('creates, reads by range and describes files', async () => {
    expect((await createFile('a.txt', 10, { 'x-ms-meta-mode': '755' })).status).toBe(201);
    expect((await putRange('a.txt', 0, Buffer.from('0123456789'))).status).toBe(201);
    const ranged = await call('GET', '/a.txt', { 'x-ms-range': 'bytes=2-4' });
    expect(ranged.status).toBe(206);
    expect(ranged.headers.get('content-range')).toBe('bytes 2-4/10');
    expect(await ranged.text()).toBe('234');
    const head = await call('HEAD', '/a.txt');
    expect(head.headers.get('content-length')).toBe('10');
    expect(head.headers.get('x-ms-meta-mode')).toBe('755');
    expect(head.headers.get('etag')).toMatch(/^"0x8D[0-9A-F]+"$/);
    await expectError(await call('GET', '/a.txt', { 'x-ms-range': 'bytes=10-' }), 416, 'InvalidRange');
    await expectError(await putRange('a.txt', 8, Buffer.from('abc')), 416, 'InvalidRange');
    await expectError(
      await putRange('a.txt', 0, Buffer.alloc(4 * 1024 * 1024 + 1)),
      413,
      'RequestBodyTooLarge',
    );
  });

  // Create File and Set File Properties: x-ms-content-length up to 4 TiB (create-file, set-file-properties).
  it('refuses sizes over 4 TiB, which the SDK would not send', async () => {
    const limit = 4 * 1024 ** 4;
    expect((await createFile('max.bin', limit)).status).toBe(201);
    await expectError(await createFile('over.bin', limit + 1), 400, 'InvalidHeaderValue');
    const resize = await call('PUT', '/max.bin?comp=properties', {
      'x-ms-content-length': String(limit + 1),
    });
    await expectError(resize, 400, 'InvalidHeaderValue');
  });

  // File service error codes (file-service-error-codes); names are case-insensitive
  // (naming-and-referencing-shares--directories--files--and-metadata).
  it('reports the service error codes', async () => {
    await expectError(await createFile('missing/a.txt', 1), 404, 'ParentNotFound');
    await expectError(await call('HEAD', '/nope.txt'), 404, 'ResourceNotFound', { head: true });
    expect((await call('PUT', '/Dir?restype=directory')).status).toBe(201);
    await expectError(await call('PUT', '/dir?restype=directory'), 409, 'ResourceAlreadyExists'); // case-insensitive
    await expectError(await createFile('DIR', 1), 409, 'ResourceTypeMismatch');
    expect((await createFile('dir/f', 1)).status).toBe(201);
    await expectError(await call('PUT', '/dir/F?restype=directory'), 409, 'ResourceTypeMismatch');
    await expectError(await call('DELETE', '/dir?restype=directory'), 409, 'DirectoryNotEmpty');
    await expectError(await call('PUT', '?restype=share'), 409, 'ShareAlreadyExists');
    expect((await call('DELETE', '/dir/f')).status).toBe(202);
    expect((await call('DELETE', '/DIR?restype=directory')).status).toBe(202);
  });

  // List Directories and Files: include=Timestamps,ETag, maxresults, marker / NextMarker, names in
  // sorted order, an empty <NextMarker /> on the last page (list-directories-and-files).
  it('lists with timestamps and ETags only when asked, and pages with maxresults/marker', async () => {
    for (const name of ['c', 'A', 'b']) expect((await createFile(name, 1)).status).toBe(201);
    expect((await call('PUT', '/d?restype=directory')).status).toBe(201);
    const names = (xml: string) => [...xml.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]);
    const etags = (xml: string) => xml.match(/<Etag>"0x8D[0-9A-F]+"<\/Etag>/g)?.length ?? 0;
    const list = async (query: string) => (await call('GET', `?restype=directory&comp=list${query}`)).text();

    const plain = await list('');
    expect(names(plain)).toEqual(['A', 'b', 'c', 'd']);
    expect(etags(plain)).toBe(0);
    expect(plain).not.toContain('<Last-Modified>');

    const first = await list('&include=Timestamps,ETag&maxresults=3');
    expect(first).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><EnumerationResults /);
    expect(names(first)).toEqual(['A', 'b', 'c']);
    expect(etags(first)).toBe(3);
    expect(first.match(/<Last-Modified>/g)).toHaveLength(3);
    const marker = /<NextMarker>([^<]+)<\/NextMarker>/.exec(first)?.[1];
    expect(marker).toMatch(/.+/);

    const last = await list(`&include=Timestamps,ETag&maxresults=3&marker=${marker}`);
    expect(names(last)).toEqual(['d']);
    expect(etags(last)).toBe(1);
    expect(last).toContain('<NextMarker /></EnumerationResults>');
    expect(emulator.counts.list).toBe(3);
  });

  // The bench's ideal is requests x latency / concurrency, so the latency is the whole time from
  // a request to its answer: never less, beyond timer resolution (a faster emulator would flatter
  // the sync), and what it reports as served is that time, not just the timer it set.
  it('answers no sooner than the latency after each request, and reports what it served', async () => {
    emulator.setLatency(40);
    try {
      const took = await Promise.all(
        Array.from({ length: 8 }, async (_, i) => {
          const start = performance.now();
          const response = await createFile(`lat${i}`, 1);
          expect(response.status).toBe(201);
          return performance.now() - start;
        }),
      );
      for (const ms of took) expect(ms).toBeGreaterThanOrEqual(40 - EARLY_MS);
      const served = emulator.deliveredLatencyMs();
      expect(served).toBeGreaterThanOrEqual(40 - EARLY_MS);
      expect(served).toBeLessThanOrEqual(Math.max(...took));
    } finally {
      emulator.setLatency(0);
    }
  });

  // What an injected fault answers is what the service documents for it: 503 ServerBusy and 500
  // InternalError, each with its code in the header and the XML body (common-rest-api-error-codes).
  it('answers an injected fault as the service documents ServerBusy and InternalError', async () => {
    emulator.setFaults([
      { kind: 'ServerBusy', operation: 'createFile' },
      { kind: 'InternalError', operation: 'getFileProperties' },
    ]);
    await expectError(await createFile('x', 1), 503, 'ServerBusy');
    expect((await createFile('x', 1)).status).toBe(201);
    await expectError(await call('HEAD', '/x'), 500, 'InternalError', { head: true });
    expect((await call('HEAD', '/x')).status).toBe(200);
  });
});
