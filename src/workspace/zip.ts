// The workspace (or one folder of it) as a streamed ZIP, built with archiver's ZipArchive.
//
// Memory stays flat in workspace size: entries are read from the store a bounded window ahead of
// the archive (so a remote store's latency overlaps with compression), and the window only moves
// when the archive finishes an entry, which only happens while the consumer reads. Destroying the
// returned stream (a client that went away) or aborting `signal` stops every store read at once.
//
// The workspace may change while it is zipped (a sync, an API write). An entry holds the bytes of
// one whole read of its file, never a cut-off piece: see `readWhole` and `verifiedStream`. A file
// that cannot be had whole is left out and named in the archive comment, and the download goes on.
//
// Speed on many small files comes from the cost per entry, not per byte (issue 13 §5). Small
// files are deflated in one synchronous zlib call instead of a zlib stream each (a stream costs a
// native handle and thread-pool round trips per entry), and the archive's many small header writes
// are gathered into large chunks, so every stream and socket downstream sees few, large chunks.

import { once, setMaxListeners } from 'node:events';
import { Readable, Transform } from 'node:stream';
import { crc32, deflateRawSync } from 'node:zlib';
import { ZipArchive, type ZipEngine, type ZipEngineEntry } from 'archiver';
import { AppError } from '../errors.js';
import { nameOf } from './paths.js';
import { StoreError, type Entry, type WorkspaceStore } from './store.js';

export interface ZipOptions {
  /** Files read ahead of the archive (downloads in flight). */
  prefetch?: number;
  /** Deflate level 0-9. */
  level?: number;
  /** Files up to this size are read whole before they are appended (cheaper per entry). */
  bufferFilesUpTo?: number;
  /**
   * Unix permission bits for a file's entry (e.g. from the sync manifest's git mode), or
   * undefined for what the store reports (its executable bit, which azure-files listings lack).
   */
  modeOf?: (entry: Entry) => number | undefined;
  signal?: AbortSignal;
}

/**
 * Level 1 (zlib's best speed, also archiver's own default) deflates about 2x faster than 6 for
 * some 10-15% more bytes on source-like files: the download is bound by compression, not the network.
 */
export const ZIP_DEFAULTS = { prefetch: 16, level: 1, bufferFilesUpTo: 1024 * 1024 } as const;

/** Whole files up to this size are deflated in one call on the event loop (a few ms at most). */
const INLINE_DEFLATE_UP_TO = 256 * 1024;
/** Archive output is passed on in chunks of about this size. */
const OUTPUT_CHUNK = 64 * 1024;
/** Reads of a file that changes under them before it is left out. */
const READ_ATTEMPTS = 3;
/** The ZIP format's limit for the archive comment (a 16-bit length). */
const COMMENT_LIMIT = 0xffff;

/** Extensions whose content is already compressed: stored, not deflated again. */
const COMPRESSED =
  /\.(zip|gz|tgz|bz2|xz|zst|7z|rar|jar|whl|png|jpe?g|gif|webp|avif|mp[34]|mov|webm|woff2?|pdf)$/i;

type Skip = { skipped: string };
type Prepared = { entry: Entry; name: string; source: Buffer | Readable; intact?: () => boolean } | Skip;

const DELETED = 'deleted during download';
const CHANGED = 'changed during download';
const isNotFound = (error: unknown) => error instanceof StoreError && error.code === 'NOT_FOUND';

/** A ZIP of the folder at path ('' = the whole workspace); 404 / 400 before any byte is sent. */
export async function zipWorkspace(
  store: WorkspaceStore,
  path: string,
  options: ZipOptions = {},
): Promise<Readable> {
  const entry = await store.stat(path);
  if (!entry) throw new AppError('NOT_FOUND', `${path} does not exist`);
  if (entry.type !== 'directory')
    throw new AppError('NOT_A_DIRECTORY', `${path} is a file; ?path= takes a folder`);
  return zipFolder(store, path, options);
}

