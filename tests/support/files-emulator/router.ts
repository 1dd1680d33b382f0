// Maps REST requests (method + restype/comp + headers) to operations on the emulated account and
// their results to status codes and headers as the Azure Files REST reference describes them.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { DEV_ACCOUNT } from '../../../src/dev/azurite.js';
import { checkLease, leaseFile, leaseHeaders } from './leases.js';
import { allowsTrailingDot, normalisePath } from './names.js';
import { smbFromHeaders, smbHeaders } from './smb.js';
import { ServiceError, type Account, type FileNode, type Node } from './state.js';
import { listXml } from './xml.js';

export interface Request {
  method: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  share: string;
  /** Decoded path segments below the share, trailing dots trimmed unless allowed (names.ts). */
  segments: string[];
  body: Buffer;
  serviceEndpoint: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  /** A large download comes as pages (content.ts), never as one buffer. */
  body?: Buffer | string | Iterable<Buffer>;
}

const MAX_RANGE_BYTES = 4 * 1024 * 1024;
const MAX_RESULTS = 5000;

/** `method restype comp` → operation name, as counted and as fault rules name it. */
const OPERATIONS = {
  'PUT share -': 'createShare',
  'GET share -': 'getShareProperties',
  'HEAD share -': 'getShareProperties',
  'DELETE share -': 'deleteShare',
  'PUT directory -': 'createDirectory',
  'GET directory -': 'getDirectoryProperties',
  'HEAD directory -': 'getDirectoryProperties',
  'DELETE directory -': 'deleteDirectory',
  'GET directory list': 'list',
  'PUT directory rename': 'renameDirectory',
  'PUT - range': 'putRange',
  'PUT - lease': 'leaseFile',
  'PUT - rename': 'renameFile',
  'PUT - properties': 'setFileProperties',
  'PUT - metadata': 'setFileMetadata',
  'PUT - -': 'createFile',
  'GET - -': 'getFile',
  'HEAD - -': 'getFileProperties',
  'DELETE - -': 'deleteFile',
} as const;

export type Operation = (typeof OPERATIONS)[keyof typeof OPERATIONS] | 'unsupported';

export function operationOf(method: string, query: URLSearchParams): Operation {
  const key = `${method} ${query.get('restype') ?? '-'} ${query.get('comp') ?? '-'}`;
  return OPERATIONS[key as keyof typeof OPERATIONS] ?? 'unsupported';
}

export function route(account: Account, operation: Operation, request: Request): Reply {
  const { share, segments, headers } = request;
  switch (operation) {
    case 'createShare':
      return created(account.createShare(share, smbFromHeaders({}, 'directory')));
    case 'getShareProperties':
      return ok(account.share(share), { 'x-ms-share-quota': 5120 });
    case 'deleteShare':
      account.share(share);
      account.shares.delete(share);
      return { status: 202 };
    case 'createDirectory':
      return created(
        account.createDirectory(
          share,
          nonRoot(segments),
          metadataOf(headers),
          smbFromHeaders(headers, 'directory'),
        ),
      );
    case 'getDirectoryProperties':
      return ok(account.directory(share, segments));
    case 'deleteDirectory':
      account.delete(share, nonRoot(segments), 'directory');
      return { status: 202 };
    case 'list':
      return list(account, request);
    case 'createFile': {
      if (headers['x-ms-type']?.toString().toLowerCase() !== 'file') throw missingHeader('x-ms-type');
      const size = integerHeader(headers, 'x-ms-content-length');
      const existing = account.existing(share, nonRoot(segments));
      if (existing?.kind === 'file') checkLease(existing, headers, 'write');
      const content = createContent(request, size);
      const file = account.createFile(
        share,
        segments,
        size,
        metadataOf(headers),
        smbFromHeaders(headers, 'file'),
      );
      return content ? writeContent(account, file, content) : created(file);
    }
    case 'putRange':
      return putRange(account, request);
    case 'setFileProperties': {
      const file = writable(account, request);
      file.smb = smbFromHeaders(headers, 'file', file.smb);
      const size = headers['x-ms-content-length'];
      return ok(
        size === undefined
          ? account.touch(file)
          : account.resize(file, integerHeader(headers, 'x-ms-content-length')),
      );
    }
    case 'setFileMetadata': {
      const file = writable(account, request);
      file.metadata = metadataOf(headers);
      return ok(account.touch(file));
    }
    case 'getFileProperties': {
      const file = account.file(share, segments);
      checkLease(file, headers, 'read');
      return ok(file, fileHeaders(file, file.content.size));
    }
    case 'getFile':
      return download(account.file(share, segments), headers);
    case 'deleteFile':
      writable(account, request);
      account.delete(share, nonRoot(segments), 'file');
      return { status: 202 };
    case 'leaseFile': {
      // https://learn.microsoft.com/rest/api/storageservices/lease-file: a lease changes neither ETag nor Last-Modified.
      const file = account.file(share, segments);
      const result = leaseFile(file, headers);
      return {
        status: result.status,
        headers: { ETag: file.etag, 'Last-Modified': file.lastModified.toUTCString(), ...result.headers },
      };
    }
    case 'renameFile':
    case 'renameDirectory':
      return rename(account, request, operation === 'renameFile' ? 'file' : 'directory');
    case 'unsupported':
      throw new ServiceError(400, 'UnsupportedHttpVerb', 'The emulator does not implement this operation.');
  }
}

