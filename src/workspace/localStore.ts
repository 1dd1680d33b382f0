// WorkspaceStore on a local directory (WORKSPACE_PATH): `npm start`, containers with a mounted
// volume, tests. Writes are atomic (temp file in the same folder + rename) and no operation ever
// goes through a symbolic link: a link inside the workspace is not part of it (see docs/stores.md).

import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  createReadStream,
  fstatSync,
  openSync,
  readSync,
  type BigIntStats,
  lstatSync,
  realpathSync,
} from 'node:fs';
import {
  lstat,
  mkdir,
  open,
  readdir,
  realpath,
  rename,
  rmdir,
  unlink,
  type FileHandle,
} from 'node:fs/promises';
import { join } from 'node:path';
import { addAbortSignal, Readable } from 'node:stream';
import { joinPath, nameOf, parentOf } from './paths.js';
import { assertValidPath } from './validPath.js';
import { StoreError, type ByteRange, type Entry, type WorkspaceStore, type WriteOptions } from './store.js';

/** Prefix of in-flight temp files. ':' is refused by paths.ts, so no workspace name can start like this. */
export const TEMP_PREFIX = '.~ws-sync:';

/** Temp files this process is writing right now; any other one is a crashed write's leftover. */
const inFlight = new Set<string>();
/**
 * A leftover not touched for this long is removed when its folder is listed. The wait only
 * matters when another process writes the same folder; a live write touches its file often. It is
 * shorter than the 15 s workspace lease, so a sync that takes over from a killed worker already
 * sees that worker's leftovers as stale.
 */
export const STALE_TEMP_MS = 10_000;

const FILE_MODE = 0o644;
const EXECUTABLE_MODE = 0o755;

/** Files up to this size are read in one call rather than streamed. */
const WHOLE_READ_BYTES = 1024 * 1024;

export class LocalWorkspaceStore implements WorkspaceStore {
  #root?: Promise<string>;

  constructor(private readonly rootPath: string) {}

