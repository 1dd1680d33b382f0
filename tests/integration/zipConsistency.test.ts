// The ZIP of a workspace that changes while it streams (issue 10 item 13), on every store: the
// local store and the azure-files store (the real SDK against the Files emulator), as in
// store-contract.test.ts. Files are deleted, replaced or cut short between the listing and their
// read, or while they are read; the archive must still be complete, pass `unzip -t`, and hold
// exactly the expected entries, each one whole version of its file (read with Python's zipfile).
// Also: entry modes from `modeOf`, as the function layer passes the sync manifest's git modes.

import { execFile } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { createWriteStream } from 'node:fs';
import { mkdtemp, rm, truncate } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import type { ByteRange, WorkspaceStore } from '../../src/workspace/store.js';
import { ZIP_DEFAULTS, zipFolder, type ZipOptions } from '../../src/workspace/zip.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

const run = promisify(execFile);
const FAST_RETRY = { maxTries: 4, retryDelayInMs: 5, maxRetryDelayInMs: 20 };
const LARGE = ZIP_DEFAULTS.bufferFilesUpTo + 300 * 1024; // streamed into the archive, not read whole

interface Backend {
  name: 'local' | 'azure-files';
  /** Whether listings report the executable bit (azure-files keeps it in metadata listings omit). */
  listsExecutable: boolean;
  create(): Promise<{ store: WorkspaceStore; folder?: string; cleanup(): Promise<void> }>;
}

let emulator: FilesEmulator;
let scratch: string;
let shares = 0;

beforeAll(async () => {
  emulator = await startFilesEmulator();
  scratch = await mkdtemp(join(tmpdir(), 'zip-consistency-'));
});
afterAll(async () => {
  await emulator.stop();
  await rm(scratch, { recursive: true, force: true });
});

const backends: Backend[] = [
  {
    name: 'local',
    listsExecutable: true,
    async create() {
      const folder = await mkdtemp(join(scratch, 'workspace-'));
      return {
        store: createWorkspaceStore({ backend: 'local', path: folder }),
        folder,
        cleanup: async () => undefined,
      };
    },
  },
  {
    name: 'azure-files',
    listsExecutable: false,
    async create() {
      const share = `zip-${process.pid}-${++shares}`;
      const config = { backend: 'azure-files' as const, share, connectionString: emulator.connectionString };
      return { store: createWorkspaceStore(config, { retry: FAST_RETRY }), cleanup: async () => undefined };
    },
  },
];

