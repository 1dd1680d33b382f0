// WorkspaceStore on an Azure Files share through @azure/storage-file-share. Transient failures
// (503 ServerBusy, 500, connection resets) are retried by the SDK's retry policy, configured in
// createStore.ts. Listings come with timestamps and ETags, so nothing is fetched per file; the
// executable bit lives in file metadata (`mode`), which listings do not return.

import type { ShareClient, ShareDirectoryClient, ShareFileClient } from '@azure/storage-file-share';
import { Readable } from 'node:stream';
import type { FileCreator } from './azureFilesCreate.js';
import { azureErrorCode, toStoreError } from './azureFilesErrors.js';
import { chunksOf, type Chunk } from './chunks.js';
import { joinPath, nameOf, parentOf } from './paths.js';
import { StoreError, type ByteRange, type Entry, type WorkspaceStore, type WriteOptions } from './store.js';
import { assertValidPath } from './validPath.js';

/** Largest Put Range body the service accepts. */
export const RANGE_BYTES = 4 * 1024 * 1024;
/** Longest wait for the share to be created on first use; then the next call tries again. */
const SHARE_CREATE_TIMEOUT_MS = 10_000;
/** Directories listed ahead while walking (parents still come out before children). */
const WALK_PREFETCH = 8;
/**
 * Directory clients kept for reuse. A client costs URL parsing and escaping plus a generated
 * operations context on construction (StorageClient's constructor), which a sync would otherwise
 * pay on every request; 100 files per folder share one. Bounded, so a walk of a huge share does
 * not keep one per folder for ever.
 */
const DIRECTORY_CLIENTS_KEPT = 1024;

export interface AzureFilesStoreOptions {
  /** Create the share on first use. Needs Shared Key: OAuth cannot create shares over REST. */
  createShare?: boolean;
  /** Entries per listing page; the service maximum (5000) when omitted. */
  pageSize?: number;
  /**
   * Sends Create File with content (bodies up to 4 MiB, nearly every write of a sync) outside the
   * SDK's generated client, for about 0.6x its CPU (azureFilesCreate.ts). Without it the SDK sends them.
   */
  creator?: FileCreator;
}

interface Stamp {
  etag?: string;
  lastModified?: Date;
}

export class AzureFilesWorkspaceStore implements WorkspaceStore {
  #shareReady?: Promise<void>;
  readonly #directories = new Map<string, ShareDirectoryClient>();

  constructor(
    private readonly share: ShareClient,
    private readonly options: AzureFilesStoreOptions = {},
  ) {}

  async stat(path: string): Promise<Entry | undefined> {
    await this.#ready(path);
    if (path !== '') {
      try {
        const properties = await this.#file(path).getProperties();
        return fileEntry(path, properties.contentLength ?? 0, properties, isExecutable(properties.metadata));
      } catch (error) {
        const code = azureErrorCode(error);
        if (code === 'ParentNotFound') return undefined;
        if (code !== 'ResourceNotFound') throw toStoreError(error, path, 'stat');
      }
    }
    return this.#directoryEntry(path);
  }

  async list(path: string): Promise<Entry[]> {
    await this.#ready(path);
    return this.#listDirectory(path);
  }

