// The part of archiver 8 (ESM, no bundled types) this app uses: a ZIP archive fed entry by entry,
// and the few internals of its ZIP engine (zip-stream 7 on compress-commons 7) that
// src/workspace/zip.ts tunes for many small entries.
declare module 'archiver' {
  import { Transform, type Readable } from 'node:stream';

  export interface ZipArchiveOptions {
    /** zlib options for deflated entries; level 0-9. */
    zlib?: { level?: number };
    /** Store every entry uncompressed. */
    store?: boolean;
    forceZip64?: boolean;
    highWaterMark?: number;
  }

  export interface EntryData {
    /** Entry name inside the archive; a trailing '/' makes a directory entry. */
    name: string;
    type?: 'file' | 'directory';
    date?: Date;
    /** Unix permission bits (e.g. 0o755). */
    mode?: number;
    /** Store this entry uncompressed. */
    store?: boolean;
  }

  /** compress-commons' ZipArchiveEntry, as far as the engine's own append path uses it. */
  export interface ZipEngineEntry {
    getName(): string;
    /** 0 stored, 8 deflated. */
    getMethod(): number;
    getGeneralPurposeBit(): { useDataDescriptor(use: boolean): void };
    setCrc(crc: number): void;
    setSize(size: number): void;
    setCompressedSize(size: number): void;
  }

  /** zip-stream's ZipStream (a compress-commons ZipArchiveOutputStream). */
  export interface ZipEngine {
    /** Bytes written so far; local header offsets are taken from it. */
    offset: number;
    /** Entries the central directory will list, in order. */
    _entries: ZipEngineEntry[];
    _appendBuffer(
      entry: ZipEngineEntry,
      source: Buffer,
      callback: (error: Error | null, entry?: ZipEngineEntry) => void,
    ): void;
    _writeLocalFileHeader(entry: ZipEngineEntry): void;
    /** Records the entry for the central directory (and writes its data descriptor if it uses one). */
    _afterAppend(entry: ZipEngineEntry): void;
    setComment(comment: string): void;
    write(chunk: Buffer | string, callback?: (error?: Error | null) => void): boolean;
    end(...args: unknown[]): unknown;
  }

  export class ZipArchive extends Transform {
    /** archiver's ZIP plugin, which holds the engine. */
    _module: { engine: ZipEngine };
    constructor(options?: ZipArchiveOptions);
    append(source: Readable | Buffer | string | null, data: EntryData): this;
    finalize(): Promise<void>;
    abort(): this;
    pointer(): number;
    on(event: 'entry', listener: (data: EntryData) => void): this;
    on(event: 'warning' | 'error', listener: (error: Error) => void): this;
    on(event: string | symbol, listener: (...args: unknown[]) => void): this;
  }
}
