// The workspace file functions (src/workspace/files.ts) and the edit lock (src/workspace/editLock.ts)
// called directly, without HTTP: a local store in a temp folder, the Files emulator where storage must
// fail, real blob leases on Azurite, and the blob proxy (tests/support/storageProxy.ts) that shows how
// often a waiter asks storage (a wait that polls in a hot loop is a bill and a throttling risk).

import { BlobServiceClient, type ContainerClient } from '@azure/storage-blob';
import { mkdir, mkdtemp, readFile, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it, vi } from 'vitest';
import type { Connection } from '../../src/jobs/types.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { BlobEditLocks, editsDrained } from '../../src/workspace/editLock.js';
import {
  deletePath,
  MAX_FILE_BYTES,
  readPath,
  writeFile,
  type FilesDeps,
} from '../../src/workspace/files.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { startBlobProxy, type BlobProxy, type ProxiedRequest } from '../support/storageProxy.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

let root: string;
let emulator: FilesEmulator;
let proxy: BlobProxy;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'files-domain-'));
  emulator = await startFilesEmulator();
  proxy = await startBlobProxy(inject('azuriteConnectionString'));
});

afterAll(async () => {
  await proxy?.stop();
  await emulator?.stop();
  await rm(root, { recursive: true, force: true });
});

let containers = 0;
/** A fresh container per use, so no other test's edit lock is in sight. */
async function freshContainer(): Promise<ContainerClient> {
  const name = `files-domain-${process.pid}-${++containers}`;
  const container = BlobServiceClient.fromConnectionString(
    inject('azuriteConnectionString'),
  ).getContainerClient(name);
  await container.createIfNotExists();
  return container;
}

const connected: Connection = {
  repositoryUrl: 'https://github.com/acme/scripts.git',
  branch: 'main',
  enabled: true,
  createdAt: '2024-01-01T00:00:00Z',
  updatedAt: '2024-01-01T00:00:00Z',
};

async function filesDeps(
  store: WorkspaceStore = createWorkspaceStore({ backend: 'local', path: root }),
  connection?: Connection,
): Promise<FilesDeps> {
  return {
    store,
    connections: { get: async () => connection },
    events: { publish: async () => undefined },
    locks: new BlobEditLocks(await freshContainer()),
  };
}

const bytes = (text: string) => Readable.from([Buffer.from(text)]);

/** How many requests through the proxy match, from now on. */
function countRequests(matches: (request: ProxiedRequest) => boolean): () => number {
  let seen = 0;
  proxy.watch((request, answered) => void (!answered && matches(request) && seen++));
  return () => seen;
}

/** The code an async call fails with (so a table of cases reads as outcomes). */
async function failure(promise: Promise<unknown>): Promise<string> {
  return promise.then(
    () => 'succeeded',
    (error: { code?: string; message?: string }) => error.code ?? String(error.message),
  );
}

const exists = (path: string) =>
  stat(join(root, path)).then(
    () => true,
    () => false,
  );

describe('readPath with Range and If-Range', () => {
  it('serves the range when If-Range names the current ETag, the whole file when it names another', async () => {
    const { entry } = await writeFile(await filesDeps(), 'ranges/digits.txt', bytes('0123456789'), {});
    const store = createWorkspaceStore({ backend: 'local', path: root });

    const current = await readPath(store, 'ranges/digits.txt', { range: 'bytes=2-5', ifRange: entry.etag });
    expect(current).toMatchObject({ kind: 'file', range: { start: 2, end: 5 } });
    expect(await text(current)).toBe('2345');

    const stale = await readPath(store, 'ranges/digits.txt', { range: 'bytes=2-5', ifRange: '"old"' });
    expect(stale).toMatchObject({ kind: 'file', range: undefined });
    expect(await text(stale)).toBe('0123456789');
  });
});

async function text(result: Awaited<ReturnType<typeof readPath>>): Promise<string> {
  if (result.kind !== 'file') throw new Error(`expected a file, got ${result.kind}`);
  const chunks: Buffer[] = [];
  for await (const chunk of result.body) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks).toString();
}

describe('writeFile', () => {
  it('refuses the root as IS_DIRECTORY in every mode, before any lock or mode check', async () => {
    expect(await failure(writeFile(await filesDeps(), '', bytes('x'), {}))).toBe('IS_DIRECTORY');
    // While connected the answer is still "the root is a folder", not "the workspace is read-only".
    const readOnly = await filesDeps(undefined, connected);
    expect(await failure(writeFile(readOnly, '', bytes('x'), { ifMatch: '*' }))).toBe('IS_DIRECTORY');
  });

  it('refuses a declared Content-Length over 10 MiB before reading the body; exactly 10 MiB is written', async () => {
    let bodyRead = false;
    async function* watched(): AsyncGenerator<Uint8Array> {
      bodyRead = true;
      yield Buffer.from('x');
    }
    const over = writeFile(await filesDeps(), 'declared/over.bin', watched(), {
      contentLength: MAX_FILE_BYTES + 1,
    });
    expect(await failure(over)).toBe('PAYLOAD_TOO_LARGE');
    expect(bodyRead).toBe(false);
    expect(await exists('declared')).toBe(false);

    const exact = Buffer.alloc(MAX_FILE_BYTES, 121);
    const written = await writeFile(await filesDeps(), 'declared/exact.bin', Readable.from([exact]), {
      contentLength: MAX_FILE_BYTES,
    });
    expect(written).toMatchObject({ created: true, entry: { size: MAX_FILE_BYTES } });
  });

  it('answers IS_DIRECTORY for a folder in the way, with or without If-Match', async () => {
    await mkdir(join(root, 'in-the-way/folder'), { recursive: true });
    const deps = await filesDeps();
    expect(await failure(writeFile(deps, 'in-the-way/folder', bytes('x'), {}))).toBe('IS_DIRECTORY');
    expect(await failure(writeFile(deps, 'in-the-way/folder', bytes('x'), { ifMatch: '*' }))).toBe(
      'IS_DIRECTORY',
    );
    expect((await stat(join(root, 'in-the-way/folder'))).isDirectory()).toBe(true);
  });

  it('a body that fails mid-stream fails the write with its own error and changes nothing', async () => {
    const deps = await filesDeps();
    const broken = async function* (): AsyncGenerator<Uint8Array> {
      yield Buffer.from('half of the new ');
      throw Object.assign(new Error('the client went away'), { code: 'ECONNRESET' });
    };
    // A new file: neither it nor the folders made for it remain.
    expect(await failure(writeFile(deps, 'broken/new/file.txt', broken(), {}))).toBe('ECONNRESET');
    expect(await exists('broken')).toBe(false);

    // A file that was there keeps its content.
    await writeFile(deps, 'kept/file.txt', bytes('the old content'), {});
    expect(await failure(writeFile(deps, 'kept/file.txt', broken(), { ifMatch: '*' }))).toBe('ECONNRESET');
    expect(await readFile(join(root, 'kept/file.txt'), 'utf8')).toBe('the old content');
  });
});

