// Maps REST requests (method + restype/comp + headers) to operations on the emulated account and
// their results to status codes and headers as the Azure Files REST reference describes them.

import type { IncomingHttpHeaders } from 'node:http';
import { ServiceError, type Account, type FileNode, type Node } from './state.js';
import { listXml } from './xml.js';

export interface Request {
  method: string;
  query: URLSearchParams;
  headers: IncomingHttpHeaders;
  share: string;
  /** Decoded path segments below the share. */
  segments: string[];
  body: Buffer;
  serviceEndpoint: string;
}

export interface Reply {
  status: number;
  headers?: Record<string, string | number>;
  body?: Buffer | string;
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
  'PUT - range': 'putRange',
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
  const { share, segments } = request;
  switch (operation) {
    case 'createShare':
      return created(account.createShare(share));
    case 'getShareProperties':
      return ok(account.share(share), { 'x-ms-share-quota': 5120 });
    case 'deleteShare':
      account.share(share);
      account.shares.delete(share);
      return { status: 202 };
    case 'createDirectory':
      return created(account.createDirectory(share, nonRoot(segments), metadataOf(request.headers)));
    case 'getDirectoryProperties':
      return ok(account.directory(share, segments));
    case 'deleteDirectory':
      account.delete(share, nonRoot(segments), 'directory');
      return { status: 202 };
    case 'list':
      return list(account, request);
    case 'createFile': {
      if (request.headers['x-ms-type']?.toString().toLowerCase() !== 'file') throw missingHeader('x-ms-type');
      const size = integerHeader(request.headers, 'x-ms-content-length');
      return created(account.createFile(share, nonRoot(segments), size, metadataOf(request.headers)));
    }
    case 'putRange': {
      const file = account.file(share, segments);
      const { start, end } = parseRange(request.headers);
      if (end === undefined)
        throw new ServiceError(400, 'InvalidHeaderValue', 'Put Range needs a closed range.');
      if (end - start + 1 > MAX_RANGE_BYTES) {
        throw new ServiceError(
          413,
          'RequestBodyTooLarge',
          'The request body is too large and exceeds the maximum permissible limit.',
        );
      }
      const write = request.headers['x-ms-write']?.toString().toLowerCase();
      if (write !== 'update' && write !== 'clear') throw missingHeader('x-ms-write');
      return created(account.putRange(file, start, end, write === 'update' ? request.body : undefined));
    }
    case 'setFileProperties': {
      const file = account.file(share, segments);
      const size = request.headers['x-ms-content-length'];
      return ok(
        size === undefined
          ? account.touch(file)
          : account.resize(file, integerHeader(request.headers, 'x-ms-content-length')),
      );
    }
    case 'setFileMetadata': {
      const file = account.file(share, segments);
      file.metadata = metadataOf(request.headers);
      return ok(account.touch(file));
    }
    case 'getFileProperties': {
      const file = account.file(share, segments);
      return ok(file, { 'Content-Length': file.content.length, 'x-ms-type': 'File' });
    }
    case 'getFile':
      return download(account.file(share, segments), request.headers);
    case 'deleteFile':
      account.delete(share, nonRoot(segments), 'file');
      return { status: 202 };
    case 'unsupported':
      throw new ServiceError(400, 'UnsupportedHttpVerb', 'The emulator does not implement this operation.');
  }
}

function list(account: Account, request: Request): Reply {
  const directory = account.directory(request.share, request.segments);
  const prefix = request.query.get('prefix') ?? '';
  const marker = request.query.get('marker') ?? '';
  const maxResults = Math.min(Number(request.query.get('maxresults') ?? MAX_RESULTS), MAX_RESULTS);
  if (!Number.isInteger(maxResults) || maxResults < 1) {
    throw new ServiceError(400, 'OutOfRangeQueryParameterValue', 'maxresults must be from 1 to 5000.');
  }
  const include = (request.query.get('include') ?? '').toLowerCase().split(',');
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
    include: { timestamps: include.includes('timestamps'), etag: include.includes('etag') },
  });
  return { status: 200, headers: { 'Content-Type': 'application/xml' }, body: xml };
}

function download(file: FileNode, headers: IncomingHttpHeaders): Reply {
  const size = file.content.length;
  const hasRange = headers['x-ms-range'] !== undefined || headers.range !== undefined;
  if (!hasRange) return { ...ok(file, { 'Content-Length': size, 'x-ms-type': 'File' }), body: file.content };
  const { start, end } = parseRange(headers);
  if (start >= size) {
    throw new ServiceError(
      416,
      'InvalidRange',
      'The range specified is invalid for the current size of the resource.',
    );
  }
  const last = Math.min(end ?? size - 1, size - 1);
  const body = file.content.subarray(start, last + 1);
  const reply = ok(file, {
    'Content-Length': body.length,
    'Content-Range': `bytes ${start}-${last}/${size}`,
  });
  return { ...reply, status: 206, body };
}

function ok(node: Node, extra: Record<string, string | number> = {}): Reply {
  const metadata = Object.fromEntries(
    Object.entries(node.metadata).map(([name, value]) => [`x-ms-meta-${name}`, value]),
  );
  return { status: 200, headers: { ...stampHeaders(node), ...metadata, 'Accept-Ranges': 'bytes', ...extra } };
}

const created = (node: Node): Reply => ({ status: 201, headers: stampHeaders(node) });

function stampHeaders(node: Node): Record<string, string> {
  return {
    ETag: node.etag,
    'Last-Modified': node.lastModified.toUTCString(),
    'x-ms-file-id': node.id,
    'x-ms-file-creation-time': node.created.toISOString(),
    'x-ms-file-last-write-time': node.lastModified.toISOString(),
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