export function zipFolder(store: WorkspaceStore, root: string, options: ZipOptions = {}): Readable {
  const { prefetch, level, bufferFilesUpTo } = { ...ZIP_DEFAULTS, ...options };
  const archive = new ZipArchive({ zlib: { level } });
  const engine = tuneEngine(archive, level);
  const stop = new AbortController();
  const { signal } = stop;
  setMaxListeners(0, signal); // one listener per read in flight
  const abort = (reason?: unknown) => stop.abort(reason);
  options.signal?.addEventListener('abort', () => abort(options.signal?.reason), { once: true, signal });
  // However the archive ends (finished, failed, destroyed by the consumer), nothing may keep reading.
  archive.once('close', () => abort());
  signal.addEventListener('abort', () => {
    if (archive.destroyed) return;
    archive.abort();
    archive.destroy(signal.reason instanceof Error ? signal.reason : undefined);
  });

  // Entries finish in the order they were appended; each may have a check to run when it does.
  const afterEntry: (() => void)[] = [];
  let processed = 0;
  archive.on('entry', () => {
    processed++;
    afterEntry.shift()?.();
  });
  archive.on('warning', (error) => abort(error));
  archive.on('error', (error) => abort(error));

  const skipped: Promise<string>[] = [];
  const relative = (path: string) => (root === '' ? path : path.slice(root.length + 1));
  const skip = (path: string, reason: string | Promise<string>) =>
    skipped.push(Promise.resolve(reason).then((why) => `skipped: ${relative(path)} (${why})`));

  /** Whether the file at path is still `version` (same ETag, so no write since it was listed). */
  const stillIs = async (version: Entry) => (await store.stat(version.path))?.etag === version.etag;

  /**
   * The file read whole. A read of the listed size is taken as it is: both stores serve one
   * version per read (local: an open descriptor keeps the inode that `write` renames away; azure:
   * one Get File response, and the SDK fails a resumed one whose ETag moved). Another size means
   * the file changed since the listing: the bytes are kept if they are its size now (a whole read
   * of the newer version), read again if not, and left out after READ_ATTEMPTS. No stat per
   * file: on 10,000 small files that costs about as much as deflating them (docs/bench-zip.md).
   */
  const readWhole = async (listed: Entry): Promise<{ entry: Entry; bytes: Buffer } | Skip> => {
    let version = listed;
    for (let attempt = 1; attempt <= READ_ATTEMPTS; attempt++) {
      let bytes: Buffer | undefined;
      try {
        bytes = await wholeOf(await store.read(listed.path, undefined, signal));
      } catch (error) {
        // A read cut off part-way (a write or delete on azure-files meanwhile) is tried again.
        if (isNotFound(error)) return { skipped: DELETED };
        if (signal.aborted || attempt === READ_ATTEMPTS) throw error;
      }
      if (bytes?.length === version.size) return { entry: version, bytes };
      const now = await store.stat(listed.path);
      if (!now) return { skipped: DELETED };
      if (now.type !== 'file') return { skipped: CHANGED };
      if (bytes?.length === now.size) return { entry: now, bytes };
      version = now;
    }
    return { skipped: CHANGED };
  };

  const prepare = async (entry: Entry): Promise<Prepared> => {
    const name = entry.type === 'directory' ? `${relative(entry.path)}/` : relative(entry.path);
    if (entry.type === 'directory') return { entry, name, source: Buffer.alloc(0) };
    if (entry.size <= bufferFilesUpTo) {
      const read = await readWhole(entry);
      return 'skipped' in read ? read : { entry: read.entry, name, source: read.bytes };
    }
    try {
      const source = await store.read(entry.path, undefined, signal);
      const { stream, intact } = verifiedStream(source, entry.size, () => stillIs(entry));
      return { entry, name, source: stream, intact };
    } catch (error) {
      if (isNotFound(error)) return { skipped: DELETED };
      throw error;
    }
  };

  const modeOf = (entry: Entry) =>
    entry.type === 'directory'
      ? 0o755
      : (options.modeOf?.(entry) ?? (entry.executable ? 0o755 : 0o644)) & 0o777;

  const append = (prepared: Prepared) => {
    if ('skipped' in prepared) return;
    const { entry, name, source, intact } = prepared;
    archive.append(source, {
      name,
      date: entry.mtime,
      mode: modeOf(entry),
      store: entry.type === 'file' && (entry.size === 0 || COMPRESSED.test(nameOf(entry.path))),
    });
    afterEntry.push(() => {
      if (!intact || intact()) return;
      // Its bytes are already out: leave them as unreferenced space and out of the central
      // directory, which is what ZIP readers list and extract from.
      dropLastEntry(engine, name);
      skip(
        entry.path,
        store.stat(entry.path).then(
          (now) => (now ? CHANGED : DELETED),
          () => CHANGED,
        ),
      );
    });
  };

  const produce = async () => {
    const window: { path: string; prepared: Promise<Prepared> }[] = [];
    let appended = 0;
    const appendOldest = async () => {
      const { path, prepared } = window.shift()!;
      const next = await prepared;
      if ('skipped' in next) return skip(path, next.skipped);
      append(next);
      appended++;
      // The archive works one entry at a time; keep at most `prefetch` queued inside it too.
      while (appended - processed >= prefetch && !signal.aborted) await once(archive, 'entry', { signal });
    };
    for await (const entry of store.walk(root)) {
      signal.throwIfAborted();
      const prepared = prepare(entry);
      prepared.catch(() => undefined); // awaited in order below; an early failure must not go unhandled
      window.push({ path: entry.path, prepared });
      if (window.length >= prefetch) await appendOldest();
    }
    while (window.length > 0) await appendOldest();
    while (appended > processed && !signal.aborted) await once(archive, 'entry', { signal });
    engine.setComment(commentFor(await Promise.all(skipped)));
    await archive.finalize();
  };

  produce().catch((error) => abort(signal.aborted ? signal.reason : error));
  return archive;
}

