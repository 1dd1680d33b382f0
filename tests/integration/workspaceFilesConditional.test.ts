// The workspace file functions (src/workspace/files.ts) called directly, against real stores: the
// rules of DESIGN.md "HTTP contract" and docs/api.md "Workspace" that the HTTP tests reach only in
// part: conditional writes (428 / 412), read-only while connected, parents made and
// PARENT_NOT_A_DIRECTORY, a recursive delete of a deep tree, the 10 MiB cap on a streamed body, the
// listing order, and what each error tells a user about the path (the workspace root included).
//
// The edit lock is a pass-through here: its own rules are proven against Azurite in editLocks.test.ts.
// Handing out a signal the test owns lets it check that a write leaves nothing listening on it.

import { getEventListeners } from 'node:events';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Connection, WorkspaceEvent } from '../../src/jobs/types.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import type { EditLocks } from '../../src/workspace/editLock.js';
import {
  deletePath,
  MAX_FILE_BYTES,
  readPath,
  sortForListing,
  writeFile,
  type FilesDeps,
  type WriteRequest,
} from '../../src/workspace/files.js';
import { StoreError, type Entry, type WorkspaceStore } from '../../src/workspace/store.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

let emulator: FilesEmulator;
let sandbox: string;
let shares = 0;

beforeAll(async () => {
  emulator = await startFilesEmulator();
  sandbox = await mkdtemp(join(tmpdir(), 'ws-files-conditional-'));
});

afterAll(async () => {
  await emulator?.stop();
  await rm(sandbox, { recursive: true, force: true });
});

/** A fresh, empty workspace on either store. */
const freshStore: Record<'local' | 'azure-files', () => WorkspaceStore> = {
  local: () => createWorkspaceStore({ backend: 'local', path: join(sandbox, `ws-${++shares}`) }),
  'azure-files': () =>
    createWorkspaceStore({
      backend: 'azure-files',
      share: `conditional-${++shares}`,
      connectionString: emulator.connectionString,
    }),
};

/** A lock that runs the action at once with a signal the test can inspect afterwards. */
class WatchedLocks implements EditLocks {
  readonly signals: AbortSignal[] = [];
  async withLock<T>(_path: string, action: (signal: AbortSignal) => Promise<T>): Promise<T> {
    const signal = new AbortController().signal;
    this.signals.push(signal);
    return action(signal);
  }
}

function deps(store: WorkspaceStore, connection?: Partial<Connection>) {
  const events: WorkspaceEvent[] = [];
  const locks = new WatchedLocks();
  const files: FilesDeps = {
    store,
    connections: {
      get: async () =>
        connection && {
          repositoryUrl: '',
          branch: 'main',
          enabled: true,
          createdAt: '',
          updatedAt: '',
          ...connection,
        },
    },
    events: { publish: async (event) => void events.push(event) },
    locks,
  };
  return { files, events, locks };
}

const body = (text: string) => Readable.from([Buffer.from(text)]);

/** How a call failed: its code and message, or 'resolved'. */
async function failure(call: Promise<unknown>): Promise<{ code: string; message: string } | 'resolved'> {
  try {
    await call;
    return 'resolved';
  } catch (error) {
    const { code, message } = error as { code: string; message: string };
    return { code, message };
  }
}