  async stat(path: string): Promise<Entry | undefined> {
    const parent = await this.#parent(path);
    if (parent.real === undefined) return undefined;
    const stats = await lstatOrUndefined(this.#join(parent.real, nameOf(path)));
    return stats && isVisible(nameOf(path), stats) ? toEntry(path, stats) : undefined;
  }

  async list(path: string): Promise<Entry[]> {
    return this.#listReal(path, await this.#directory(path));
  }

  async *walk(path: string): AsyncIterable<Entry> {
    // Breadth first: parents come out before children. Descends only into entries lstat calls
    // directories, so a symlink is never followed.
    const pending = [{ path, real: await this.#directory(path) }];
    for (let next = pending.shift(); next; next = pending.shift()) {
      for (const entry of await this.#listReal(next.path, next.real)) {
        yield entry;
        if (entry.type === 'directory') pending.push({ path: entry.path, real: join(next.real, entry.name) });
      }
    }
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
    const parent = await this.#parent(path);
    if (parent.real === undefined) throw notFound(path);
    const target = this.#join(parent.real, nameOf(path));
    // Opened and checked with plain system calls: for the many small files of a scripts workspace
    // a thread-pool round trip per call cost more than the bytes (a ZIP of 10,000 files spent most
    // of its time there). Large files are streamed from the same descriptor.
    let fd: number;
    try {
      fd = openSync(target, constants.O_RDONLY | constants.O_NOFOLLOW);
    } catch (error) {
      throw fsError(error, path, 'read');
    }
    let streaming = false;
    try {
      const stats = fstatSync(fd);
      if (!stats.isFile()) {
        throw stats.isDirectory()
          ? new StoreError('IS_DIRECTORY', path, `${path} is a directory`)
          : notFound(path);
      }
      const start = range?.start ?? 0;
      const end = Math.min(range?.end ?? Infinity, stats.size - 1);
      if (start > end) return Readable.from([]);
      if (end - start < WHOLE_READ_BYTES) {
        const content = Buffer.allocUnsafe(end - start + 1);
        let offset = 0;
        while (offset < content.length) {
          const bytesRead = readSync(fd, content, offset, content.length - offset, start + offset);
          if (bytesRead === 0) break; // shrank while read: hand out what is there
          offset += bytesRead;
        }
        return Readable.from([content.subarray(0, offset)]);
      }
      streaming = true;
      const stream = createReadStream('', { fd, start, end });
      return signal ? addAbortSignal(signal, stream) : stream;
    } finally {
      if (!streaming) closeSync(fd);
    }
  }

  async write(path: string, body: Readable | Buffer, options: WriteOptions = {}): Promise<Entry> {
    const parent = await this.#existingParent(path);
    const target = this.#join(parent.real, nameOf(path));
    if ((await lstatOrUndefined(target))?.isDirectory()) {
      throw new StoreError('IS_DIRECTORY', path, `${path} is a directory`);
    }
    const temp = join(parent.real, TEMP_PREFIX + randomBytes(8).toString('hex'));
    let handle: FileHandle | undefined;
    inFlight.add(temp);
    try {
      handle = await open(temp, 'wx', FILE_MODE);
      await handle.chmod(options.executable ? EXECUTABLE_MODE : FILE_MODE); // not subject to the umask
      const written = await writeBody(handle, body, options.signal);
      if (options.size !== undefined && written !== options.size) {
        throw new StoreError(
          'STORAGE_ERROR',
          path,
          `Expected ${options.size} bytes, got ${written}`,
          'SizeMismatch',
        );
      }
      await handle.utimes(...uniqueTimestamp());
      const stats = await handle.stat({ bigint: true });
      await handle.close();
      handle = undefined;
      options.signal?.throwIfAborted();
      await rename(temp, target); // replaces a symlink at target rather than writing through it
      return toEntry(path, stats);
    } catch (error) {
      await handle?.close().catch(() => undefined);
      await unlink(temp).catch(() => undefined);
      throw fsError(error, path, 'write');
    } finally {
      inFlight.delete(temp);
    }
  }

  async makeDirectory(path: string): Promise<void> {
    const parent = await this.#existingParent(path);
    if (path === '') return; // #parent created the root
    const target = this.#join(parent.real, nameOf(path));
    try {
      await mkdir(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw fsError(error, path, 'create');
      const stats = await lstat(target);
      if (!stats.isDirectory()) {
        throw new StoreError('ALREADY_EXISTS', path, `${path} exists and is not a directory`, 'EEXIST');
      }
    }
  }

  async makeDirectories(path: string): Promise<void> {
    const segments = path.split('/');
    for (let depth = 1; depth <= segments.length; depth++) {
      await this.makeDirectory(segments.slice(0, depth).join('/'));
    }
  }

  async deleteFile(path: string): Promise<void> {
    const parent = await this.#parent(path);
    if (parent.real === undefined) throw notFound(path);
    const target = this.#join(parent.real, nameOf(path));
    const stats = await lstatOrUndefined(target);
    if (!stats) throw notFound(path);
    if (stats.isDirectory()) throw new StoreError('IS_DIRECTORY', path, `${path} is a directory`);
    await unlink(target).catch((error) => {
      throw fsError(error, path, 'delete');
    });
  }

  async deleteDirectory(path: string): Promise<void> {
    if (path === '') throw new StoreError('STORAGE_ERROR', path, 'The workspace root cannot be deleted');
    const target = await this.#directory(path);
    try {
      await rmdir(target);
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOTEMPTY') throw fsError(error, path, 'delete');
      // Leftovers of interrupted writes do not count as content.
      const names = await readdir(target);
      if (!names.every((name) => name.startsWith(TEMP_PREFIX))) throw fsError(error, path, 'delete');
      await Promise.all(names.map((name) => unlink(join(target, name)).catch(() => undefined)));
      await rmdir(target).catch((retryError) => {
        throw fsError(retryError, path, 'delete');
      });
    }
  }

  async ping(_signal?: AbortSignal): Promise<void> {
    await lstat(await this.#rootReal());
  }

  /** The root, created on first use, with symlinks in WORKSPACE_PATH itself resolved once. */
  #rootReal(): Promise<string> {
    this.#root ??= mkdir(this.rootPath, { recursive: true })
      .then(() => realpath(this.rootPath))
      .catch((error) => {
        this.#root = undefined;
        throw new StoreError('STORAGE_ERROR', '', 'The workspace folder is not usable', error.code);
      });
    return this.#root;
  }

  #join(parentReal: string, name: string): string {
    return name === '' ? parentReal : join(parentReal, name);
  }

  /**
   * The real path of path's parent directory, or why it cannot be used. One realpath call
   * proves that no component is a symlink: any link would make the result differ.
   */
  async #parent(path: string): Promise<ParentDirectory> {
    assertValidPath(path);
    const root = await this.#rootReal();
    if (path === '') return { real: root };
    const expected = join(root, ...parentOf(path).split('/'));
    try {
      // Plain system calls, as in read(): local metadata answers in microseconds.
      const real = realpathSync.native(expected);
      if (real !== expected) return { problem: 'SymbolicLink' };
      return lstatSync(real).isDirectory() ? { real } : { problem: 'ENOTDIR' };
    } catch (error) {
      return { problem: (error as NodeJS.ErrnoException).code ?? 'ENOENT' };
    }
  }

  /** Like #parent, for writes: PARENT_NOT_FOUND (with the reason) when the parent cannot be used. */
  async #existingParent(path: string): Promise<{ real: string }> {
    const parent = await this.#parent(path);
    if (parent.real === undefined) {
      throw new StoreError(
        'PARENT_NOT_FOUND',
        path,
        `The parent of ${path} is not a directory`,
        parent.problem,
      );
    }
    return parent;
  }

  /** The real path of an existing directory at path; NOT_FOUND / NOT_A_DIRECTORY otherwise. */
  async #directory(path: string): Promise<string> {
    const parent = await this.#parent(path);
    if (parent.real === undefined) throw notFound(path);
    const target = this.#join(parent.real, nameOf(path));
    const stats = await lstatOrUndefined(target);
    if (!stats || !isVisible(nameOf(path), stats)) throw notFound(path);
    if (!stats.isDirectory()) throw new StoreError('NOT_A_DIRECTORY', path, `${path} is not a directory`);
    return target;
  }

