// One contract, every store: the same tests run against the local store (a temp folder) and the
// azure-files store (the real SDK against the Files REST emulator). Backend differences the
// contract allows are named in `Backend` and asserted exactly, never skipped.

import { createHash, randomBytes } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import {
  StoreError,
  type Entry,
  type StoreErrorCode,
  type WorkspaceStore,
} from '../../src/workspace/store.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

interface Backend {
  name: 'local' | 'azure-files';
  caseInsensitive: boolean;
  /** Whether list/walk report the executable bit (azure-files keeps it in metadata, which listings omit). */
  listsExecutable: boolean;
  create(): Promise<{ store: WorkspaceStore; cleanup(): Promise<void> }>;
}

let emulator: FilesEmulator;
let shareCounter = 0;
const FAST_RETRY = { maxTries: 4, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

beforeAll(async () => {
  emulator = await startFilesEmulator();
});
afterAll(() => emulator.stop());

const backends: Backend[] = [
  {
    name: 'local',
    caseInsensitive: false,
    listsExecutable: true,
    async create() {
      const dir = await mkdtemp(join(tmpdir(), 'store-contract-'));
      const store = createWorkspaceStore({ backend: 'local', path: join(dir, 'workspace') });
      return { store, cleanup: () => rm(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'azure-files',
    caseInsensitive: true,
    listsExecutable: false,
    async create() {
      const share = `contract-${process.pid}-${++shareCounter}`;
      const config = { backend: 'azure-files' as const, share, connectionString: emulator.connectionString };
      // Small pages so every listing in the suite also exercises paging (maxresults/marker).
      const store = createWorkspaceStore(config, { retry: FAST_RETRY, pageSize: 3 });
      return { store, cleanup: async () => undefined };
    },
  },
];

async function storeError(promise: Promise<unknown>, code: StoreErrorCode): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  expect((error as StoreError).code).toBe(code);
  return error as StoreError;
}

async function walkAll(store: WorkspaceStore, path = ''): Promise<Entry[]> {
  const entries: Entry[] = [];
  for await (const entry of store.walk(path)) entries.push(entry);
  return entries;
}

const text = async (stream: Readable) => (await buffer(stream)).toString('utf8');
const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const byPath = (a: Entry, b: Entry) => a.path.localeCompare(b.path);

describe.each(backends)('WorkspaceStore contract: $name', (backend) => {
  let store: WorkspaceStore;
  let cleanup: () => Promise<void>;

  beforeEach(async () => {
    ({ store, cleanup } = await backend.create());
    await store.makeDirectories('');
  });
  afterEach(() => cleanup());

  describe('files', () => {
    it('writes a buffer and a stream and reads them back; the returned entry is what stat says', async () => {
      const written = await store.write('a.txt', Buffer.from('hello world'));
      expect(written).toMatchObject({ name: 'a.txt', path: 'a.txt', type: 'file', size: 11 });
      expect(await store.stat('a.txt')).toMatchObject({ ...written, mtime: expect.any(Date) });
      expect((await store.stat('a.txt'))?.etag).toBe(written.etag);
      expect(await text(await store.read('a.txt'))).toBe('hello world');

      const streamed = await store.write('b.txt', Readable.from([Buffer.from('str'), Buffer.from('eam')]));
      expect(streamed.size).toBe(6);
      expect(await text(await store.read('b.txt'))).toBe('stream');
    });

    it('writes an empty file', async () => {
      expect((await store.write('empty', Buffer.alloc(0))).size).toBe(0);
      expect((await store.write('empty-stream', Readable.from([]), { size: 0 })).size).toBe(0);
      expect((await buffer(await store.read('empty'))).length).toBe(0);
      expect((await buffer(await store.read('empty-stream', { start: 0, end: 10 }))).length).toBe(0);
    });

    it('reads byte ranges, clamped to the file', async () => {
      await store.write('r.txt', Buffer.from('0123456789'));
      expect(await text(await store.read('r.txt', { start: 2, end: 4 }))).toBe('234');
      expect(await text(await store.read('r.txt', { start: 7 }))).toBe('789');
      expect(await text(await store.read('r.txt', { start: 8, end: 100 }))).toBe('89');
      expect(await text(await store.read('r.txt', { start: 10 }))).toBe('');
      expect(await text(await store.read('r.txt', { start: 50, end: 60 }))).toBe('');
    });

    it('replacing a file changes content and ETag, even with the same bytes', async () => {
      const first = await store.write('f.txt', Buffer.from('same'));
      const second = await store.write('f.txt', Buffer.from('same'));
      const third = await store.write('f.txt', Buffer.from('other content'));
      expect(new Set([first.etag, second.etag, third.etag]).size).toBe(3);
      expect(await text(await store.read('f.txt'))).toBe('other content');
      expect((await store.stat('f.txt'))?.etag).toBe(third.etag);
    });

    it('keeps the executable bit', async () => {
      expect((await store.write('run.sh', Buffer.from('#!/bin/sh\n'), { executable: true })).executable).toBe(
        true,
      );
      await store.write('data.txt', Buffer.from('x'));
      expect((await store.stat('run.sh'))?.executable).toBe(true);
      expect((await store.stat('data.txt'))?.executable).toBe(false);
      await store.write('run.sh', Buffer.from('#!/bin/sh\n'), { executable: false });
      expect((await store.stat('run.sh'))?.executable).toBe(false);
      await store.write('run.sh', Buffer.from('#!/bin/sh\n'), { executable: true });
      const listed = (await store.list('')).find((entry) => entry.name === 'run.sh');
      expect(listed?.executable).toBe(backend.listsExecutable ? true : undefined);
    });

    it('writes a 5 MiB file in several ranges, from a buffer, a sized stream and an unsized stream', async () => {
      const bytes = randomBytes(5 * 1024 * 1024 + 123);
      const pieces = () =>
        Readable.from(Array.from({ length: 81 }, (_, i) => bytes.subarray(i * 65536, (i + 1) * 65536)));
      await store.write('big-buffer.bin', bytes);
      await store.write('big-sized.bin', pieces(), { size: bytes.length });
      await store.write('big-unsized.bin', pieces());
      for (const name of ['big-buffer.bin', 'big-sized.bin', 'big-unsized.bin']) {
        expect((await store.stat(name))?.size).toBe(bytes.length);
        expect(sha(await buffer(await store.read(name)))).toBe(sha(bytes));
      }
      const tail = await buffer(
        await store.read('big-sized.bin', { start: 4 * 1024 * 1024 - 10, end: 4 * 1024 * 1024 + 9 }),
      );
      expect(tail.equals(bytes.subarray(4 * 1024 * 1024 - 10, 4 * 1024 * 1024 + 10))).toBe(true);
    });

    it('refuses a body that does not match the announced size and leaves no file behind', async () => {
      const error = await storeError(
        store.write('short.txt', Readable.from([Buffer.from('abc')]), { size: 5 }),
        'STORAGE_ERROR',
      );
      expect(error.storageCode).toBe('SizeMismatch');
      const long = await storeError(
        store.write('long.txt', Readable.from([Buffer.from('abcdef')]), { size: 5 }),
        'STORAGE_ERROR',
      );
      expect(long.storageCode).toBe('SizeMismatch');
      expect(await store.list('')).toEqual([]);
    });

    it('holds names with unicode, spaces, #, %, + and quotes', async () => {
      const names = [
        'é 文件 ü.txt',
        'with space.md',
        'hash#tag',
        '100% sure',
        'a+b=c',
        "it's",
        'semi;colon',
        'emoji 🚀',
      ];
      await store.makeDirectory('dir #%+ é');
      for (const name of names) await store.write(`dir #%+ é/${name}`, Buffer.from(name));
      const listed = await store.list('dir #%+ é');
      expect(listed.map((entry) => entry.name).sort()).toEqual([...names].sort());
      for (const name of names) {
        expect(await text(await store.read(`dir #%+ é/${name}`))).toBe(name);
        await store.deleteFile(`dir #%+ é/${name}`);
      }
      await store.deleteDirectory('dir #%+ é');
      expect(await store.list('')).toEqual([]);
    });
  });

  describe('directories and listings', () => {
    beforeEach(async () => {
      await store.makeDirectories('src/lib/deep');
      await store.makeDirectory('docs');
      for (const path of ['README.md', 'src/main.ts', 'src/lib/a.ts', 'src/lib/b.ts', 'src/lib/deep/c.ts']) {
        await store.write(path, Buffer.from(`// ${path}`));
      }
      for (let i = 0; i < 7; i++) await store.write(`docs/page-${i}.md`, Buffer.from(String(i)));
    });

    it('lists direct children with size, mtime and the same ETag stat reports', async () => {
      const entries = (await store.list('src')).sort(byPath);
      expect(entries.map(({ path, type, size }) => ({ path, type, size }))).toEqual([
        { path: 'src/lib', type: 'directory', size: 0 },
        { path: 'src/main.ts', type: 'file', size: '// src/main.ts'.length },
      ]);
      for (const entry of entries) {
        expect(entry.mtime).toBeInstanceOf(Date);
        expect(entry.etag).toMatch(/^".+"$/);
        expect(entry.etag).toBe((await store.stat(entry.path))?.etag);
      }
      expect(await store.list('docs')).toHaveLength(7); // more than one page on azure-files
    });

    it('walks the whole tree, parents before children', async () => {
      const entries = await walkAll(store);
      expect(entries).toHaveLength(4 + 5 + 7);
      const seen = new Set<string>(['']);
      for (const entry of entries) {
        expect(seen.has(entry.path.slice(0, Math.max(0, entry.path.lastIndexOf('/'))))).toBe(true);
        seen.add(entry.path);
      }
      expect((await walkAll(store, 'src/lib')).map((entry) => entry.path).sort()).toEqual([
        'src/lib/a.ts',
        'src/lib/b.ts',
        'src/lib/deep',
        'src/lib/deep/c.ts',
      ]);
    });

    it('stats files, directories, the root and nothing', async () => {
      expect(await store.stat('src/lib')).toMatchObject({ type: 'directory', name: 'lib', size: 0 });
      expect(await store.stat('')).toMatchObject({ type: 'directory', path: '' });
      expect(await store.stat('nope')).toBeUndefined();
      expect(await store.stat('nope/deeper/file')).toBeUndefined();
      expect(await store.stat('README.md/child')).toBeUndefined();
    });

    it('reports what is not there, or not of the right kind', async () => {
      await storeError(store.list('nope'), 'NOT_FOUND');
      await storeError(store.list('README.md'), 'NOT_A_DIRECTORY');
      await storeError(walkAll(store, 'nope'), 'NOT_FOUND');
      await storeError(store.read('nope.txt'), 'NOT_FOUND');
      await storeError(store.read('nope/x.txt'), 'NOT_FOUND');
      await storeError(store.read('src'), 'IS_DIRECTORY');
      await storeError(store.write('nope/x.txt', Buffer.from('x')), 'PARENT_NOT_FOUND');
      await storeError(store.write('src', Buffer.from('x')), 'IS_DIRECTORY');
      await storeError(store.makeDirectory('nope/sub'), 'PARENT_NOT_FOUND');
      await storeError(store.makeDirectory('README.md'), 'ALREADY_EXISTS');
      await storeError(store.makeDirectories('README.md/sub'), 'ALREADY_EXISTS');
      await storeError(store.deleteFile('nope.txt'), 'NOT_FOUND');
      await storeError(store.deleteFile('src'), 'IS_DIRECTORY');
      await storeError(store.deleteDirectory('src'), 'DIRECTORY_NOT_EMPTY');
      await storeError(store.deleteDirectory('README.md'), 'NOT_A_DIRECTORY');
      await storeError(store.deleteDirectory('nope'), 'NOT_FOUND');
    });

    it('makes directories idempotently and deletes bottom-up', async () => {
      await store.makeDirectory('docs');
      await store.makeDirectories('src/lib/deep');
      await store.makeDirectories('x/y/z');
      expect(await store.stat('x/y/z')).toMatchObject({ type: 'directory' });
      await store.deleteDirectory('x/y/z');
      await store.deleteDirectory('x/y');
      await store.deleteDirectory('x');
      await store.deleteFile('src/lib/deep/c.ts');
      await store.deleteDirectory('src/lib/deep');
      expect((await store.list('src/lib')).map((entry) => entry.name).sort()).toEqual(['a.ts', 'b.ts']);
    });

    it(`treats names that differ only in case as ${backend.caseInsensitive ? 'the same' : 'different'}`, async () => {
      await store.write('readme.MD', Buffer.from('second'));
      const readmes = (await store.list('')).filter((entry) => entry.name.toLowerCase() === 'readme.md');
      if (backend.caseInsensitive) {
        expect(readmes.map((entry) => entry.name)).toEqual(['README.md']); // case preserved from the first write
        expect(await text(await store.read('readme.md'))).toBe('second');
        expect(await store.stat('SRC/LIB/A.TS')).toMatchObject({ path: 'SRC/LIB/A.TS', type: 'file' });
      } else {
        expect(readmes.map((entry) => entry.name).sort()).toEqual(['README.md', 'readme.MD']);
        expect(await store.stat('SRC/LIB/A.TS')).toBeUndefined();
      }
    });
  });

  it('answers ping', async () => {
    await expect(store.ping()).resolves.toBeUndefined();
  });

  it('refuses paths that could escape the workspace', async () => {
    for (const path of ['../x', 'a/../../x', '/etc/passwd', 'a\\b', 'con']) {
      await expect(store.write(path, Buffer.from('x'))).rejects.toMatchObject({ code: 'INVALID_PATH' });
      await expect(store.stat(path)).rejects.toMatchObject({ code: 'INVALID_PATH' });
    }
  });
});

describe('azure-files store over the wire', () => {
  let store: WorkspaceStore;
  const share = () => `wire-${process.pid}-${++shareCounter}`;

  beforeEach(async () => {
    store = createWorkspaceStore(
      { backend: 'azure-files', share: share(), connectionString: emulator.connectionString },
      { retry: FAST_RETRY },
    );
    await store.ping(); // creates the share
    emulator.resetCounts();
    emulator.setFaults([]);
  });
  afterEach(() => emulator.setFaults([]));

  it('creates the share once, not per call', async () => {
    await store.write('a', Buffer.from('a'));
    await store.write('b', Buffer.from('b'));
    expect(emulator.counts.createShare).toBeUndefined();
  });

  it('writes a file of up to 4 MiB in one request (Create File with content), 5 MiB in create + two ranges', async () => {
    await store.write('small', Buffer.from('x'));
    expect(emulator.counts).toMatchObject({ total: 1, createFile: 1 });
    emulator.resetCounts();
    await store.write('empty', Buffer.alloc(0));
    await store.write('four', randomBytes(4 * 1024 * 1024));
    expect(emulator.counts).toMatchObject({ total: 2, createFile: 2 });
    emulator.resetCounts();
    await store.write('big', randomBytes(5 * 1024 * 1024));
    expect(emulator.counts).toMatchObject({ total: 3, createFile: 1, putRange: 2 });
    expect(await text(await store.read('small'))).toBe('x');
    expect((await store.stat('empty'))?.size).toBe(0);
  });

  it('sizes an unsized stream from its first 4 MiB, growing the file only when it is longer', async () => {
    const mib = 1024 * 1024;
    const exact = randomBytes(4 * mib);
    await store.write('exact.bin', Readable.from([exact.subarray(0, mib), exact.subarray(mib)]));
    expect(emulator.counts).toMatchObject({ total: 1, createFile: 1 });
    emulator.resetCounts();
    const twice = randomBytes(8 * mib);
    await store.write('twice.bin', Readable.from([twice]));
    expect(emulator.counts).toMatchObject({ total: 5, createFile: 1, setFileProperties: 2, putRange: 2 });
    expect(sha(await buffer(await store.read('exact.bin')))).toBe(sha(exact));
    expect(sha(await buffer(await store.read('twice.bin')))).toBe(sha(twice));
  });

  it('refuses a small body that is not its announced size before replacing the old file', async () => {
    await store.write('kept.txt', Buffer.from('old'));
    emulator.resetCounts();
    await storeError(
      store.write('kept.txt', Readable.from([Buffer.from('four')]), { size: 3 }),
      'STORAGE_ERROR',
    );
    expect(emulator.counts.total ?? 0).toBe(0);
    expect(await text(await store.read('kept.txt'))).toBe('old');
  });

  it('lists and walks without a request per file', async () => {
    await store.makeDirectories('a/b');
    for (let i = 0; i < 20; i++) await store.write(`a/b/f${i}`, Buffer.from(String(i)));
    emulator.resetCounts();
    expect(await walkAll(store)).toHaveLength(22);
    expect(emulator.counts).toEqual({ total: 3, list: 3 });
  });

  it('makes a missing chain of directories with one request per level, an existing one with one', async () => {
    await store.makeDirectories('p/q/r');
    expect(emulator.counts.createDirectory).toBe(2 + 3); // deepest first fails twice, then p, q, r
    emulator.resetCounts();
    await store.makeDirectories('p/q/r');
    expect(emulator.counts).toEqual({ total: 1, createDirectory: 1 });
  });

  it('retries 503 ServerBusy, 500 and connection resets until the call succeeds', async () => {
    emulator.setFaults([
      { kind: 'ServerBusy', operation: 'createFile', nth: 1 },
      { kind: 'reset', operation: 'createFile', nth: 2 },
      { kind: 'reset', operation: 'putRange', nth: 1 },
      { kind: 'InternalError', operation: 'getFile', nth: 1 },
    ]);
    await store.write('flaky.txt', Buffer.from('made it'));
    expect(await text(await store.read('flaky.txt'))).toBe('made it');
    const big = randomBytes(5 * 1024 * 1024);
    await store.write('flaky.bin', big);
    expect(sha(await buffer(await store.read('flaky.bin')))).toBe(sha(big));
    expect(emulator.counts).toMatchObject({ createFile: 4, putRange: 3, getFile: 3 });
  });

  it('gives up after maxTries with the service code in storageCode', async () => {
    emulator.setFaults([{ kind: 'ServerBusy', times: 100 }]);
    const error = await storeError(store.stat('x'), 'STORAGE_ERROR');
    expect(error.storageCode).toBe('ServerBusy');
    expect(emulator.counts.total).toBe(FAST_RETRY.maxTries);
  });

  it('maps a non-transient error without retrying it', async () => {
    const error = await storeError(store.write('missing/x.txt', Buffer.from('x')), 'PARENT_NOT_FOUND');
    expect(error.storageCode).toBe('ParentNotFound');
    expect(emulator.counts).toEqual({ total: 1, createFile: 1 });
  });

  it('leaves no half-written file when a range fails for good', async () => {
    emulator.setFaults([{ kind: 'ServerBusy', operation: 'putRange', times: 100 }]);
    await storeError(store.write('half.bin', randomBytes(5 * 1024 * 1024)), 'STORAGE_ERROR');
    emulator.setFaults([]);
    expect(await store.stat('half.bin')).toBeUndefined();
  });
});