  async *walk(path: string): AsyncIterable<Entry> {
    await this.#ready(path);
    const queue: { path: string; listing?: Promise<Entry[]> }[] = [{ path }];
    for (let next = queue.shift(); next; next = queue.shift()) {
      for (const ahead of queue.slice(0, WALK_PREFETCH)) {
        ahead.listing ??= this.#listDirectory(ahead.path);
        ahead.listing.catch(() => undefined); // surfaced when its turn comes, not as an unhandled rejection
      }
      for (const entry of await (next.listing ?? this.#listDirectory(next.path))) {
        yield entry;
        if (entry.type === 'directory') queue.push({ path: entry.path });
      }
    }
  }

  async read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable> {
    await this.#ready(path);
    const offset = range?.start ?? 0;
    const count = range?.end === undefined ? undefined : range.end - offset + 1;
    if (count !== undefined && count <= 0) return Readable.from([]);
    try {
      const response = await this.#file(path).download(offset, count, { abortSignal: signal });
      return response.readableStreamBody as Readable;
    } catch (error) {
      const code = azureErrorCode(error);
      if (code === 'InvalidRange') return Readable.from([]); // the range starts at or after the end
      if (code === 'ResourceNotFound' && (await this.#directoryEntry(path))) {
        throw new StoreError('IS_DIRECTORY', path, `${path} is a directory`, code);
      }
      throw notFoundOr(error, path, 'read');
    }
  }

  async write(path: string, body: Readable | Buffer, options: WriteOptions = {}): Promise<Entry> {
    await this.#ready(path);
    const executable = options.executable ?? false;
    const abortSignal = options.signal;
    const chunks = chunksOf(body, RANGE_BYTES);
    // One piece tells a body that fits one request from a large one.
    const first = (await chunks.next()).value ?? undefined;
    const whole = !first || first.last ? (first?.bytes ?? Buffer.alloc(0)) : undefined;
    const size = whole?.length ?? (Buffer.isBuffer(body) ? body.length : options.size);
    // Checked before Create, which would already have replaced the old content.
    if (whole && options.size !== undefined && options.size !== whole.length)
      throw sizeMismatch(path, options.size);
    let created = false;
    let file: ShareFileClient | undefined;
    try {
      // A body of up to 4 MiB travels with Create File (service version 2026-02-06 and later):
      // one request per file instead of Create + Put Range, which halves a sync's writes.
      const mode = executable ? '755' : '644';
      if (whole && this.options.creator) {
        // One request: the service replaces the file with all of it or with nothing.
        const stamp = await this.options.creator.create(path, whole, mode, abortSignal);
        return fileEntry(path, whole.length, stamp, executable);
      }
      // A client costs URL parsing on construction: made only when the SDK sends the request.
      file = this.#file(path);
      let stamp: Stamp = await file.create(size ?? 0, {
        metadata: { mode },
        abortSignal,
        ...(whole?.length ? { content: whole, contentLength: whole.length } : {}),
      });
      created = true;
      if (whole) return fileEntry(path, whole.length, stamp, executable);
      let offset = 0;
      for await (const chunk of withFirst(first, chunks)) {
        const end = offset + chunk.bytes.length;
        if (size !== undefined && end > size) throw sizeMismatch(path, size);
        if (size === undefined) await file.resize(end, { abortSignal });
        stamp = await file.uploadRange(chunk.bytes, offset, chunk.bytes.length, { abortSignal });
        offset = end;
      }
      if (size !== undefined && offset !== size) throw sizeMismatch(path, size);
      return fileEntry(path, offset, stamp, executable);
    } catch (error) {
      // Create already replaced the old content; a half-written file must not pass for a good one.
      if (created) await file?.deleteIfExists().catch(() => undefined);
      if (azureErrorCode(error) === 'ResourceTypeMismatch') {
        throw new StoreError('IS_DIRECTORY', path, `${path} is a directory`, 'ResourceTypeMismatch');
      }
      throw toStoreError(error, path, 'write');
    }
  }

  async makeDirectory(path: string): Promise<void> {
    await this.#ready(path);
    if (path === '') return;
    try {
      await this.#directory(path).create();
    } catch (error) {
      const code = azureErrorCode(error);
      if (code === 'ResourceAlreadyExists') return;
      if (code === 'ResourceTypeMismatch') {
        throw new StoreError('ALREADY_EXISTS', path, `${path} exists and is not a directory`, code);
      }
      throw toStoreError(error, path, 'create');
    }
  }

  /** Tries the deepest directory first: one request when the parent exists, walking up only when not. */
  async makeDirectories(path: string): Promise<void> {
    try {
      await this.makeDirectory(path);
    } catch (error) {
      if (!(error instanceof StoreError) || error.code !== 'PARENT_NOT_FOUND') throw error;
      await this.makeDirectories(parentOf(path));
      await this.makeDirectory(path);
    }
  }

  async deleteFile(path: string): Promise<void> {
    await this.#ready(path);
    try {
      await this.#file(path).delete();
    } catch (error) {
      if (azureErrorCode(error) === 'ResourceNotFound' && (await this.#directoryEntry(path))) {
        throw new StoreError('IS_DIRECTORY', path, `${path} is a directory`, 'ResourceNotFound');
      }
      throw notFoundOr(error, path, 'delete');
    }
  }

  async deleteDirectory(path: string): Promise<void> {
    await this.#ready(path);
    if (path === '') throw new StoreError('STORAGE_ERROR', path, 'The workspace root cannot be deleted');
    try {
      await this.#directory(path).delete();
    } catch (error) {
      if (azureErrorCode(error) === 'ResourceNotFound' && (await this.#isFile(path))) {
        throw new StoreError('NOT_A_DIRECTORY', path, `${path} is not a directory`, 'ResourceNotFound');
      }
      throw notFoundOr(error, path, 'delete');
    }
  }

  /**
   * /health's probe: the first page, one entry long, of the root directory's listing. The app's
   * identity holds *Storage File Data Privileged Contributor*, a data-plane role whose only read
   * is `Microsoft.Storage/storageAccounts/fileServices/fileshares/files/read` ("Returns a
   * file/folder or a list of files/folders"); it grants no share-level read such as Get Share
   * Properties, which an earlier probe used and which could leave /health failing for ever.
   * https://learn.microsoft.com/azure/role-based-access-control/built-in-roles/storage#storage-file-data-privileged-contributor
   */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.#ready('');
    try {
      await this.#directory('')
        .listFilesAndDirectories({ abortSignal: signal })
        .byPage({ maxPageSize: 1 })
        .next();
    } catch (error) {
      throw toStoreError(error, '', 'reach the share for');
    }
  }

  /** Validates the path and, once per store, creates the share when asked to. */
  async #ready(path: string): Promise<void> {
    assertValidPath(path);
    if (!this.options.createShare) return;
    this.#shareReady ??= this.#createShare();
    await this.#shareReady;
  }

  /**
   * Bounded: every call waits on this one promise, so a request that hung for ever would keep the
   * store (and /health) down after the service recovered. A failure clears it for the next call.
   */
  #createShare(): Promise<void> {
    const deadline = AbortSignal.timeout(SHARE_CREATE_TIMEOUT_MS);
    return this.share.createIfNotExists({ abortSignal: deadline }).then(
      () => undefined,
      (error) => {
        this.#shareReady = undefined;
        if (deadline.aborted) {
          const message = `Cannot create the share: no answer within ${SHARE_CREATE_TIMEOUT_MS} ms`;
          throw new StoreError('STORAGE_ERROR', '', message, 'Timeout');
        }
        throw toStoreError(error, '', 'create the share for');
      },
    );
  }

  #directory(path: string): ShareDirectoryClient {
    // '' is the root: what the SDK's rootDirectoryClient getter builds anew on every call.
    let client = this.#directories.get(path);
    if (!client) {
      if (this.#directories.size >= DIRECTORY_CLIENTS_KEPT) this.#directories.clear();
      client = this.share.getDirectoryClient(path);
      this.#directories.set(path, client);
    }
    return client;
  }

  #file(path: string): ShareFileClient {
    return this.#directory(parentOf(path)).getFileClient(nameOf(path));
  }

