// The one storage abstraction every workspace feature uses: sync writes through it, the HTTP
// API and the ZIP read through it. Paths are workspace-relative, forward slashes, already
// validated by paths.ts; '' is the root.

import type { Readable } from 'node:stream';

export type EntryType = 'file' | 'directory';

export interface Entry {
  /** Last path segment ('' for the root). */
  name: string;
  /** Workspace-relative path, forward slashes, no leading slash. */
  path: string;
  type: EntryType;
  /** Bytes for files, 0 for directories. */
  size: number;
  mtime: Date;
  /** Opaque, quoted ETag as the store reports it; changes whenever content changes. */
  etag: string;
  /** Executable bit, where the store keeps one (local: mode bits; azure-files: metadata). */
  executable?: boolean;
}

export interface ByteRange {
  /** First byte, inclusive. */
  start: number;
  /** Last byte, inclusive; omitted = to the end. */
  end?: number;
}

export interface WriteOptions {
  /** Content length when known; required by stores that must size a file before writing. */
  size?: number;
  executable?: boolean;
  signal?: AbortSignal;
}

export type StoreErrorCode =
  | 'NOT_FOUND'
  | 'PARENT_NOT_FOUND'
  | 'ALREADY_EXISTS'
  | 'DIRECTORY_NOT_EMPTY'
  | 'IS_DIRECTORY'
  | 'NOT_A_DIRECTORY'
  | 'STORAGE_ERROR';

export class StoreError extends Error {
  constructor(
    readonly code: StoreErrorCode,
    readonly path: string,
    message: string,
    /** The backend's own error code (e.g. Azure's "ParentNotFound"), for job records and logs. */
    readonly storageCode?: string,
  ) {
    super(message);
    this.name = 'StoreError';
  }
}

export interface WorkspaceStore {
  /** The entry at path, or undefined when nothing is there. */
  stat(path: string): Promise<Entry | undefined>;
  /** Direct children of a directory (unordered). NOT_FOUND / NOT_A_DIRECTORY when it is not one. */
  list(path: string): Promise<Entry[]>;
  /** Every entry below path (files and directories, parents before children), paging as it goes. */
  walk(path: string): AsyncIterable<Entry>;
  /** File content as a stream, optionally one byte range. NOT_FOUND / IS_DIRECTORY. */
  read(path: string, range?: ByteRange, signal?: AbortSignal): Promise<Readable>;
  /** Create or replace a file; the parent directory must exist (PARENT_NOT_FOUND). Returns the new entry. */
  write(path: string, body: Readable | Buffer, options?: WriteOptions): Promise<Entry>;
  /** Create one directory, idempotent; the parent must exist. */
  makeDirectory(path: string): Promise<void>;
  /** Create a directory and any missing parents, idempotent. */
  makeDirectories(path: string): Promise<void>;
  /** Delete a file. NOT_FOUND when absent. */
  deleteFile(path: string): Promise<void>;
  /** Delete an empty directory. DIRECTORY_NOT_EMPTY / NOT_FOUND. */
  deleteDirectory(path: string): Promise<void>;
  /** Cheap reachability check for /health; the signal ends its request when /health gives up. */
  ping(signal?: AbortSignal): Promise<void>;
}
