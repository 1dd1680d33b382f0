// What the last sync wrote: per path the git blob SHA, mode and size, and the store's ETag
// right after the write. Comparing it with the store listing tells unchanged files from drift
// without downloading anything. It lives in the state container as one JSON blob — the same
// blob the workspace lease is taken on, so only the lease holder can replace it.
//
// Format 2 is one JSON document laid out one file per line, as compact arrays:
//   {"version":2,"repositoryUrl":…,"branch":…,"commit":…,"fullListingAt":…,"files":[
//   ["path","sha","mode",size,"etag"],
//   …
//   ]}
// so it is written and read as a stream: a 100,000-file manifest (~15 MB) never exists as one
// string or buffer, and no per-file object carries its keys. Format 1 (`files` as an object keyed
// by path) and a format 2 document re-serialised on one line are still read, whole.

import { createInterface } from 'node:readline';
import { Readable } from 'node:stream';
import type { BlockBlobClient } from '@azure/storage-blob';
import { SyncError } from './errors.js';
import { httpStatusOf } from '../azureStorage.js';

export interface ManifestEntry {
  sha: string;
  mode: string;
  size: number;
  etag: string;
}

/** Path → entry; made with emptyFiles(), so a path such as `__proto__` is an ordinary key. */
export type ManifestFiles = Record<string, ManifestEntry>;

export interface Manifest {
  version: 1 | 2;
  repositoryUrl: string;
  branch: string;
  commit: string;
  /** When a sync last listed the whole store (drift anywhere repaired); absent = never. */
  fullListingAt?: string;
  files: ManifestFiles;
}

type Row = [path: string, sha: string, mode: string, size: number, etag: string];
type Header = Omit<Manifest, 'files'>;

const FILES_OPEN = '"files":[';
const CLOSE = ']}';
/** Bytes gathered before a piece of the upload body is handed on. */
const PIECE_BYTES = 64 * 1024;

export function emptyFiles(): ManifestFiles {
  return Object.create(null) as ManifestFiles;
}

/** Each row's mode as one shared string, not a copy per file. */
const MODES = new Map(['100644', '100755'].map((mode) => [mode, mode]));

function addRow(files: ManifestFiles, [path, sha, mode, size, etag]: Row): void {
  files[path] = { sha, mode: MODES.get(mode) ?? mode, size, etag };
}

/** A whole document: format 1, or format 2 not laid out by line. */
function parseWhole(text: string): Manifest | undefined {
  const parsed = JSON.parse(text) as Omit<Manifest, 'files'> & { files: ManifestFiles | Row[] };
  if (parsed.version !== 1 && parsed.version !== 2) return undefined;
  const files = emptyFiles();
  if (Array.isArray(parsed.files)) parsed.files.forEach((row) => addRow(files, row));
  else Object.assign(files, parsed.files);
  return { ...parsed, files };
}

async function parseLines(lines: AsyncIterable<string>): Promise<Manifest | undefined> {
  const iterator = lines[Symbol.asyncIterator]();
  const first = await iterator.next();
  if (first.done || first.value.trim() === '') return undefined;
  if (!first.value.endsWith(FILES_OPEN)) {
    let text = first.value;
    for (let line = await iterator.next(); !line.done; line = await iterator.next())
      text += `\n${line.value}`;
    return parseWhole(text);
  }
  const header = JSON.parse(`${first.value}${CLOSE}`) as Header;
  if (header.version !== 2) return undefined;
  const files = emptyFiles();
  for (let line = await iterator.next(); !line.done && line.value !== CLOSE; line = await iterator.next()) {
    addRow(files, JSON.parse(line.value.endsWith(',') ? line.value.slice(0, -1) : line.value) as Row);
  }
  return { ...header, version: 2, files };
}

/** The stored manifest, or undefined before the first sync (the blob may exist empty for its lease). */
export async function readManifest(blob: BlockBlobClient): Promise<Manifest | undefined> {
  let body: NodeJS.ReadableStream;
  try {
    body = (await blob.download()).readableStreamBody!;
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
  return parseManifest(body as Readable);
}

/** A stored manifest's bytes, read line by line; undefined when empty or of an unknown version. */
export async function parseManifest(body: Readable): Promise<Manifest | undefined> {
  const lines = createInterface({ input: body, crlfDelay: Infinity });
  try {
    return await parseLines(lines);
  } finally {
    lines.close();
    body.destroy();
  }
}

/** The document's lines, each with its newline. */
function* manifestLines(manifest: Manifest): Generator<string> {
  const { files, ...rest } = manifest;
  const header = JSON.stringify({ ...rest, version: 2 });
  yield `${header.slice(0, -1)},${FILES_OPEN}\n`;
  let separator = '';
  for (const path in files) {
    const { sha, mode, size, etag } = files[path]!;
    yield `${separator}${JSON.stringify([path, sha, mode, size, etag] satisfies Row)}`;
    separator = ',\n';
  }
  yield `\n${CLOSE}\n`;
}

/** The document (format 2) as buffers of about PIECE_BYTES, made as they are read. */
export function* manifestPieces(manifest: Manifest): Generator<Buffer> {
  let piece = '';
  for (const line of manifestLines(manifest)) {
    piece += line;
    if (piece.length >= PIECE_BYTES) {
      yield Buffer.from(piece);
      piece = '';
    }
  }
  if (piece) yield Buffer.from(piece);
}

function byteLength(manifest: Manifest): number {
  let bytes = 0;
  for (const line of manifestLines(manifest)) bytes += Buffer.byteLength(line);
  return bytes;
}

/** Replaces the manifest; leaseId proves this worker still holds the workspace. */
export async function writeManifest(
  blob: BlockBlobClient,
  manifest: Manifest,
  leaseId: string,
): Promise<void> {
  try {
    // A body factory, not a buffer: each attempt (retries included) streams the document afresh.
    await blob.upload(() => Readable.from(manifestPieces(manifest)), byteLength(manifest), {
      conditions: { leaseId },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 409 || status === 412) {
      // Someone else holds the workspace now; their sync decides what the manifest says.
      throw new SyncError('LEASE_LOST', 'The workspace lease was lost before the manifest was written');
    }
    throw error;
  }
}
