// Clauses of the workspace files contract (DESIGN.md "HTTP contract", docs/api.md "PUT /api/workspace/
// files") that no other test pinned down, found while writing docs/testing.md: the error codes behind
// 409/412/416, a Content-Length that is not a number, the executable bit kept on overwrite, and the edit
// lock's wait that ends in 409 EDIT_IN_PROGRESS. The real handler, a local store, Azurite for the locks.

import { BlobServiceClient } from '@azure/storage-blob';
import { HttpResponse, type HttpRequestInit, type HttpResponseInit } from '@azure/functions';
import { createHash } from 'node:crypto';
import { chmod, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { STATE_CONTAINER } from '../../src/storage-names.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let workspaceFiles: typeof import('../../src/functions/workspaceFiles.js').workspaceFiles;

beforeAll(async () => {
  harness = await startHarness();
  ({ workspaceFiles } = await import('../../src/functions/workspaceFiles.js'));
});
afterAll(async () => harness?.stop());

type Call = Omit<HttpRequestInit, 'params' | 'url'> & { path: string };

async function call({ path, ...rest }: Call): Promise<HttpResponse> {
  const request = harness.request({
    method: 'GET',
    url: `http://127.0.0.1/api/workspace/files/${path}`,
    ...rest,
    params: { path },
  });
  return new HttpResponse((await workspaceFiles(request, harness.context())) as HttpResponseInit);
}

const put = (path: string, body: string, headers: Record<string, string> = {}) =>
  call({
    method: 'PUT',
    path,
    body: { bytes: Buffer.from(body) },
    headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
  });

async function errorOf(response: HttpResponse): Promise<{ code: string; message: string }> {
  return ((await response.json()) as { error: { code: string; message: string } }).error;
}

describe('workspace files: error codes behind the statuses', () => {
  it('names 412 PRECONDITION_FAILED for a stale If-Match on PUT and DELETE, and for If-None-Match: * on an existing file', async () => {
    await put('codes/file.txt', 'one');
    const stalePut = await put('codes/file.txt', 'two', { 'if-match': '"stale"' });
    expect(stalePut.status).toBe(412);
    expect((await errorOf(stalePut)).code).toBe('PRECONDITION_FAILED');
    const createOnly = await put('codes/file.txt', 'two', { 'if-none-match': '*' });
    expect(createOnly.status).toBe(412);
    expect((await errorOf(createOnly)).code).toBe('PRECONDITION_FAILED');
    const staleDelete = await call({
      method: 'DELETE',
      path: 'codes/file.txt',
      headers: { 'if-match': '"stale"' },
    });
    expect(staleDelete.status).toBe(412);
    expect((await errorOf(staleDelete)).code).toBe('PRECONDITION_FAILED');
    expect(await (await call({ path: 'codes/file.txt' })).text()).toBe('one');
  });

  it('names 409 IS_DIRECTORY for a PUT onto a folder', async () => {
    await put('codes/folder/inner.txt', 'x');
    const response = await put('codes/folder', 'x', { 'if-match': '*' });
    expect(response.status).toBe(409);
    expect((await errorOf(response)).code).toBe('IS_DIRECTORY');
    expect((await stat(join(harness.workspace, 'codes/folder'))).isDirectory()).toBe(true);
  });

  it('names 416 RANGE_NOT_SATISFIABLE, with the size in Content-Range', async () => {
    await put('codes/range.txt', '12345');
    const response = await call({ path: 'codes/range.txt', headers: { range: 'bytes=5-9' } });
    expect(response.status).toBe(416);
    expect(response.headers.get('content-range')).toBe('bytes */5');
    expect((await errorOf(response)).code).toBe('RANGE_NOT_SATISFIABLE');
  });

  it.each(['lots', '-1', '1.5', '0x10'])(
    'answers 400 INVALID_CONTENT_LENGTH for Content-Length %j and writes nothing',
    async (length) => {
      const path = `codes/length-${length.replace(/\W/g, '_')}.txt`;
      const response = await put(path, 'abc', { 'content-length': length });
      expect(response.status).toBe(400);
      expect((await errorOf(response)).code).toBe('INVALID_CONTENT_LENGTH');
      await expect(stat(join(harness.workspace, path))).rejects.toMatchObject({ code: 'ENOENT' });
    },
  );

  it('answers errors as JSON that no cache keeps', async () => {
    const response = await call({ path: 'codes/missing.txt' });
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    expect(response.headers.get('cache-control')).toBe('no-store');
    expect(await errorOf(response)).toEqual({ code: 'NOT_FOUND', message: expect.any(String) });
  });
});

describe('workspace files: overwrite', () => {
  it('keeps the executable bit of the file it replaces', async () => {
    await put('bits/run.sh', '#!/bin/sh\necho one\n');
    await chmod(join(harness.workspace, 'bits/run.sh'), 0o755);
    const replaced = await put('bits/run.sh', '#!/bin/sh\necho two\n', { 'if-match': '*' });
    expect(replaced.status).toBe(204);
    expect((await stat(join(harness.workspace, 'bits/run.sh'))).mode & 0o777).toBe(0o755);
    expect(await (await call({ path: 'bits/run.sh' })).text()).toBe('#!/bin/sh\necho two\n');
  });
});

describe('workspace files: the edit lock', () => {
  it('waits about 30 s for another edit of the path, then answers 409 EDIT_IN_PROGRESS with Retry-After, writing nothing', async () => {
    // Another instance's edit of the same path: the lock blob the app names by the path's SHA-256,
    // leased for good so only the wait can end this.
    const state = BlobServiceClient.fromConnectionString(harness.azurite.connectionString).getContainerClient(
      STATE_CONTAINER,
    );
    await state.createIfNotExists();
    const path = 'locked/file.txt';
    const lockBlob = state.getBlockBlobClient(
      `edit-locks/${createHash('sha256').update(path).digest('hex')}`,
    );
    await lockBlob.upload('', 0);
    const other = lockBlob.getBlobLeaseClient();
    await other.acquireLease(-1);
    try {
      const started = Date.now();
      const refused = await put(path, 'mine');
      const waited = Date.now() - started;
      expect(refused.status).toBe(409);
      expect(refused.headers.get('retry-after')).toBe('5');
      expect((await errorOf(refused)).code).toBe('EDIT_IN_PROGRESS');
      expect(waited).toBeGreaterThanOrEqual(29_000);
      await expect(stat(join(harness.workspace, path))).rejects.toMatchObject({ code: 'ENOENT' });
    } finally {
      await other.releaseLease();
    }
    expect((await put(path, 'mine')).status).toBe(201);
  }, 60_000);
});