/**
 * The store's stream as an entry source that never fails the archive: it ends early instead.
 * Before it ends, `intact()` is settled: the bytes were the listed file whole (its size, no read
 * error, and `unchanged()` after the last byte), or they were not and the entry must go.
 */
function verifiedStream(
  source: Readable,
  expected: number,
  unchanged: () => Promise<boolean>,
): { stream: Readable; intact: () => boolean } {
  let bytes = 0;
  let failed = false;
  let intact = false;
  const stream = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      bytes += chunk.length;
      done(null, chunk);
    },
    flush(done) {
      if (failed || bytes !== expected) return done();
      unchanged().then(
        (same) => ((intact = same), done()),
        () => done(),
      );
    },
  });
  source.once('error', () => {
    failed = true;
    source.unpipe(stream);
    stream.end();
  });
  source.pipe(stream);
  return { stream, intact: () => intact };
}

/** The stream's bytes in one Buffer (stream/consumers' buffer() goes through a Blob, several times slower). */
async function wholeOf(stream: Readable): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return chunks.length === 1 ? chunks[0]! : Buffer.concat(chunks);
}

/** "skipped: a/b.txt (deleted during download)", one a line, cut to the format's limit. */
function commentFor(lines: string[]): string {
  let comment = '';
  for (const [i, line] of lines.entries()) {
    const more = `\n… and ${lines.length - i} more`;
    const next = comment ? `${comment}\n${line}` : line;
    if (Buffer.byteLength(next) + Buffer.byteLength(more) > COMMENT_LIMIT) return comment + more;
    comment = next;
  }
  return comment;
}

/**
 * The ZIP engine under archiver (zip-stream on compress-commons, pinned with archiver 8.0.0),
 * changed in two places where its cost per entry lies:
 * - a whole file up to INLINE_DEFLATE_UP_TO is deflated in one synchronous call and written with
 *   its CRC and sizes in the local header, as the engine itself does for stored entries;
 * - writes are gathered into OUTPUT_CHUNK pieces (about 30 writes per entry otherwise, each
 *   becoming a chunk in every stream and socket write downstream).
 */
function tuneEngine(archive: ZipArchive, level: number): ZipEngine {
  const engine = archive._module.engine;
  const appendBuffer = engine._appendBuffer.bind(engine);
  engine._appendBuffer = (entry: ZipEngineEntry, source: Buffer, callback) => {
    if (entry.getMethod() !== DEFLATED || source.length === 0 || source.length > INLINE_DEFLATE_UP_TO) {
      return appendBuffer(entry, source, callback);
    }
    const deflated = deflateRawSync(source, { level });
    entry.getGeneralPurposeBit().useDataDescriptor(false);
    entry.setCrc(crc32(source));
    entry.setSize(source.length);
    entry.setCompressedSize(deflated.length);
    engine._writeLocalFileHeader(entry);
    engine.write(deflated);
    engine._afterAppend(entry);
    callback(null, entry);
  };

  // The engine counts `offset` (where each header starts) in its own write(); it must count every
  // byte when it is written, so gathered bytes are subtracted again before they are passed on.
  const write = engine.write.bind(engine);
  const end = engine.end.bind(engine);
  let pending: Buffer[] = [];
  let pendingBytes = 0;
  const flush = () => {
    const data = pending.length === 1 ? pending[0]! : Buffer.concat(pending, pendingBytes);
    pending = [];
    pendingBytes = 0;
    engine.offset -= data.length;
    return write(data);
  };
  engine.write = (chunk: Buffer | string, callback?: (error?: Error | null) => void) => {
    const bytes = typeof chunk === 'string' ? Buffer.from(chunk) : chunk;
    pending.push(bytes);
    pendingBytes += bytes.length;
    engine.offset += bytes.length;
    const ready = pendingBytes < OUTPUT_CHUNK || flush();
    callback?.();
    return ready;
  };
  engine.end = (...args: unknown[]) => {
    if (pendingBytes > 0) flush();
    return end(...args);
  };
  return engine;
}

const DEFLATED = 8;

/** Takes the entry just finished out of the central directory the engine will write. */
function dropLastEntry(engine: ZipEngine, name: string): void {
  const last = engine._entries.at(-1);
  if (last?.getName() !== name) throw new Error(`ZIP entry ${name} is not the last one written`);
  engine._entries.pop();
}

/** `workspace-YYYYMMDD-HHMMSS.zip` in UTC. */
export function zipFileName(now = new Date()): string {
  const stamp = now.toISOString().replace(/[-:]/g, '').replace('T', '-').slice(0, 15);
  return `workspace-${stamp}.zip`;
}