/** The real store, with a hook that runs once when the ZIP first opens (or has opened) a path. */
function hooked(
  inner: WorkspaceStore,
  hooks: {
    beforeRead?: Record<string, () => Promise<void>>;
    afterOpen?: Record<string, (stream: Readable) => Promise<void>>;
  },
): WorkspaceStore {
  const read = async (path: string, range?: ByteRange, signal?: AbortSignal) => {
    const before = hooks.beforeRead?.[path];
    delete hooks.beforeRead?.[path];
    await before?.();
    const stream = await inner.read(path, range, signal);
    const after = hooks.afterOpen?.[path];
    delete hooks.afterOpen?.[path];
    await after?.(stream);
    return stream;
  };
  return new Proxy(inner, {
    get: (target, key) => {
      if (key === 'read') return read;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

type ZipView = { comment: string; files: Record<string, { sha256: string; mode: number }> };

/** Streams the ZIP to a file, checks it with `unzip -t`, and reads it with Python's zipfile. */
async function zipped(store: WorkspaceStore, options: ZipOptions = {}): Promise<ZipView> {
  const file = join(scratch, `${randomBytes(4).toString('hex')}.zip`);
  await pipeline(zipFolder(store, '', options), createWriteStream(file));
  await run('unzip', ['-tq', file]);
  const script = `
import hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps({"comment": z.comment.decode("utf-8"), "files": {i.filename: {
        "sha256": hashlib.sha256(z.read(i)).hexdigest(), "mode": (i.external_attr >> 16) & 0o777}
        for i in z.infolist()}}))
`;
  const { stdout } = await run('python3', ['-c', script, file], { maxBuffer: 16 * 1024 * 1024 });
  return JSON.parse(stdout) as ZipView;
}

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');
const shas = (view: ZipView) => Object.fromEntries(Object.entries(view.files).map(([n, f]) => [n, f.sha256]));

describe.each(backends)('ZIP of a changing workspace: $name', (backend) => {
  let store: WorkspaceStore;
  let folder: string | undefined;
  let cleanup: () => Promise<void>;
  /** What the workspace holds before anything changes: path → content. */
  let content: Record<string, Buffer>;

  beforeEach(async () => {
    ({ store, folder, cleanup } = await backend.create());
    await store.makeDirectories('docs');
    await store.makeDirectories('bin');
    content = { 'bin/big.bin': randomBytes(LARGE), 'bin/other.bin': randomBytes(LARGE) };
    for (let i = 0; i < 40; i++) content[`docs/page${i}.md`] = Buffer.from(`# page ${i}\n`.repeat(50 + i));
    for (const [path, bytes] of Object.entries(content)) await store.write(path, bytes);
  });
  afterEach(() => cleanup());

  const expected = (changes: Record<string, Buffer | undefined> = {}) => {
    const view: Record<string, string> = { 'bin/': sha(Buffer.alloc(0)), 'docs/': sha(Buffer.alloc(0)) };
    for (const [path, bytes] of Object.entries({ ...content, ...changes }))
      if (bytes) view[path] = sha(bytes);
    return view;
  };

  it('leaves out files deleted between the listing and their read, names them, and completes', async () => {
    const deleted = ['docs/page7.md', 'docs/page30.md', 'bin/big.bin'];
    const beforeRead = Object.fromEntries(deleted.map((path) => [path, () => store.deleteFile(path)]));
    const view = await zipped(hooked(store, { beforeRead }));
    expect(shas(view)).toEqual(expected(Object.fromEntries(deleted.map((path) => [path, undefined]))));
    expect(view.comment.split('\n').sort()).toEqual([
      'skipped: bin/big.bin (deleted during download)',
      'skipped: docs/page30.md (deleted during download)',
      'skipped: docs/page7.md (deleted during download)',
    ]);
  });

  it('gives a file replaced before its read as its new content, whole', async () => {
    const replaced = { 'docs/page3.md': Buffer.from('shorter now\n'), 'docs/page4.md': randomBytes(5000) };
    const beforeRead = Object.fromEntries(
      Object.entries(replaced).map(([path, bytes]) => [
        path,
        async () => void (await store.write(path, bytes)),
      ]),
    );
    const view = await zipped(hooked(store, { beforeRead }));
    expect(shas(view)).toEqual(expected(replaced));
    expect(view.comment).toBe('');
  });

  it('takes a small file replaced while it is read as the version the read opened, leaves a streamed one out', async () => {
    const next = {
      'docs/page5.md': Buffer.from('# page 5, edited\n'.repeat(53)),
      'bin/other.bin': randomBytes(LARGE),
    };
    const afterOpen = Object.fromEntries(
      Object.entries(next).map(([path, bytes]) => [path, async () => void (await store.write(path, bytes))]),
    );
    const view = await zipped(hooked(store, { afterOpen }));
    const files = shas(view);
    // The read under way serves the version it opened (local: the open descriptor keeps the
    // replaced inode; the emulator keeps the replaced content for a Get File under way). A small
    // file is taken as read; a streamed one is checked after its last byte and left out.
    expect(files['docs/page5.md']).toBe(sha(content['docs/page5.md']!));
    expect(files['bin/other.bin']).toBeUndefined();
    expect(view.comment).toBe('skipped: bin/other.bin (changed during download)');
    expect(files).toEqual(expected({ 'bin/other.bin': undefined }));
  });

  it('takes a streamed file cut short while it is read out of the central directory', async () => {
    // In place, as an editor that truncates and rewrites does (local), or resized by another
    // client (azure-files): the stream ends short of the listed size.
    const cut = async () => {
      if (folder) await truncate(join(folder, 'bin/big.bin'), 1000);
      else await store.write('bin/big.bin', content['bin/big.bin']!.subarray(0, 1000));
    };
    const view = await zipped(hooked(store, { afterOpen: { 'bin/big.bin': cut } }));
    const files = shas(view);
    // Local: the open file shrank under the read, so the entry's bytes went out short and were
    // then disowned. Azure-files: a Get File under way serves the version it started with (the
    // emulator keeps the replaced content for it), but the ETag moved on; left out all the same.
    expect(files['bin/big.bin']).toBeUndefined();
    expect(view.comment).toBe('skipped: bin/big.bin (changed during download)');
    expect(files).toEqual(expected({ 'bin/big.bin': undefined }));
  });

  it('gives entries the modes modeOf returns, and the store bit where it returns undefined', async () => {
    await store.write('bin/run.sh', Buffer.from('#!/bin/sh\necho hi\n'), { executable: true });
    await store.write('bin/tool', Buffer.from('#!/bin/sh\n'), { executable: true });
    // As the function layer passes the sync manifest: git mode 100755 → 0o755, 100644 → 0o644.
    const manifest: Record<string, string> = { 'bin/tool': '100755', 'docs/page1.md': '100644' };
    const view = await zipped(store, {
      modeOf: (entry) => {
        const mode = manifest[entry.path];
        return mode === undefined ? undefined : Number.parseInt(mode, 8) & 0o777;
      },
    });
    expect(view.files['bin/tool']!.mode).toBe(0o755);
    expect(view.files['docs/page1.md']!.mode).toBe(0o644);
    expect(view.files['bin/run.sh']!.mode).toBe(backend.listsExecutable ? 0o755 : 0o644);
    expect(view.files['docs/']!.mode).toBe(0o755);
  });
});