/** The file at the request's path, after checking that the request may write it (leases.ts). */
function writable(account: Account, request: Request): FileNode {
  const file = account.file(request.share, request.segments);
  checkLease(file, request.headers, 'write');
  return file;
}

/**
 * Put Range (https://learn.microsoft.com/rest/api/storageservices/put-range): ≤ 4 MiB, within the
 * file; the response carries the service-computed Content-MD5 of the body (recorded in
 * leaseclient/recording_uploadrange.json), and a Content-MD5 sent with the request must match it
 * (400 Md5Mismatch).
 */
/** First service version whose Create File takes up to 4 MiB of content ([create-file]). */
const CREATE_WITH_CONTENT_VERSION = '2026-02-06';

/**
 * Create File's body (https://learn.microsoft.com/rest/api/storageservices/create-file): before
 * version 2026-02-06 "Content-Length: optional, must be zero if present"; from it on, "you can also
 * create file with content up to 4MiB", written from offset 0. The reference names no error codes
 * for a body over 4 MiB or longer than x-ms-content-length: Put Range's 413 `RequestBodyTooLarge`
 * and 400 `InvalidHeaderValue` are used.
 */
function createContent(request: Request, size: number): Buffer | undefined {
  const { body, headers } = request;
  if (body.length === 0) return undefined;
  const version = headers['x-ms-version']?.toString() ?? '';
  if (version < CREATE_WITH_CONTENT_VERSION) {
    throw new ServiceError(400, 'InvalidHeaderValue', 'Content-Length must be zero for Create File.');
  }
  if (body.length > MAX_RANGE_BYTES) {
    throw new ServiceError(
      413,
      'RequestBodyTooLarge',
      'The request body is too large and exceeds the maximum permissible limit.',
    );
  }
  if (body.length > size)
    throw new ServiceError(400, 'InvalidHeaderValue', 'The body is longer than x-ms-content-length.');
  checkMd5(request);
  return body;
}

function writeContent(account: Account, file: FileNode, content: Buffer): Reply {
  const reply = created(account.putRange(file, 0, content.length - 1, content));
  return { ...reply, headers: { ...reply.headers, 'Content-MD5': md5Of(content) } };
}

const md5Of = (body: Buffer) => createHash('md5').update(body).digest('base64');

/** A request Content-MD5 that does not match the body → 400 `Md5Mismatch` ([put-range]). */
function checkMd5(request: Request): void {
  const sent = request.headers['content-md5']?.toString();
  if (sent !== undefined && sent !== md5Of(request.body)) {
    throw new ServiceError(
      400,
      'Md5Mismatch',
      'The MD5 value specified in the request did not match with the MD5 value calculated by the server.',
    );
  }
}

function putRange(account: Account, request: Request): Reply {
  const file = writable(account, request);
  const { start, end } = parseRange(request.headers);
  if (end === undefined) throw new ServiceError(400, 'InvalidHeaderValue', 'Put Range needs a closed range.');
  if (end - start + 1 > MAX_RANGE_BYTES) {
    throw new ServiceError(
      413,
      'RequestBodyTooLarge',
      'The request body is too large and exceeds the maximum permissible limit.',
    );
  }
  const write = request.headers['x-ms-write']?.toString().toLowerCase();
  if (write !== 'update' && write !== 'clear') throw missingHeader('x-ms-write');
  if (write === 'clear') return created(account.putRange(file, start, end, undefined));
  checkMd5(request);
  const reply = created(account.putRange(file, start, end, request.body));
  return { ...reply, headers: { ...reply.headers, 'Content-MD5': md5Of(request.body) } };
}