  async #directoryEntry(path: string): Promise<Entry | undefined> {
    try {
      return directoryEntry(path, await this.#directory(path).getProperties());
    } catch (error) {
      if (isNotFound(error)) return undefined;
      throw toStoreError(error, path, 'stat');
    }
  }

  async #isFile(path: string): Promise<boolean> {
    try {
      await this.#file(path).getProperties();
      return true;
    } catch (error) {
      if (isNotFound(error)) return false;
      throw toStoreError(error, path, 'stat');
    }
  }

  async #listDirectory(path: string): Promise<Entry[]> {
    const entries: Entry[] = [];
    try {
      const pages = this.#directory(path)
        .listFilesAndDirectories({ includeTimestamps: true, includeEtag: true })
        .byPage({ maxPageSize: this.options.pageSize });
      for await (const page of pages) {
        for (const item of page.segment.directoryItems) {
          entries.push(directoryEntry(joinPath(path, item.name), item.properties ?? {}));
        }
        for (const item of page.segment.fileItems) {
          entries.push(fileEntry(joinPath(path, item.name), item.properties.contentLength, item.properties));
        }
      }
    } catch (error) {
      if (azureErrorCode(error) === 'ResourceNotFound' && (await this.#isFile(path))) {
        throw new StoreError('NOT_A_DIRECTORY', path, `${path} is not a directory`, 'ResourceNotFound');
      }
      throw notFoundOr(error, path, 'list');
    }
    return entries;
  }
}

function fileEntry(path: string, size: number, stamp: Stamp, executable?: boolean): Entry {
  return { ...stamped(path, stamp), type: 'file', size, executable };
}

function directoryEntry(path: string, stamp: Stamp): Entry {
  return { ...stamped(path, stamp), type: 'directory', size: 0 };
}

function stamped(path: string, stamp: Stamp): Pick<Entry, 'name' | 'path' | 'mtime' | 'etag'> {
  // Headers carry the ETag quoted; normalise so listings and properties compare equal either way.
  const etag = stamp.etag?.replace(/^"|"$/g, '') ?? '';
  return { name: nameOf(path), path, mtime: stamp.lastModified ?? new Date(0), etag: `"${etag}"` };
}

function isExecutable(metadata: Record<string, string> | undefined): boolean {
  const mode = Number.parseInt(metadata?.mode ?? '', 8);
  return Number.isInteger(mode) && (mode & 0o100) !== 0;
}

function isNotFound(error: unknown): boolean {
  const code = azureErrorCode(error);
  return code === 'ResourceNotFound' || code === 'ParentNotFound';
}

/** For reads and deletes a missing parent simply means the path is not there. */
function notFoundOr(error: unknown, path: string, action: string): unknown {
  const mapped = toStoreError(error, path, action);
  if (mapped instanceof StoreError && mapped.code === 'PARENT_NOT_FOUND') {
    return new StoreError('NOT_FOUND', path, mapped.message, mapped.storageCode);
  }
  return mapped;
}

function sizeMismatch(path: string, expected: number): StoreError {
  return new StoreError(
    'STORAGE_ERROR',
    path,
    `The body is not the announced ${expected} bytes`,
    'SizeMismatch',
  );
}

async function* withFirst(first: Chunk | undefined, rest: AsyncIterable<Chunk>): AsyncIterable<Chunk> {
  if (first) yield first;
  yield* rest;
}
