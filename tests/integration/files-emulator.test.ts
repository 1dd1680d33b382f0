// The Files REST emulator at the HTTP level: status codes, error codes and bodies, listing XML and
// paging, ranges, auth, counts, latency and faults. The store contract suite covers it through the SDK.

import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

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

function call(method: string, pathAndQuery: string, headers: Record<string, string> = {}, body?: Buffer) {
  return fetch(`${emulator.url}/${share}${pathAndQuery}`, { method, headers: { ...AUTH, ...headers }, body });
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

async function expectError(response: Response, status: number, code: string): Promise<void> {
  expect(response.status).toBe(status);
  expect(response.headers.get('x-ms-error-code')).toBe(code);
  const body = await response.text();
  if (response.headers.get('content-length') !== '0' && body) expect(body).toContain(`<Code>${code}</Code>`);
}

describe('files emulator', () => {
  it('requires Shared Key for the emulated account', async () => {
    const anonymous = await fetch(`${emulator.url}/${share}?restype=share`);
    await expectError(anonymous, 401, 'NoAuthenticationInformation');
    const other = await fetch(`${emulator.url.replace('devstoreaccount1', 'other')}/${share}?restype=share`, {
      headers: AUTH,
    });
    await expectError(other, 403, 'AuthenticationFailed');
  });

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

  it('refuses sizes over 4 TiB, which the SDK would not send', async () => {
    const limit = 4 * 1024 ** 4;
    expect((await createFile('max.bin', limit)).status).toBe(201);
    await expectError(await createFile('over.bin', limit + 1), 400, 'InvalidHeaderValue');
    const resize = await call('PUT', '/max.bin?comp=properties', {
      'x-ms-content-length': String(limit + 1),
    });
    await expectError(resize, 400, 'InvalidHeaderValue');
  });

  it('reports the service error codes', async () => {
    await expectError(await createFile('missing/a.txt', 1), 404, 'ParentNotFound');
    await expectError(await call('HEAD', '/nope.txt'), 404, 'ResourceNotFound');
    expect((await call('PUT', '/Dir?restype=directory')).status).toBe(201);
    await expectError(await call('PUT', '/dir?restype=directory'), 409, 'ResourceAlreadyExists'); // case-insensitive
    await expectError(await createFile('DIR', 1), 409, 'ResourceTypeMismatch');
    expect((await createFile('dir/f', 1)).status).toBe(201);
    await expectError(await call('PUT', '/dir/F?restype=directory'), 409, 'ResourceTypeMismatch');
    await expectError(await call('DELETE', '/dir?restype=directory'), 409, 'DirectoryNotEmpty');
    await expectError(await call('PUT', '?restype=share'), 409, 'ShareAlreadyExists');
    await expectError(await call('GET', '/dir?comp=bogus'), 400, 'UnsupportedHttpVerb');
    expect((await call('DELETE', '/dir/f')).status).toBe(202);
    expect((await call('DELETE', '/DIR?restype=directory')).status).toBe(202);
  });

  it('lists with timestamps and ETags only when asked, and pages with maxresults/marker', async () => {
    for (const name of ['c', 'A', 'b']) expect((await createFile(name, 1)).status).toBe(201);
    expect((await call('PUT', '/d?restype=directory')).status).toBe(201);
    const plain = await (await call('GET', '?restype=directory&comp=list')).text();
    expect(plain).not.toContain('<Etag>');
    const names: string[] = [];
    let marker = '';
    for (let page = 0; page < 3; page++) {
      const query = `?restype=directory&comp=list&include=Timestamps,ETag&maxresults=3${marker ? `&marker=${marker}` : ''}`;
      const xml = await (await call('GET', query)).text();
      expect(xml).toMatch(/^<\?xml version="1.0" encoding="utf-8"\?><EnumerationResults /);
      names.push(...[...xml.matchAll(/<Name>([^<]*)<\/Name>/g)].map((m) => m[1]!));
      if (names.length < 4) expect(xml).toContain('<Etag>"0x8D');
      marker = /<NextMarker>([^<]+)<\/NextMarker>/.exec(xml)?.[1] ?? '';
      if (!marker) break;
    }
    expect(names).toEqual(['A', 'b', 'c', 'd']);
    expect(emulator.counts.list).toBe(3);
  });

  it('injects ServerBusy, internal errors and resets by operation and position, and counts requests', async () => {
    emulator.setFaults([
      { kind: 'ServerBusy', operation: 'createFile', nth: 2 },
      { kind: 'InternalError', operation: 'getFileProperties', times: 2 },
    ]);
    expect((await createFile('x', 1)).status).toBe(201);
    await expectError(await createFile('x', 1), 503, 'ServerBusy');
    expect((await createFile('x', 1)).status).toBe(201);
    await expectError(await call('HEAD', '/x'), 500, 'InternalError');
    await expectError(await call('HEAD', '/x'), 500, 'InternalError');
    expect((await call('HEAD', '/x')).status).toBe(200);
    emulator.setFaults([{ kind: 'reset', nth: 1 }]);
    await expect(call('HEAD', '/x')).rejects.toThrow();
    expect(emulator.counts).toEqual({ total: 7, createFile: 3, getFileProperties: 4 });
  });

  it('delays responses by the configured latency', async () => {
    emulator.setLatency(120);
    try {
      const started = performance.now();
      await call('HEAD', '?restype=share');
      expect(performance.now() - started).toBeGreaterThanOrEqual(110);
    } finally {
      emulator.setLatency(0);
    }
  });
});
