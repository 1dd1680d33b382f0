// GET / PUT / DELETE /api/workspace/files/{*path}: one workspace file or folder.
// Behaviour lives in src/workspace/files.ts; this file maps HTTP in and out.

import { Readable } from 'node:stream';
import type { ReadableStream as WebReadableStream } from 'node:stream/web';
import { app, type HttpRequest, type HttpResponseInit, type InvocationContext } from '@azure/functions';
import { AppError } from '../errors.js';
import { getConfig } from '../config.js';
import type { ActorRef } from '../jobs/types.js';
import { getServices, type Services } from './services.js';
import { parseEtagCondition } from '../workspace/conditional.js';
import { contentTypeFor } from '../workspace/contentType.js';
import { BlobEditLocks } from '../workspace/editLock.js';
import { deletePath, readPath, writeFile, type FilesDeps } from '../workspace/files.js';
import { encodePath, parseWorkspacePath } from '../workspace/paths.js';
import type { Entry } from '../workspace/store.js';
import { audited } from './audited.js';
import { authLevelFor, authorized } from './authorize.js';
import { json, toErrorResponse } from './http.js';

async function filesDeps(): Promise<FilesDeps & Pick<Services, 'audit'>> {
  const services = await getServices();
  return { ...services, locks: new BlobEditLocks(services.state) };
}

const read = authorized('Workspace.Reader', async (request, context) => {
  try {
    return await get(await filesDeps(), parseWorkspacePath(request.params.path), request);
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

const change = authorized('Workspace.Editor', async (request, context, actor) => {
  try {
    const deps = await filesDeps();
    const by = { id: actor.id, name: actor.name };
    // The path is checked inside audited(): a refused path is a failed change on record too.
    const target = (request.params.path ?? '').slice(0, 2048);
    if (request.method === 'PUT') {
      return await audited(deps.audit, context, { actor, action: 'file.write', target }, () =>
        put(deps, parseWorkspacePath(request.params.path), request, by),
      );
    }
    return await audited(deps.audit, context, { actor, action: 'file.delete', target }, async () => {
      await deletePath(deps, parseWorkspacePath(request.params.path), {
        ifMatch: parseEtagCondition(request.headers.get('if-match')),
        recursive: isTrue(request.query.get('recursive')),
        by,
      });
      return { status: 204 };
    });
  } catch (error) {
    return toErrorResponse(error, context);
  }
});

export function workspaceFiles(request: HttpRequest, context: InvocationContext): Promise<HttpResponseInit> {
  return (request.method === 'GET' ? read : change)(request, context) as Promise<HttpResponseInit>;
}

app.http('workspaceFiles', {
  route: 'workspace/files/{*path}',
  methods: ['GET', 'PUT', 'DELETE'],
  authLevel: authLevelFor(getConfig().auth.mode),
  handler: workspaceFiles,
});

async function get(deps: FilesDeps, path: string, request: HttpRequest): Promise<HttpResponseInit> {
  const result = await readPath(deps.store, path, {
    recursive: isTrue(request.query.get('recursive')),
    ifNoneMatch: parseEtagCondition(request.headers.get('if-none-match')),
    range: request.headers.get('range'),
    ifRange: request.headers.get('if-range'),
  });
  if (result.kind === 'listing') return json(200, result.entries);
  if (result.kind === 'not-modified') return { status: 304, headers: validators(result.entry) };
  const { entry, body, range } = result;
  const headers: Record<string, string> = {
    ...validators(entry),
    'Content-Type': contentTypeFor(path),
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'no-cache',
  };
  if (!range) return { status: 200, body, headers: { ...headers, 'Content-Length': String(entry.size) } };
  return {
    status: 206,
    body,
    headers: {
      ...headers,
      'Content-Length': String(range.end - range.start + 1),
      'Content-Range': `bytes ${range.start}-${range.end}/${entry.size}`,
    },
  };
}

async function put(
  deps: FilesDeps,
  path: string,
  request: HttpRequest,
  by: ActorRef,
): Promise<HttpResponseInit> {
  const { entry, created } = await writeFile(deps, path, requestBody(request), {
    by,
    contentLength: contentLength(request),
    ifMatch: parseEtagCondition(request.headers.get('if-match')),
    ifNoneMatch: parseEtagCondition(request.headers.get('if-none-match')),
  });
  if (!created) return { status: 204, headers: validators(entry) };
  return {
    status: 201,
    headers: {
      ...validators(entry),
      Location: `/api/workspace/files/${encodePath(path)}`,
    },
  };
}

function requestBody(request: HttpRequest): AsyncIterable<Uint8Array> {
  const body = request.body as WebReadableStream<Uint8Array> | null;
  return body ? Readable.fromWeb(body) : Readable.from([]);
}

function contentLength(request: HttpRequest): number | undefined {
  const header = request.headers.get('content-length');
  if (header === null) return undefined;
  if (!/^\d+$/.test(header.trim()))
    throw new AppError('INVALID_CONTENT_LENGTH', 'Content-Length is not a number');
  return Number(header);
}

function validators(entry: Entry): Record<string, string> {
  return { ETag: entry.etag, 'Last-Modified': entry.mtime.toUTCString() };
}

function isTrue(value: string | null): boolean {
  return value === 'true' || value === '1';
}