/**
 * Rename File / Rename Directory (https://learn.microsoft.com/rest/api/storageservices/rename-file,
 * .../rename-directory): PUT on the destination with comp=rename and x-ms-file-rename-source naming
 * the source by URL; x-ms-file-rename-replace-if-exists lets an existing file be replaced, unless it
 * is ReadOnly and x-ms-file-rename-ignore-readonly is not true; a leased source needs
 * x-ms-source-lease-id and a leased destination x-ms-destination-lease-id (412 LeaseIdMissing, as
 * in fileclient/recording_rename__source_leased__no_lease_access_condition.json).
 */
function rename(account: Account, request: Request, kind: Node['kind']): Reply {
  const { share, headers } = request;
  const target = nonRoot(request.segments);
  const from = renameSource(headers, share);
  const source = kind === 'file' ? account.file(share, from) : account.directory(share, from);
  if (source.kind === 'file') checkLease(source, headers, 'write', 'x-ms-source-lease-id');
  const replaceIfExists = headers['x-ms-file-rename-replace-if-exists']?.toString().toLowerCase() === 'true';
  const ignoreReadOnly = headers['x-ms-file-rename-ignore-readonly']?.toString().toLowerCase() === 'true';
  const renamed = account.rename(share, source, target, (existing) => {
    if (!replaceIfExists) {
      throw new ServiceError(409, 'ResourceAlreadyExists', 'The specified resource already exists.');
    }
    if (existing.kind === 'file') checkLease(existing, headers, 'write', 'x-ms-destination-lease-id');
    if (!ignoreReadOnly && /\bReadOnly\b/.test(existing.smb.attributes)) {
      throw new ServiceError(
        409,
        'ReadOnlyAttribute',
        'The specified resource is read-only and cannot be modified.',
      );
    }
  });
  if (Object.keys(metadataOf(headers)).length > 0) renamed.metadata = metadataOf(headers);
  return { ...ok(renamed), status: 200 };
}

/** The source path of a rename, from its URL (the SDK sends the source client's full URL). */
function renameSource(headers: IncomingHttpHeaders, share: string): string[] {
  const source = headers['x-ms-file-rename-source']?.toString();
  if (!source) throw missingHeader('x-ms-file-rename-source');
  const path = new URL(source, 'http://127.0.0.1').pathname.split('/').slice(1).map(decodeURIComponent);
  // Path-style (this emulator's URLs) names the account first; host-style starts at the share.
  const [sourceShare, ...rest] = path[0] === DEV_ACCOUNT ? path.slice(1) : path;
  if (sourceShare !== share) {
    throw new ServiceError(400, 'InvalidHeaderValue', 'The rename source must be in the same share.');
  }
  const segments = rest.filter((segment) => segment !== '');
  return nonRoot(normalisePath(segments, allowsTrailingDot(headers, 'x-ms-source-allow-trailing-dot')));
}

function list(account: Account, request: Request): Reply {
  const directory = account.directory(request.share, request.segments);
  const prefix = request.query.get('prefix') ?? '';
  const marker = request.query.get('marker') ?? '';
  const maxResults = Math.min(Number(request.query.get('maxresults') ?? MAX_RESULTS), MAX_RESULTS);
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new ServiceError(400, 'OutOfRangeQueryParameterValue', 'maxresults must be from 1 to 5000.');
  }
  const include = (request.query.get('include') ?? '').toLowerCase().split(',').filter(Boolean);
  const sorted = [...directory.children.entries()]
    .filter(([key]) => key.startsWith(prefix.toLowerCase()))
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  const from = marker ? sorted.findIndex(([key]) => key >= Buffer.from(marker, 'base64url').toString()) : 0;
  const page = from < 0 ? [] : sorted.slice(from, from + maxResults);
  const next = from < 0 ? undefined : sorted[from + maxResults];
  const xml = listXml({
    serviceEndpoint: request.serviceEndpoint,
    share: request.share,
    directoryPath: request.segments.join('/'),
    prefix: prefix || undefined,
    marker: marker || undefined,
    maxResults: request.query.has('maxresults') ? maxResults : undefined,
    entries: page.map(([, node]) => node),
    nextMarker: next && Buffer.from(next[0]).toString('base64url'),
    directoryId: directory.id,
    include: {
      timestamps: include.includes('timestamps'),
      etag: include.includes('etag'),
      attributes: include.includes('attributes'),
      permissionKey: include.includes('permissionkey'),
      // "x-ms-file-extended-info ... implicitly assumed to be true if include is not empty":
      // FileId per entry and the listed directory's DirectoryId.
      extendedInfo: include.length > 0 || request.headers['x-ms-file-extended-info']?.toString() === 'true',
    },
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: xml };
}

