// The part of archiver 8 (ESM, no bundled types) this app uses: a ZIP archive fed entry by entry.
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

  export class ZipArchive extends Transform {
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
