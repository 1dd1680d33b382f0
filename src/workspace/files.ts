// The workspace file API as plain functions: read, list, write and delete one path, with the
// HTTP semantics (conditional requests, ranges, read-only while connected) but no HTTP framework.
// src/functions/workspaceFiles.ts turns requests into these calls and results into responses.

import { Readable } from 'node:stream';
import { AppError } from '../errors.js';
import { fullName } from '../github/repository.js';
import type { ActorRef, Connection, WorkspaceEvent } from '../jobs/types.js';
import {
  ifMatchHolds,
  noneMatchFails,
  parseRange,
  type EtagCondition,
  type ResolvedRange,
} from './conditional.js';
import type { EditLocks } from './editLock.js';
import { forEachLimit } from '../limit.js';
import { parentOf } from './paths.js';
import { StoreError, type Entry, type WorkspaceStore } from './store.js';

export const MAX_FILE_BYTES = 10 * 1024 * 1024;
const DELETE_CONCURRENCY = 8;

export interface FilesDeps {
  store: WorkspaceStore;
  connections: { get(): Promise<Connection | undefined> };
  events: { publish(event: WorkspaceEvent): Promise<void> };
  locks: EditLocks;
}

/** One entry as the listing returns it. */
export interface FileListingEntry {
  name: string;
  path: string;
  type: Entry['type'];
  size: number;
  mtime: string;
  etag: string;
}

export type ReadResult =
  | { kind: 'listing'; entries: FileListingEntry[] }
  | { kind: 'not-modified'; entry: Entry }
  | { kind: 'file'; entry: Entry; body: Readable; range?: ResolvedRange };

export interface ReadOptions {
  recursive?: boolean;
  ifNoneMatch?: EtagCondition;
  range?: string | null;
  /** An ETag (or date) the client's earlier range came from; a changed file gets the whole body. */
  ifRange?: string | null;
}

export async function readPath(
  store: WorkspaceStore,
  path: string,
  options: ReadOptions = {},
): Promise<ReadResult> {
  const entry = await store.stat(path);
  if (!entry) throw notFound(path);
  if (entry.type === 'directory') {
    const entries = options.recursive ? await collect(store.walk(path)) : await store.list(path);
    return { kind: 'listing', entries: sortForListing(entries).map(toListed) };
  }
  if (noneMatchFails(options.ifNoneMatch, entry.etag)) return { kind: 'not-modified', entry };
  const ifRangeHolds = !options.ifRange || options.ifRange.trim() === entry.etag;
  const range = ifRangeHolds ? parseRange(options.range, entry.size) : undefined;
  if (range === 'unsatisfiable') {
    throw new AppError('RANGE_NOT_SATISFIABLE', `The range is outside the file's ${entry.size} bytes`, {
      resourceSize: entry.size,
    });
  }
  const body = await store.read(path, range);
  return { kind: 'file', entry, body, range };
}

export interface WriteRequest {
  /** Who writes: carried on the workspace event. */
  by?: ActorRef;
  /** Declared Content-Length, when the client sent one. */
  contentLength?: number;
  ifMatch?: EtagCondition;
  ifNoneMatch?: EtagCondition;
}

export async function writeFile(
  deps: FilesDeps,
  path: string,
  body: AsyncIterable<Uint8Array>,
  request: WriteRequest,
): Promise<{ entry: Entry; created: boolean }> {
  if (path === '') throw isDirectory(path);
  if (request.contentLength !== undefined && request.contentLength > MAX_FILE_BYTES) throw tooLarge();
  const result = await deps.locks.withLock(path, async (signal) => {
    // Checked under the lock, at the moment of the write: a connect that lands first wins.
    await assertWritable(deps.connections);
    const existing = await deps.store.stat(path);
    if (existing?.type === 'directory') throw isDirectory(path);
    checkWritePreconditions(path, existing, request);
    const createdDirectories = await makeParents(deps.store, parentOf(path));
    const limit = { exceeded: false };
    try {
      const entry = await deps.store.write(path, Readable.from(capped(body, MAX_FILE_BYTES, limit, signal)), {
        size: request.contentLength,
        executable: existing?.executable,
        signal,
      });
      return { entry, created: !existing };
    } catch (error) {
      if (!existing) await removeQuietly(deps.store, path, createdDirectories);
      if (signal.aborted) throw signal.reason;
      throw limit.exceeded ? tooLarge() : error;
    }
  });
  await deps.events.publish({ type: 'edited', path, action: 'write', by: request.by });
  return result;
}

export interface DeleteRequest {
  by?: ActorRef;
  ifMatch?: EtagCondition;
  recursive?: boolean;
}

export async function deletePath(deps: FilesDeps, path: string, request: DeleteRequest): Promise<void> {
  if (path === '') throw new AppError('ROOT_NOT_DELETABLE', 'The workspace root cannot be deleted');
  await deps.locks.withLock(path, async (signal) => {
    await assertWritable(deps.connections);
    const existing = await deps.store.stat(path);
    if (!existing) throw notFound(path);
    if (!ifMatchHolds(request.ifMatch, existing.etag)) throw preconditionFailed(path);
    if (existing.type === 'file') return deps.store.deleteFile(path);
    if (request.recursive) return deleteTree(deps.store, path, signal);
    try {
      await deps.store.deleteDirectory(path);
    } catch (error) {
      if (error instanceof StoreError && error.code === 'DIRECTORY_NOT_EMPTY') {
        throw new AppError('DIRECTORY_NOT_EMPTY', `${path} is not empty; add ?recursive=true to delete it`);
      }
      throw error;
    }
  });
  await deps.events.publish({ type: 'edited', path, action: 'delete', by: request.by });
}