describe('deletePath of a folder', () => {
  it('answers DIRECTORY_NOT_EMPTY only when the folder has content, not when storage fails', async () => {
    const store = createWorkspaceStore(
      { backend: 'azure-files', share: 'domain', connectionString: emulator.connectionString },
      { retry: { maxTries: 1 } },
    );
    const deps = await filesDeps(store);
    await writeFile(deps, 'full/a.txt', bytes('a'), {});
    expect(await failure(deletePath(deps, 'full', {}))).toBe('DIRECTORY_NOT_EMPTY');

    await store.makeDirectories('empty');
    emulator.setFaults([{ kind: 'InternalError', operation: 'deleteDirectory' }]);
    expect(await failure(deletePath(deps, 'empty', {}))).toBe('STORAGE_ERROR');
    expect(await store.stat('empty')).toMatchObject({ type: 'directory' });
  });
});

describe('edit locks and a sync waiting for edits', () => {
  /** Holds an edit lock on path until the returned release() is called. */
  async function holdEdit(container: ContainerClient, path: string) {
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    let held!: () => void;
    const acquired = new Promise<void>((resolve) => (held = resolve));
    const done = new BlobEditLocks(container).withLock(path, async () => {
      held();
      await released;
    });
    await acquired;
    return {
      release: async () => {
        release();
        await done;
      },
    };
  }

  it('a sync polls for edits with backoff and gives up by its deadline while one is held', async () => {
    const container = await freshContainer();
    const name = container.containerName;
    const edit = await holdEdit(container, 'held.txt');
    const counted = countRequests((request) => request.url.includes('comp=list'));
    const started = performance.now();
    expect(await editsDrained(proxy.container(name), 2000)).toBe(false);
    const elapsed = performance.now() - started;
    await edit.release();
    // 50, 100, 200, 400, 800 ms apart, then 1 s: six listings in 2 s; a hot loop makes hundreds.
    expect(counted()).toBeGreaterThanOrEqual(2);
    expect(counted()).toBeLessThanOrEqual(10);
    // It returns when its next wait would pass the deadline: late by at most one listing request.
    expect(elapsed).toBeLessThan(3000);
  });

  it('a sync waits for an edit that ends late in its window', async () => {
    const container = await freshContainer();
    const name = container.containerName;
    const edit = await holdEdit(container, 'late.txt');
    // The edit ends at the sixth listing (about 1.5 s into a 10 s window): the sync must see it end.
    let listings = 0;
    proxy.handle(async (request, forward) => {
      if (request.url.includes('comp=list') && ++listings === 6) await edit.release();
      return forward();
    });
    try {
      expect(await editsDrained(proxy.container(name), 10_000)).toBe(true);
    } finally {
      proxy.handle(undefined);
      await edit.release();
    }
    expect(listings).toBeGreaterThanOrEqual(6);
  });

  it('an edit waiting for another edit of the same path backs off, then answers EDIT_IN_PROGRESS', async () => {
    const container = await freshContainer();
    const name = container.containerName;
    const edit = await holdEdit(container, 'busy.txt');
    const attempts = countRequests(
      (request) => request.url.includes('comp=lease') && request.headers['x-ms-lease-action'] === 'acquire',
    );
    const waiter = new BlobEditLocks(proxy.container(name), { waitMs: 1500 });
    // No jitter: each pause is exactly its delay, so a waiter that keeps to waitMs never sleeps past it.
    const random = vi.spyOn(Math, 'random').mockReturnValue(0);
    const started = performance.now();
    try {
      expect(await failure(waiter.withLock('busy.txt', async () => undefined))).toBe('EDIT_IN_PROGRESS');
    } finally {
      random.mockRestore();
      await edit.release();
    }
    // Late by at most one lease request; a waiter that ignored its last pause would be 500 ms late.
    expect(performance.now() - started).toBeLessThan(1500 + 400);
    // 25, 50, 100, 200, 400, 500 ms apart (each up to twice that, jittered): a handful, not hundreds.
    expect(attempts()).toBeGreaterThanOrEqual(2);
    expect(attempts()).toBeLessThanOrEqual(15);
  });
});