describe('conditional writes (DESIGN.md: existing needs If-Match → 428, stale → 412, If-None-Match: * creates only)', () => {
  it.each<{
    name: string;
    exists: boolean;
    request: (etag: string) => WriteRequest;
    code: string;
    message: RegExp;
  }>([
    {
      name: 'replacing without If-Match',
      exists: true,
      request: () => ({}),
      code: 'PRECONDITION_REQUIRED',
      // The 428 tells the client what to send (docs/api.md: "replacing needs the ETag you read (or *)").
      message: /^cond\/file\.txt exists; send If-Match with its ETag \(or \*\)/,
    },
    {
      name: 'replacing with only If-None-Match naming another ETag',
      exists: true,
      request: () => ({ ifNoneMatch: ['"other"'] }),
      code: 'PRECONDITION_REQUIRED',
      message: /^cond\/file\.txt exists; send If-Match/,
    },
    {
      name: 'replacing with only a malformed If-None-Match (parsed as no ETag)',
      exists: true,
      request: () => ({ ifNoneMatch: [] }),
      code: 'PRECONDITION_REQUIRED',
      message: /^cond\/file\.txt exists; send If-Match/,
    },
    {
      name: 'a stale If-Match',
      exists: true,
      request: () => ({ ifMatch: ['"stale"'] }),
      code: 'PRECONDITION_FAILED',
      message: /^cond\/file\.txt does not match/,
    },
    {
      name: 'If-None-Match: * on an existing file',
      exists: true,
      request: () => ({ ifNoneMatch: '*' }),
      code: 'PRECONDITION_FAILED',
      message: /^cond\/file\.txt does not match/,
    },
    {
      name: 'If-None-Match with the current ETag',
      exists: true,
      request: (etag) => ({ ifMatch: '*', ifNoneMatch: [etag] }),
      code: 'PRECONDITION_FAILED',
      message: /^cond\/file\.txt does not match/,
    },
    {
      name: 'If-Match on a missing file',
      exists: false,
      request: () => ({ ifMatch: '*' }),
      code: 'PRECONDITION_FAILED',
      message: /^cond\/file\.txt does not match/,
    },
  ])('refuses $name with $code, naming the path, and leaves the file as it was', async (row) => {
    const { files, events } = deps(freshStore.local());
    const etag = row.exists ? (await writeFile(files, 'cond/file.txt', body('before'), {})).entry.etag : '';
    events.length = 0;

    const outcome = await failure(writeFile(files, 'cond/file.txt', body('after'), row.request(etag)));

    expect(outcome).toEqual({ code: row.code, message: expect.stringMatching(row.message) });
    expect((await files.store.stat('cond/file.txt'))?.etag).toBe(row.exists ? etag : undefined);
    expect(events).toEqual([]);
  });

  it('names the connected repository and branch in the read-only refusal, or says "a GitHub repository"', async () => {
    const cases = [
      {
        repositoryUrl: 'https://github.com/octo/site.git',
        branch: 'release',
        names: 'octo/site (branch release)',
      },
      { repositoryUrl: 'not a url', branch: 'main', names: 'a GitHub repository (branch main)' },
    ];
    for (const { names, ...connection } of cases) {
      const { files } = deps(freshStore.local(), connection);
      expect(await failure(writeFile(files, 'a.txt', body('x'), {}))).toEqual({
        code: 'WORKSPACE_READ_ONLY',
        message: `The workspace follows ${names} and is read-only; disconnect it to edit files`,
      });
    }
  });
});

describe('errors that name a path say "The workspace root" for the root', () => {
  it.each([
    { call: 'read', path: 'gone/missing.txt', code: 'NOT_FOUND', message: 'gone/missing.txt does not exist' },
    { call: 'delete', path: 'gone', code: 'NOT_FOUND', message: 'gone does not exist' },
    { call: 'write', path: 'folder', code: 'IS_DIRECTORY', message: 'folder is a folder, not a file' },
    { call: 'write', path: '', code: 'IS_DIRECTORY', message: 'The workspace root is a folder, not a file' },
    // The root exists unless the folder under WORKSPACE_PATH went away while the app ran.
    { call: 'read-removed-root', path: '', code: 'NOT_FOUND', message: 'The workspace root does not exist' },
  ])('$call "$path" → $code "$message"', async ({ call, path, code, message }) => {
    const root = join(sandbox, `errors-${++shares}`);
    const store = createWorkspaceStore({ backend: 'local', path: root });
    const { files } = deps(store);
    await store.makeDirectory('folder');
    const calls: Record<string, () => Promise<unknown>> = {
      read: () => readPath(store, path),
      delete: () => deletePath(files, path, {}),
      write: () => writeFile(files, path, body('x'), {}),
      'read-removed-root': async () => {
        await rm(root, { recursive: true });
        return readPath(store, path);
      },
    };
    expect(await failure(calls[call]!())).toEqual({ code, message });
  });
});

describe('a write under a file (docs/api.md: 409 PARENT_NOT_A_DIRECTORY)', () => {
  it.each([
    { path: 'notes.txt/today.md', blocker: 'notes.txt' },
    { path: 'notes.txt/2024/05/today.md', blocker: 'notes.txt' },
    { path: 'docs/notes.txt/today.md', blocker: 'docs/notes.txt' },
  ])('refuses $path, naming $blocker, and makes no folder', async ({ path, blocker }) => {
    const { files } = deps(freshStore.local());
    await writeFile(files, blocker, body('a file'), {});

    expect(await failure(writeFile(files, path, body('x'), {}))).toEqual({
      code: 'PARENT_NOT_A_DIRECTORY',
      message: `${blocker} is a file, not a folder`,
    });
    expect((await files.store.stat(blocker))?.type).toBe('file');
  });
});

