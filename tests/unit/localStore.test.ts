// Local-store behaviour the contract suite cannot express: symlinks, temp files, atomicity, modes.

import {
  lstat,
  mkdir,
  mkdtemp,
  readdir,
  readFile,
  rm,
  stat,
  symlink,
  utimes,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { text } from 'node:stream/consumers';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { LocalWorkspaceStore, STALE_TEMP_MS, TEMP_PREFIX } from '../../src/workspace/localStore.js';
import { StoreError } from '../../src/workspace/store.js';

let base: string;
let root: string;
let store: LocalWorkspaceStore;

beforeEach(async () => {
  base = await mkdtemp(join(tmpdir(), 'local-store-'));
  root = join(base, 'workspace');
  store = new LocalWorkspaceStore(root);
  await store.makeDirectories('');
});
afterEach(() => rm(base, { recursive: true, force: true }));

async function storeError(promise: Promise<unknown>): Promise<StoreError> {
  const error = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(StoreError);
  return error as StoreError;
}

describe('local store: symlinks', () => {
  beforeEach(async () => {
    await writeFile(join(base, 'x'), 'outside');
    await mkdir(join(base, 'outside-dir'));
    await writeFile(join(base, 'outside-dir', 'secret'), 'secret');
    await symlink('/etc/passwd', join(root, 'passwd'));
    await symlink('../x', join(root, 'up'));
    await symlink('../outside-dir', join(root, 'dir-link'));
  });

  it('does not list, stat or read links', async () => {
    expect(await store.list('')).toEqual([]);
    expect(await store.stat('passwd')).toBeUndefined();
    expect(await store.stat('up')).toBeUndefined();
    expect((await storeError(store.read('passwd'))).code).toBe('NOT_FOUND');
    expect((await storeError(store.read('up'))).code).toBe('NOT_FOUND');
    const walked = [];
    for await (const entry of store.walk('')) walked.push(entry);
    expect(walked).toEqual([]);
  });

  it('never goes through a linked directory', async () => {
    expect(await store.stat('dir-link/secret')).toBeUndefined();
    expect((await storeError(store.read('dir-link/secret'))).code).toBe('NOT_FOUND');
    expect((await storeError(store.list('dir-link'))).code).toBe('NOT_FOUND');
    const write = await storeError(store.write('dir-link/secret', Buffer.from('pwned')));
    expect(write).toMatchObject({ code: 'PARENT_NOT_FOUND', storageCode: 'SymbolicLink' });
    expect((await storeError(store.makeDirectory('dir-link/sub'))).code).toBe('PARENT_NOT_FOUND');
    expect((await storeError(store.deleteFile('dir-link/secret'))).code).toBe('NOT_FOUND');
    expect((await storeError(store.deleteDirectory('dir-link'))).code).toBe('NOT_FOUND');
    expect(await readFile(join(base, 'outside-dir', 'secret'), 'utf8')).toBe('secret');
    expect(await readdir(join(base, 'outside-dir'))).toEqual(['secret']);
  });

  it('replaces a link on write instead of writing through it', async () => {
    await store.write('up', Buffer.from('inside'));
    expect(await readFile(join(base, 'x'), 'utf8')).toBe('outside');
    expect((await lstat(join(root, 'up'))).isFile()).toBe(true);
    expect(await text(await store.read('up'))).toBe('inside');
  });

  it('deletes the link itself, not its target', async () => {
    await store.deleteFile('up');
    expect(await readFile(join(base, 'x'), 'utf8')).toBe('outside');
    await expect(lstat(join(root, 'up'))).rejects.toThrow(/ENOENT/);
  });

  it('follows a symlinked root (WORKSPACE_PATH itself may be a link)', async () => {
    await symlink(root, join(base, 'root-link'));
    const linked = new LocalWorkspaceStore(join(base, 'root-link'));
    await linked.write('a.txt', Buffer.from('a'));
    expect(await readFile(join(root, 'a.txt'), 'utf8')).toBe('a');
  });
});

describe('local store: atomic writes', () => {
  const HALF = 512 * 1024;

  /** Waits until the write's temp file in `folder` holds `size` bytes: the write is in progress. */
  async function tempFileHolding(folder: string, size: number): Promise<string> {
    let temp = '';
    await vi.waitFor(
      async () => {
        const temps = (await readdir(folder)).filter((name) => name.startsWith(TEMP_PREFIX));
        expect(temps).toHaveLength(1);
        temp = join(folder, temps[0]!);
        expect((await lstat(temp)).size).toBe(size);
      },
      { timeout: 10_000, interval: 5 },
    );
    return temp;
  }

  it('a reader sees the old or the new content, never a part', async () => {
    await store.write('f.bin', Buffer.alloc(2 * HALF, 'a'));
    const body = new PassThrough();
    const writing = store.write('f.bin', body);
    body.write(Buffer.alloc(HALF, 'b'));
    // Half the new content is on disk, in the temp file: readers still get all of the old one.
    const temp = await tempFileHolding(root, HALF);
    expect(await readFile(temp, 'utf8')).toBe('b'.repeat(HALF));
    expect(await readFile(join(root, 'f.bin'), 'utf8')).toBe('a'.repeat(2 * HALF));
    expect(await text(await store.read('f.bin'))).toBe('a'.repeat(2 * HALF));
    expect((await store.stat('f.bin'))?.size).toBe(2 * HALF);
    expect((await store.list('')).map((entry) => entry.path)).toEqual(['f.bin']); // the temp file is hidden
    body.end(Buffer.alloc(HALF, 'b'));
    await writing;
    expect(await readFile(join(root, 'f.bin'), 'utf8')).toBe('b'.repeat(2 * HALF));
    expect(await readdir(root)).toEqual(['f.bin']);
  });

  it('removes the temp file and keeps the old content when the body fails', async () => {
    await store.write('f.txt', Buffer.from('old'));
    const body = new PassThrough();
    const writing = store.write('f.txt', body);
    body.write('partial');
    await tempFileHolding(root, 'partial'.length);
    body.destroy(new Error('client went away'));
    await expect(writing).rejects.toThrow('client went away');
    expect(await readdir(root)).toEqual(['f.txt']);
    expect(await readFile(join(root, 'f.txt'), 'utf8')).toBe('old');
  });

  it('removes the temp file when aborted', async () => {
    const controller = new AbortController();
    const body = new PassThrough();
    const writing = store.write('g.txt', body, { signal: controller.signal });
    body.write('partial');
    await tempFileHolding(root, 'partial'.length);
    controller.abort();
    await expect(writing).rejects.toThrow(/abort/i);
    expect(await readdir(root)).toEqual([]);
  });

  it('refuses a body whose length differs from the announced size', async () => {
    const error = await storeError(store.write('h.txt', Buffer.from('abc'), { size: 4 }));
    expect(error.storageCode).toBe('SizeMismatch');
    expect(await readdir(root)).toEqual([]);
  });

  it('a directory holding only leftovers of interrupted writes counts as empty', async () => {
    await store.makeDirectory('d');
    await writeFile(join(root, 'd', `${TEMP_PREFIX}crashed`), 'x');
    expect(await store.list('d')).toEqual([]);
    await store.deleteDirectory('d');
    expect(await store.stat('d')).toBeUndefined();
  });

  it('removes leftovers of a killed writer when their folder is walked, and leaves fresh ones alone', async () => {
    await store.makeDirectory('d');
    const stale = join(root, 'd', `${TEMP_PREFIX}killed`);
    const fresh = join(root, 'd', `${TEMP_PREFIX}another-process-writing`);
    await writeFile(stale, 'half');
    await writeFile(fresh, 'half');
    const old = new Date(Date.now() - STALE_TEMP_MS - 5_000);
    await utimes(stale, old, old);
    for await (const _ of store.walk('')) void _;
    expect((await readdir(join(root, 'd'))).sort()).toEqual([`${TEMP_PREFIX}another-process-writing`]);
  });
});

describe('local store: files on disk', () => {
  it('sets the mode regardless of the umask and reports it', async () => {
    const previous = process.umask(0o077);
    try {
      expect((await store.write('run.sh', Buffer.from('#!/bin/sh'), { executable: true })).executable).toBe(
        true,
      );
      expect((await store.write('data.txt', Buffer.from('x'))).executable).toBe(false);
    } finally {
      process.umask(previous);
    }
    expect((await stat(join(root, 'run.sh'))).mode & 0o777).toBe(0o755);
    expect((await stat(join(root, 'data.txt'))).mode & 0o777).toBe(0o644);
  });

  it('gives every write a new ETag, even many in the same millisecond', async () => {
    const etags = new Set<string>();
    for (let i = 0; i < 200; i++) etags.add((await store.write('same.txt', Buffer.from('same'))).etag);
    expect(etags.size).toBe(200);
    expect((await store.stat('same.txt'))?.etag).toBe([...etags].at(-1));
  });

  it('creates the root folder on first use', async () => {
    const fresh = new LocalWorkspaceStore(join(base, 'new', 'root'));
    await fresh.ping();
    expect((await stat(join(base, 'new', 'root'))).isDirectory()).toBe(true);
  });

  it('names the workspace path in errors, never the host path', async () => {
    const error = await storeError(store.read('missing/file.txt'));
    expect(error.message).toContain('missing/file.txt');
    expect(error.message).not.toContain(base);
  });
});