// Get File (https://learn.microsoft.com/rest/api/storageservices/get-file): whole or by
// x-ms-range/Range; a range starting at or past the end is 416 InvalidRange carrying
// `Content-Range: bytes */<size>`, as HTTP prescribes for an unsatisfiable range (RFC 9110 §15.5.17).
function download(file: FileNode, headers: IncomingHttpHeaders): Reply {
  checkLease(file, headers, 'read');
  const size = file.content.size;
  const hasRange = headers['x-ms-range'] !== undefined || headers.range !== undefined;
  if (!hasRange) {
    return { ...ok(file, fileHeaders(file, size)), body: file.content.read(0, size - 1) };
  }
  const { start, end } = parseRange(headers);
  if (start >= size) {
    const error = new ServiceError(
      416,
      'InvalidRange',
      'The range specified is invalid for the current size of the resource.',
    );
    error.headers = { 'Content-Range': `bytes */${size}` };
    throw error;
  }
  const last = Math.min(end ?? size - 1, size - 1);
  const reply = ok(file, {
    ...fileHeaders(file, last - start + 1),
    'Content-Range': `bytes ${start}-${last}/${size}`,
  });
  return { ...reply, status: 206, body: file.content.read(start, last) };
}

/** What Get File Properties and Get File say about a file besides its stamp (recorded HEAD responses). */
function fileHeaders(file: FileNode, contentLength: number): Record<string, string | number> {
  return {
    'Content-Length': contentLength,
    'Content-Type': 'application/octet-stream',
    'x-ms-type': 'File',
    'x-ms-server-encrypted': 'true',
    ...leaseHeaders(file),
  };
}

function ok(node: Node, extra: Record<string, string | number> = {}): Reply {
  const metadata = Object.fromEntries(
    Object.entries(node.metadata).map(([name, value]) => [`x-ms-meta-${name}`, value]),
  );
  return { status: 200, headers: { ...stampHeaders(node), ...metadata, 'Accept-Ranges': 'bytes', ...extra } };
}

const created = (node: Node): Reply => ({ status: 201, headers: stampHeaders(node) });

/** ETag, Last-Modified and the SMB headers (smb.ts) that Create and Get Properties return. */
function stampHeaders(node: Node): Record<string, string> {
  return {
    ETag: node.etag,
    'Last-Modified': node.lastModified.toUTCString(),
    ...smbHeaders(node.smb),
    'x-ms-file-id': node.id,
    'x-ms-file-parent-id': node.parent?.id ?? '0',
  };
}

function nonRoot(segments: string[]): string[] {
  if (segments.length === 0)
    throw new ServiceError(400, 'InvalidUri', 'The operation needs a path below the share.');
  return segments;
}

function metadataOf(headers: IncomingHttpHeaders): Record<string, string> {
  const entries = Object.entries(headers).filter(([name]) => name.startsWith('x-ms-meta-'));
  return Object.fromEntries(entries.map(([name, value]) => [name.slice('x-ms-meta-'.length), String(value)]));
}

const missingHeader = (name: string) =>
  new ServiceError(
    400,
    'MissingRequiredHeader',
    `An HTTP header that's mandatory for this request is not specified: ${name}.`,
  );

function integerHeader(headers: IncomingHttpHeaders, name: string): number {
  const value = headers[name];
  if (value === undefined) throw missingHeader(name);
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 0)
    throw new ServiceError(400, 'InvalidHeaderValue', `Invalid ${name}.`);
  return n;
}

/** `bytes=a-b` or `bytes=a-` from x-ms-range (preferred, as the service does) or Range. */
function parseRange(headers: IncomingHttpHeaders): { start: number; end?: number } {
  const raw = (headers['x-ms-range'] ?? headers.range)?.toString() ?? '';
  const match = /^bytes=(\d+)-(\d*)$/.exec(raw);
  if (!match) throw new ServiceError(400, 'InvalidRange', 'The range specified is invalid.');
  const start = Number(match[1]);
  const end = match[2] ? Number(match[2]) : undefined;
  if (end !== undefined && end < start)
    throw new ServiceError(416, 'InvalidRange', 'The range specified is invalid.');
  return { start, end };
}