describe.each(['local', 'azure-files'] as const)('%s store', (kind) => {
  it('deletes a deep tree recursively: every file and folder, then the folder itself', async () => {
    const { files, events } = deps(freshStore[kind]());
    const paths = ['top/a/b/c/d/deep.txt', 'top/a/b/side.txt', 'top/x/y/z.txt', 'top/one.txt'];
    for (const path of paths) await writeFile(files, path, body(path), {});
    await files.store.makeDirectories('top/empty/inner');
    await writeFile(files, 'keep.txt', body('stays'), {});
    events.length = 0;

    await deletePath(files, 'top', { recursive: true });

    expect(await files.store.stat('top')).toBeUndefined();
    expect((await files.store.list('')).map((entry) => entry.path)).toEqual(['keep.txt']);
    expect(events).toEqual([{ type: 'edited', path: 'top', action: 'delete', by: undefined }]);
  });

  it('lists folders before files, then by name, each folder followed by its subtree (docs/api.md)', async () => {
    const { files } = deps(freshStore[kind]());
    // Names that differ only by length or a suffix, and file names that sort before '0'.
    for (const path of ['a.txt', '#notes.md', '0.txt', 'a/z.txt', 'a/b/c.txt', 'ab/y.txt', 'a-b/x.txt']) {
      await writeFile(files, path, body(path), {});
    }

    const flat = await readPath(files.store, '');
    const recursive = await readPath(files.store, '', { recursive: true });

    const paths = (result: typeof flat) =>
      result.kind === 'listing' ? result.entries.map((e) => e.path) : [];
    expect(paths(flat)).toEqual(['a', 'a-b', 'ab', '#notes.md', '0.txt', 'a.txt']);
    const treeOrder = [
      'a',
      'a/b',
      'a/b/c.txt',
      'a/z.txt',
      'a-b',
      'a-b/x.txt',
      'ab',
      'ab/y.txt',
      '#notes.md',
      '0.txt',
      'a.txt',
    ];
    expect(paths(recursive)).toEqual(treeOrder);
    // The stores walk parents before children, which hides a comparator that ranks a folder after
    // its own contents; the order must not depend on the order the store lists in.
    const walked: Entry[] = [];
    for await (const entry of files.store.walk('')) walked.push(entry);
    expect(sortForListing(walked.reverse()).map((entry) => entry.path)).toEqual(treeOrder);
  });
});

describe('the request body', () => {
  /** Endless 1 MiB chunks; records whether the consumer closed it. */
  function endlessBody() {
    const source = { closed: false, chunks: 0 };
    async function* chunks() {
      try {
        for (;;) {
          source.chunks++;
          yield Buffer.alloc(1024 * 1024, 7);
        }
      } finally {
        source.closed = true;
      }
    }
    return { source, body: chunks() };
  }

  // Both stores pass a failing body's own error through; a store that reports it as its own
  // failure (as an SDK upload may) must still give the client 413, not a storage error.
  const wrapsBodyErrors = (store: WorkspaceStore): WorkspaceStore =>
    new Proxy(store, {
      get(target, key) {
        if (key === 'write') {
          return (...args: Parameters<WorkspaceStore['write']>) =>
            target.write(...args).catch(() => {
              throw new StoreError('STORAGE_ERROR', args[0], 'The upload failed');
            });
        }
        const value = Reflect.get(target, key) as unknown;
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });

  it.each([
    { store: 'local', make: () => freshStore.local() },
    { store: 'one that reports body errors as its own', make: () => wrapsBodyErrors(freshStore.local()) },
  ])(
    'stops a chunked body past 10 MiB with PAYLOAD_TOO_LARGE on a $store store, and closes the source',
    async ({ make }) => {
      const { files, events } = deps(make());
      const { source, body: endless } = endlessBody();

      expect(await failure(writeFile(files, 'big/huge.bin', endless, {}))).toEqual({
        code: 'PAYLOAD_TOO_LARGE',
        message: `Files are limited to ${MAX_FILE_BYTES} bytes (10 MiB)`,
      });
      expect(source.closed).toBe(true);
      expect(source.chunks).toBe(MAX_FILE_BYTES / (1024 * 1024) + 1);
      expect(await files.store.stat('big')).toBeUndefined(); // "nothing is left behind"
      expect(events).toEqual([]);
    },
  );

  it.each(['local', 'azure-files'] as const)(
    'leaves no abort listener on the lock signal after a %s write, done or refused',
    async (kind) => {
      const { files, locks } = deps(freshStore[kind]());
      await writeFile(files, 'listen/a.txt', body('one'), {});
      await failure(writeFile(files, 'listen/b.txt', endlessBody().body, {}));

      expect(locks.signals).toHaveLength(2);
      for (const signal of locks.signals) expect(getEventListeners(signal, 'abort')).toEqual([]);
    },
  );
});
