// The workspace files API through its real handler: Azurite for the connection table, the
// event queue and the edit locks; a local store in a sandbox whose surroundings must stay untouched.

import { HttpResponse, type HttpRequestInit, type HttpResponseInit } from '@azure/functions';
import { TableClient } from '@azure/data-tables';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { mkdtemp } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConnectionStore } from '../../src/jobs/connectionStore.js';
import { QUEUES, TABLES } from '../../src/storage-names.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let sandbox: string;
let workspace: string;
let workspaceFiles: typeof import('../../src/functions/workspaceFiles.js').workspaceFiles;

beforeAll(async () => {
  sandbox = await mkdtemp(join(tmpdir(), 'ws-files-'));
  workspace = join(sandbox, 'workspace');
  await mkdir(join(sandbox, 'outside'), { recursive: true });
  await writeFile(join(sandbox, 'outside', 'secret.txt'), 'keep me');
  harness = await startHarness({ WORKSPACE_PATH: workspace });
  ({ workspaceFiles } = await import('../../src/functions/workspaceFiles.js'));
});

afterAll(async () => harness?.stop());

type Call = Omit<HttpRequestInit, 'params' | 'url'> & { path?: string; query?: Record<string, string> };

async function call(init: Call): Promise<HttpResponse> {
  const { path, ...rest } = init;
  const url = `http://127.0.0.1/api/workspace/files/${path ?? ''}`;
  const request = harness.request({
    method: 'GET',
    url,
    ...rest,
    params: path === undefined ? {} : { path },
  });
  const result: HttpResponseInit = await workspaceFiles(request, harness.context());
  return new HttpResponse(result);
}

const put = (path: string, body: string | Buffer, headers: Record<string, string> = {}) =>
  call({
    method: 'PUT',
    path,
    body: { bytes: Buffer.from(body) },
    headers: { 'content-length': String(Buffer.byteLength(body)), ...headers },
  });

async function errorCode(response: HttpResponse): Promise<string> {
  return ((await response.json()) as { error: { code: string } }).error.code;
}