  async #listReal(path: string, real: string): Promise<Entry[]> {
    const names = await readdir(real).catch((error) => {
      throw fsError(error, path, 'list');
    });
    const entries = await Promise.all(
      names.map(async (name) => {
        const stats = await lstatOrUndefined(join(real, name)); // may have gone since readdir
        if (stats && isAbandonedTemp(join(real, name), stats))
          await unlink(join(real, name)).catch(() => undefined);
        return stats && isVisible(name, stats) ? toEntry(joinPath(path, name), stats) : undefined;
      }),
    );
    return entries.filter((entry) => entry !== undefined);
  }
}

type ParentDirectory = { real: string; problem?: undefined } | { real?: undefined; problem: string };

/** Regular files and directories only; symlinks, sockets, fifos and our temp files are not workspace content. */
function isVisible(name: string, stats: BigIntStats): boolean {
  return (stats.isFile() || stats.isDirectory()) && !name.startsWith(TEMP_PREFIX);
}

/** A temp file of a write that died (a killed worker): not ours, and untouched for a while. */
function isAbandonedTemp(real: string, stats: BigIntStats): boolean {
  return (
    stats.isFile() &&
    nameOf(real).startsWith(TEMP_PREFIX) &&
    !inFlight.has(real) &&
    Date.now() - Number(stats.mtimeMs) > STALE_TEMP_MS
  );
}

async function lstatOrUndefined(real: string): Promise<BigIntStats | undefined> {
  try {
    return await lstat(real, { bigint: true });
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR') return undefined;
    throw error;
  }
}

function toEntry(path: string, stats: BigIntStats): Entry {
  const isFile = stats.isFile();
  return {
    name: nameOf(path),
    path,
    type: isFile ? 'file' : 'directory',
    size: isFile ? Number(stats.size) : 0,
    mtime: new Date(Number(stats.mtimeNs / 1_000_000n)),
    etag: `"${[stats.size, stats.mtimeNs, stats.ino].map((n) => n.toString(16)).join('-')}"`,
    executable: isFile ? (stats.mode & 0o100n) !== 0n : undefined,
  };
}

async function writeBody(handle: FileHandle, body: Readable | Buffer, signal?: AbortSignal): Promise<number> {
  signal?.throwIfAborted();
  if (Buffer.isBuffer(body)) {
    await handle.writeFile(body);
    return body.length;
  }
  if (signal) addAbortSignal(signal, body); // an abort destroys the body, which ends the loop below
  let written = 0;
  for await (const chunk of body) {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : (chunk as Uint8Array);
    for (let offset = 0; offset < bytes.length;) offset += (await handle.write(bytes, offset)).bytesWritten;
    written += bytes.length;
  }
  return written;
}

// File systems stamp mtimes from a coarse clock (milliseconds) and reuse freed inodes at once,
// so size + mtime + inode alone can repeat for two quick writes. Each write gets a strictly
// later mtime (microsecond steps) so the ETag always changes.
let lastStampMicros = 0;
function uniqueTimestamp(): [number, number] {
  lastStampMicros = Math.max(Date.now() * 1000, lastStampMicros + 1);
  const seconds = lastStampMicros / 1e6;
  return [seconds, seconds];
}

function notFound(path: string): StoreError {
  return new StoreError('NOT_FOUND', path, `${path || 'The workspace root'} does not exist`, 'ENOENT');
}

const ERRNO_CODES: Record<string, StoreError['code']> = {
  ENOENT: 'NOT_FOUND',
  ELOOP: 'NOT_FOUND', // O_NOFOLLOW met a symlink: not workspace content
  ENOTDIR: 'NOT_A_DIRECTORY',
  EISDIR: 'IS_DIRECTORY',
  EEXIST: 'ALREADY_EXISTS',
  ENOTEMPTY: 'DIRECTORY_NOT_EMPTY',
};

/** File-system errors become StoreErrors naming the workspace path (never the host path); others pass through. */
function fsError(error: unknown, path: string, action: string): unknown {
  if (error instanceof StoreError) return error;
  const errno = error as NodeJS.ErrnoException;
  if (typeof errno?.code !== 'string' || errno.path === undefined) return error;
  const code = ERRNO_CODES[errno.code] ?? 'STORAGE_ERROR';
  return new StoreError(
    code,
    path,
    `Cannot ${action} ${path || 'the workspace root'} (${errno.code})`,
    errno.code,
  );
}
