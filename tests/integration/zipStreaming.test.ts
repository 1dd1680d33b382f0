// The ZIP stream's resource behaviour over real loopback HTTP: a client that goes away stops
// every store read with no stream left open; reads run at most a bounded window ahead of the
// archive, also while nobody reads it; more than 65,535 entries switch the archive to ZIP64.
// Each test waits for the events it asserts on, never for a duration.

import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { promisify } from 'node:util';
import { createWriteStream } from 'node:fs';
import { afterAll, beforeAll, expect, it, vi } from 'vitest';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import type { ByteRange, WorkspaceStore } from '../../src/workspace/store.js';
import { zipFolder, ZIP_DEFAULTS } from '../../src/workspace/zip.js';

const run = promisify(execFile);
const FILES = 600;

/**
 * The real local store, counting reads started, reads not yet over (from the call until its
 * stream closes or it fails) and open walks; `maxAhead` is the most reads started beyond the
 * entries the archive had finished (`finishedEntries`, counted by the test), at any read's start.
 */
function countingStore(inner: WorkspaceStore) {
  const counts = { started: 0, open: 0, walking: 0, finishedEntries: 0, maxAhead: 0 };
  const read = async (path: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> => {
    counts.started++;
    counts.open++;
    counts.maxAhead = Math.max(counts.maxAhead, counts.started - counts.finishedEntries);
    try {
      const stream = await inner.read(path, range, signal);
      stream.once('close', () => counts.open--);
      return stream;
    } catch (error) {
      counts.open--;
      throw error;
    }
  };
  async function* walk(path: string) {
    counts.walking++;
    try {
      yield* inner.walk(path);
    } finally {
      counts.walking--;
    }
  }
  const store = new Proxy(inner, {
    get: (target, key) => {
      if (key === 'read') return read;
      if (key === 'walk') return walk;
      const value = Reflect.get(target, key) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
  return { store, counts };
}

let root: string;
let server: Server | undefined;

beforeAll(async () => {
  root = await mkdtemp(join(tmpdir(), 'zip-stream-'));
  await mkdir(join(root, 'data'));
  // Incompressible content, so the archive is as large as the data and takes a while to send.
  // Every 30th file is larger than ZIP_DEFAULTS.bufferFilesUpTo, so some reads are open streams.
  for (let i = 0; i < FILES; i++) {
    const size = i % 30 === 0 ? ZIP_DEFAULTS.bufferFilesUpTo + 512 * 1024 : 64 * 1024;
    await writeFile(join(root, 'data', `f${String(i).padStart(3, '0')}.bin`), randomBytes(size));
  }
});

afterAll(async () => {
  server?.close();
  await rm(root, { recursive: true, force: true });
});

it('stops every store read when the client disconnects', async () => {
  const { store, counts } = countingStore(new LocalWorkspaceStore(root));
  let served: Promise<unknown> | undefined;
  server = createServer((_req, res) => {
    served = pipeline(zipFolder(store, ''), res).catch((error: Error) => error);
  });
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  await new Promise<void>((resolve, reject) => {
    const request = get(`http://127.0.0.1:${port}/`, (response) => {
      let received = 0;
      response.on('data', (chunk: Buffer) => {
        received += chunk.length;
        if (received > 3 * 1024 * 1024) {
          request.destroy(); // the client goes away mid-download
          resolve();
        }
      });
    });
    request.on('error', (error) => (request.destroyed ? undefined : reject(error)));
  });

  expect(await served).toBeInstanceOf(Error);
  // The walk is closed (the listing was not left suspended) and no read is still going. Reads
  // start only for entries the walk yields, so from here on none can start.
  await vi.waitFor(() => expect(counts).toMatchObject({ open: 0, walking: 0 }), { timeout: 10_000 });
  expect(counts.started).toBeGreaterThan(0);
  expect(counts.started).toBeLessThan(FILES / 2);
});

it('reads at most a bounded window ahead of the archive, also while nobody reads it', async () => {
  const { store, counts } = countingStore(new LocalWorkspaceStore(root));
  const archive = zipFolder(store, '');
  archive.on('entry', () => counts.finishedEntries++);
  // Reads in the window (prefetch) and entries appended to the archive but not finished (prefetch).
  const window = 2 * ZIP_DEFAULTS.prefetch;
  // Nobody reads: the archive fills its output buffer, after which it finishes no entry, which
  // is what moves the window. Every read that starts, now or later, is measured against it.
  await vi.waitFor(
    () => {
      expect(archive.readableLength).toBeGreaterThanOrEqual(archive.readableHighWaterMark);
      expect(counts.started - counts.finishedEntries).toBeGreaterThanOrEqual(ZIP_DEFAULTS.prefetch);
    },
    { timeout: 10_000 },
  );
  expect(counts.maxAhead).toBeLessThanOrEqual(window);

  const file = join(root, '..', `${Date.now()}-slow.zip`);
  await pipeline(archive, createWriteStream(file));
  expect(counts.started).toBe(FILES);
  expect(counts.open).toBe(0);
  expect(counts.maxAhead).toBeLessThanOrEqual(window);
  await run('unzip', ['-tq', file]);
  await rm(file);
});

it('writes ZIP64 records when there are more than 65,535 entries', { timeout: 180_000 }, async () => {
  const many = await mkdtemp(join(tmpdir(), 'zip64-'));
  try {
    const per = 1000;
    const total = 65_600;
    for (let d = 0; d * per < total; d++) {
      await mkdir(join(many, `d${d}`));
      await Promise.all(
        Array.from({ length: Math.min(per, total - d * per) }, (_, i) =>
          writeFile(join(many, `d${d}`, `${i}`), ''),
        ),
      );
    }
    const file = join(many, '..', `${Date.now()}-zip64.zip`);
    await pipeline(zipFolder(new LocalWorkspaceStore(many), ''), createWriteStream(file));
    const script = `
import sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    names = z.namelist()
    print(len(names), sum(1 for n in names if not n.endswith('/')))
`;
    const { stdout } = await run('python3', ['-c', script, file]);
    const dirs = Math.ceil(total / per);
    expect(stdout.trim()).toBe(`${total + dirs} ${total}`);
    await run('unzip', ['-tq', file], { maxBuffer: 64 * 1024 * 1024 });
    await rm(file);
  } finally {
    await rm(many, { recursive: true, force: true });
  }
});