describe('PUT and GET a file', () => {
  it('creates a new file with 201, ETag and Location, creating its parents', async () => {
    const created = await put('docs/guide/intro.md', '# hello\n');
    expect(created.status).toBe(201);
    expect(created.headers.get('etag')).toMatch(/^".+"$/);
    expect(created.headers.get('location')).toBe('/api/workspace/files/docs/guide/intro.md');
    expect(await readFile(join(workspace, 'docs/guide/intro.md'), 'utf8')).toBe('# hello\n');

    const got = await call({ path: 'docs/guide/intro.md' });
    expect(got.status).toBe(200);
    expect(await got.text()).toBe('# hello\n');
    expect(got.headers.get('etag')).toBe(created.headers.get('etag'));
    expect(got.headers.get('content-type')).toMatch(/^text\/markdown/);
    expect(got.headers.get('content-length')).toBe('8');
    expect(new Date(got.headers.get('last-modified')!).getTime()).toBeGreaterThan(0);
  });

  it('replaces an existing file only with a matching If-Match', async () => {
    const first = await put('conf/app.json', '{"v":1}');
    const etag = first.headers.get('etag')!;

    const missing = await put('conf/app.json', '{"v":2}');
    expect(missing.status).toBe(428);
    expect(await errorCode(missing)).toBe('PRECONDITION_REQUIRED');

    const stale = await put('conf/app.json', '{"v":2}', { 'if-match': '"not-the-etag"' });
    expect(stale.status).toBe(412);

    const updated = await put('conf/app.json', '{"v":2}', { 'if-match': etag });
    expect(updated.status).toBe(204);
    expect(updated.headers.get('etag')).not.toBe(etag);

    const again = await put('conf/app.json', '{"v":3}', { 'if-match': etag });
    expect(again.status).toBe(412);
    expect(await readFile(join(workspace, 'conf/app.json'), 'utf8')).toBe('{"v":2}');

    const star = await put('conf/app.json', '{"v":4}', { 'if-match': '*' });
    expect(star.status).toBe(204);
    const got = await call({ path: 'conf/app.json' });
    expect(got.headers.get('content-type')).toMatch(/^application\/json/);
    expect(await got.text()).toBe('{"v":4}');
  });

  it('If-None-Match: * creates only; If-Match on a missing file fails', async () => {
    expect((await put('once.txt', 'a', { 'if-none-match': '*' })).status).toBe(201);
    expect((await put('once.txt', 'b', { 'if-none-match': '*' })).status).toBe(412);
    expect((await put('never.txt', 'a', { 'if-match': '*' })).status).toBe(412);
    await expect(stat(join(workspace, 'never.txt'))).rejects.toThrow();
  });

  it('answers 304 to a matching If-None-Match and serves ranges', async () => {
    const etag = (await put('range.bin', '0123456789')).headers.get('etag')!;
    const notModified = await call({ path: 'range.bin', headers: { 'if-none-match': `W/${etag}` } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);

    const partial = await call({ path: 'range.bin', headers: { range: 'bytes=2-5' } });
    expect(partial.status).toBe(206);
    expect(partial.headers.get('content-range')).toBe('bytes 2-5/10');
    expect(partial.headers.get('content-length')).toBe('4');
    expect(await partial.text()).toBe('2345');

    const suffix = await call({ path: 'range.bin', headers: { range: 'bytes=-3' } });
    expect(await suffix.text()).toBe('789');

    const outside = await call({ path: 'range.bin', headers: { range: 'bytes=10-' } });
    expect(outside.status).toBe(416);
    expect(outside.headers.get('content-range')).toBe('bytes */10');

    const changed = await call({ path: 'range.bin', headers: { range: 'bytes=2-5', 'if-range': '"old"' } });
    expect(changed.status).toBe(200);
    expect(await changed.text()).toBe('0123456789');
  });

  it('refuses bodies over 10 MiB before writing, and chunked ones while streaming', async () => {
    const big = Buffer.alloc(10 * 1024 * 1024 + 1, 120);
    const declared = await put('big/declared.bin', big);
    expect(declared.status).toBe(413);
    expect(await errorCode(declared)).toBe('PAYLOAD_TOO_LARGE');

    // No Content-Length: counted while streaming; neither the file nor its new parents remain.
    const chunked = await call({ method: 'PUT', path: 'big/deeper/chunked.bin', body: { bytes: big } });
    expect(chunked.status).toBe(413);
    await expect(stat(join(workspace, 'big'))).rejects.toThrow();

    const exact = Buffer.alloc(10 * 1024 * 1024, 121);
    expect((await call({ method: 'PUT', path: 'big/exact.bin', body: { bytes: exact } })).status).toBe(201);
    expect((await stat(join(workspace, 'big/exact.bin'))).size).toBe(exact.length);
  });

  it('answers 409 when the path is a folder or a parent is a file', async () => {
    await put('tree/leaf.txt', 'x');
    const folder = await put('tree', 'x', { 'if-match': '*' });
    expect(folder.status).toBe(409);
    const parentIsFile = await put('tree/leaf.txt/child.txt', 'x');
    expect(parentIsFile.status).toBe(409);
    expect(await errorCode(parentIsFile)).toBe('PARENT_NOT_A_DIRECTORY');
  });

  it('answers 404 NOT_FOUND for a missing path', async () => {
    const response = await call({ path: 'no/such/file.txt' });
    expect(response.status).toBe(404);
    expect(await errorCode(response)).toBe('NOT_FOUND');
  });
});

describe('GET a folder', () => {
  it('lists folders first, then by name; recursive lists the subtree in tree order', async () => {
    await put('list/b.txt', 'b');
    await put('list/a.txt', 'a');
    await put('list/zdir/inner.txt', 'i');
    await put('list/adir/x.txt', 'x');
    await mkdir(join(workspace, 'list/empty'));

    const flat = await call({ path: 'list' });
    expect(flat.status).toBe(200);
    const entries = (await flat.json()) as {
      name: string;
      path: string;
      type: string;
      size: number;
      etag: string;
    }[];
    expect(entries.map((e) => e.name)).toEqual(['adir', 'empty', 'zdir', 'a.txt', 'b.txt']);
    expect(entries[3]).toMatchObject({ path: 'list/a.txt', type: 'file', size: 1 });
    expect(Object.keys(entries[3]!).sort()).toEqual(['etag', 'mtime', 'name', 'path', 'size', 'type']);

    const deep = await call({ path: 'list', query: { recursive: 'true' } });
    const paths = ((await deep.json()) as { path: string }[]).map((e) => e.path);
    expect(paths).toEqual([
      'list/adir',
      'list/adir/x.txt',
      'list/empty',
      'list/zdir',
      'list/zdir/inner.txt',
      'list/a.txt',
      'list/b.txt',
    ]);
  });

  it('lists the root with or without a trailing slash', async () => {
    for (const path of [undefined, '', '/']) {
      const response = await call({ path });
      expect(response.status).toBe(200);
      const names = ((await response.json()) as { name: string }[]).map((e) => e.name);
      expect(names).toContain('list');
    }
  });
});

describe('DELETE', () => {
  it('deletes a file honouring If-Match', async () => {
    const etag = (await put('del/one.txt', '1')).headers.get('etag')!;
    expect(
      (await call({ method: 'DELETE', path: 'del/one.txt', headers: { 'if-match': '"stale"' } })).status,
    ).toBe(412);
    expect(
      (await call({ method: 'DELETE', path: 'del/one.txt', headers: { 'if-match': etag } })).status,
    ).toBe(204);
    expect((await call({ method: 'DELETE', path: 'del/one.txt' })).status).toBe(404);
  });

  it('needs ?recursive=true for a non-empty folder; never deletes the root', async () => {
    await put('del/tree/a/b.txt', 'b');
    await put('del/tree/c.txt', 'c');
    const refused = await call({ method: 'DELETE', path: 'del/tree' });
    expect(refused.status).toBe(409);
    expect(await errorCode(refused)).toBe('DIRECTORY_NOT_EMPTY');
    expect((await call({ method: 'DELETE', path: 'del/tree', query: { recursive: 'true' } })).status).toBe(
      204,
    );
    await expect(stat(join(workspace, 'del/tree'))).rejects.toThrow();

    await mkdir(join(workspace, 'del/empty'));
    expect((await call({ method: 'DELETE', path: 'del/empty' })).status).toBe(204);

    const root = await call({ method: 'DELETE', path: '', query: { recursive: 'true' } });
    expect(root.status).toBe(409);
    expect(await errorCode(root)).toBe('ROOT_NOT_DELETABLE');
    expect((await readdir(workspace)).length).toBeGreaterThan(0);
  });
});

describe('edits', () => {
  it('put one edited message on workspace-events per successful write or delete', async () => {
    const events = new EventsProbe();
    await events.reset();
    await put('events/a.txt', 'a');
    await put('events/a.txt', 'b'); // 428: no message
    await call({ method: 'DELETE', path: 'events', query: { recursive: 'true' } });
    expect(await events.all()).toEqual([
      // `by` is who made the change: with function keys, the key (issue 12: events carry `by`).
      {
        type: 'edited',
        path: 'events/a.txt',
        action: 'write',
        by: { id: 'function-key', name: 'function key' },
      },
      { type: 'edited', path: 'events', action: 'delete', by: { id: 'function-key', name: 'function key' } },
    ]);
  });

  it('answers 403 WORKSPACE_READ_ONLY while connected, naming repository and branch; reads still work', async () => {
    await put('ro/file.txt', 'before');
    const connections = new ConnectionStore(
      TableClient.fromConnectionString(harness.azurite.connectionString, TABLES.connection, {
        allowInsecureConnection: true,
      }),
    );
    await connections.connect('https://github.com/acme/scripts.git', 'release');
    try {
      const refused = await put('ro/file.txt', 'after', { 'if-match': '*' });
      expect(refused.status).toBe(403);
      const { error } = (await refused.json()) as { error: { code: string; message: string } };
      expect(error.code).toBe('WORKSPACE_READ_ONLY');
      expect(error.message).toContain('acme/scripts');
      expect(error.message).toContain('release');
      expect((await call({ method: 'DELETE', path: 'ro/file.txt' })).status).toBe(403);
      expect(await (await call({ path: 'ro/file.txt' })).text()).toBe('before');
    } finally {
      await connections.disconnect();
    }
    expect((await put('ro/file.txt', 'after', { 'if-match': '*' })).status).toBe(204);
  });

  it('lets exactly one of two racing updates with the same ETag win', async () => {
    for (let round = 0; round < 5; round++) {
      const etag = (await put(`race/${round}.txt`, 'base')).headers.get('etag')!;
      const results = await Promise.all(
        ['left', 'right'].map((body) => put(`race/${round}.txt`, body, { 'if-match': etag })),
      );
      expect(results.map((r) => r.status).sort()).toEqual([204, 412]);
    }
  });
});

/** Reads workspace-events without the harness's 32-message peek limit: clears first, then drains. */
class EventsProbe {
  async #queue() {
    const { QueueClient } = await import('@azure/storage-queue');
    return new QueueClient(harness.azurite.connectionString, QUEUES.events);
  }
  async reset() {
    await (await this.#queue()).clearMessages();
  }
  async all(): Promise<unknown[]> {
    return harness.queueMessages(QUEUES.events);
  }
}