/** 403 while a GitHub connection is enabled: the branch owns the workspace then. */
async function assertWritable(connections: FilesDeps['connections']): Promise<void> {
  const connection = await connections.get();
  if (!connection?.enabled) return;
  const repository = fullName(connection.repositoryUrl) ?? 'a GitHub repository';
  throw new AppError(
    'WORKSPACE_READ_ONLY',
    `The workspace follows ${repository} (branch ${connection.branch}) and is read-only; disconnect it to edit files`,
  );
}

function checkWritePreconditions(path: string, existing: Entry | undefined, request: WriteRequest): void {
  if (existing && request.ifNoneMatch !== undefined && noneMatchFails(request.ifNoneMatch, existing.etag)) {
    throw preconditionFailed(path);
  }
  if (!existing) {
    if (request.ifMatch !== undefined) throw preconditionFailed(path); // nothing there to match
    return;
  }
  // Only If-Match proves the client read what it replaces: If-None-Match naming some other ETag
  // (or a malformed one, parsed as none) guards nothing, so it still needs If-Match (DESIGN.md).
  if (request.ifMatch === undefined) {
    throw new AppError(
      'PRECONDITION_REQUIRED',
      `${path} exists; send If-Match with its ETag (or *) to replace it`,
    );
  }
  if (!ifMatchHolds(request.ifMatch, existing.etag)) throw preconditionFailed(path);
}

/** Creates the missing folders above a file; returns those it created, deepest first. */
async function makeParents(store: WorkspaceStore, parent: string): Promise<string[]> {
  const missing: string[] = [];
  for (let dir = parent; dir !== ''; dir = parentOf(dir)) {
    const entry = await store.stat(dir);
    if (entry?.type === 'directory') break;
    if (entry) throw new AppError('PARENT_NOT_A_DIRECTORY', `${dir} is a file, not a folder`);
    missing.push(dir);
  }
  await store.makeDirectories(parent);
  return missing;
}

/** After a failed write of a new file: leave no partial file and no folders made for it. */
async function removeQuietly(store: WorkspaceStore, path: string, directories: string[]): Promise<void> {
  await store.deleteFile(path).catch(() => undefined);
  for (const dir of directories) await store.deleteDirectory(dir).catch(() => undefined);
}

/** Files first (bounded parallel), then folders deepest first, then the folder itself. */
async function deleteTree(store: WorkspaceStore, path: string, signal: AbortSignal): Promise<void> {
  const entries = await collect(store.walk(path));
  const files = entries.filter((entry) => entry.type === 'file');
  // Returns only once every delete it started has settled, even when one fails.
  await forEachLimit(files, DELETE_CONCURRENCY, (file) => store.deleteFile(file.path), signal);
  const depth = (p: string) => p.split('/').length;
  const directories = entries.filter((entry) => entry.type === 'directory').map((entry) => entry.path);
  directories.sort((a, b) => depth(b) - depth(a));
  for (const dir of [...directories, path]) {
    signal.throwIfAborted();
    await store.deleteDirectory(dir);
  }
}

/**
 * The body, at most max bytes, ending at once when signal aborts: a client that stalls mid-body
 * must not keep a write going after its lock is lost (waiting for its next chunk would).
 */
async function* capped(
  source: AsyncIterable<Uint8Array>,
  max: number,
  limit: { exceeded: boolean },
  signal: AbortSignal,
): AsyncGenerator<Uint8Array> {
  const iterator = source[Symbol.asyncIterator]();
  let onAbort!: () => void;
  const aborted = new Promise<never>((_, reject) => {
    onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
  });
  aborted.catch(() => undefined);
  let total = 0;
  try {
    signal.throwIfAborted();
    for (;;) {
      const next = await Promise.race([iterator.next(), aborted]);
      if (next.done) return;
      total += next.value.byteLength;
      if (total > max) {
        limit.exceeded = true;
        throw tooLarge();
      }
      yield next.value;
    }
  } finally {
    signal.removeEventListener('abort', onAbort);
    void iterator.return?.()?.catch(() => undefined); // not awaited: a stalled source never answers
  }
}

/**
 * Listing order: folders before files, then by name, each folder's subtree right after it
 * (a recursive listing reads like a file tree).
 */
export function sortForListing(entries: Entry[]): Entry[] {
  const keys = new Map(entries.map((entry) => [entry, sortKey(entry)]));
  return entries.sort((a, b) => compareKeys(keys.get(a)!, keys.get(b)!));
}

function sortKey(entry: Entry): string[] {
  // Each segment is prefixed with 0 (folder) or 1 (file): every ancestor segment is a folder.
  const segments = entry.path.split('/');
  return segments.map(
    (segment, i) => (i < segments.length - 1 || entry.type === 'directory' ? '0' : '1') + segment,
  );
}

function compareKeys(a: string[], b: string[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1;
  }
  return a.length - b.length;
}

function toListed(entry: Entry): FileListingEntry {
  const { name, path, type, size, mtime, etag } = entry;
  return { name, path, type, size, mtime: mtime.toISOString(), etag };
}

async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const all: T[] = [];
  for await (const item of items) all.push(item);
  return all;
}

function notFound(path: string): AppError {
  return new AppError('NOT_FOUND', `${path || 'The workspace root'} does not exist`);
}

function isDirectory(path: string): AppError {
  return new AppError('IS_DIRECTORY', `${path || 'The workspace root'} is a folder, not a file`);
}

function preconditionFailed(path: string): AppError {
  return new AppError('PRECONDITION_FAILED', `${path} does not match the condition (it changed or exists)`);
}

function tooLarge(): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `Files are limited to ${MAX_FILE_BYTES} bytes (10 MiB)`);
}
