// A real git smart-HTTP server for tests: node:http on 127.0.0.1 running git's own
// `git-http-backend` as CGI over a folder of bare repositories, behind token auth the way
// GitHub does it (HTTP Basic, the token as the password, any user name).

import { spawn } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const HTTP_BACKEND = '/usr/lib/git-core/git-http-backend';

export interface GitHttpServerOptions {
  /** Folder holding bare repositories (`<owner>/<name>.git`); a new temp folder when omitted. */
  root?: string;
  /** Token every request must carry as the Basic password; no auth at all when omitted. */
  token?: string;
}

export interface GitRequestRecord {
  method: string;
  /** Path and query, e.g. `/acme/site.git/info/refs?service=git-upload-pack`. */
  url: string;
  status: number;
  authorized: boolean;
  /** The raw Authorization header, so tests can assert how the token travelled. */
  authorization?: string;
}

export interface GitHttpServer {
  /** `http://127.0.0.1:<port>` */
  url: string;
  /** Folder of bare repositories the server exports. */
  root: string;
  /** Clone URL of `<root>/<name>.git`; name is `owner/repo` so the URL has a full name. */
  repoUrl(name: string): string;
  /** Every request served, in order. */
  requests: GitRequestRecord[];
  stop(): Promise<void>;
}

function tokenOf(authorization: string | undefined): string | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(authorization ?? '');
  if (!match) return undefined;
  const decoded = Buffer.from(match[1]!, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  return colon < 0 ? undefined : decoded.slice(colon + 1);
}

/** Splits CGI output into its header block and body, once the blank line has arrived. */
function splitCgiHeaders(buffer: Buffer): { headers: [string, string][]; body: Buffer } | undefined {
  let end = buffer.indexOf('\r\n\r\n');
  let gap = 4;
  if (end < 0) {
    end = buffer.indexOf('\n\n');
    gap = 2;
  }
  if (end < 0) return undefined;
  const headers = buffer
    .subarray(0, end)
    .toString('latin1')
    .split(/\r?\n/)
    .filter(Boolean)
    .map((line): [string, string] => {
      const colon = line.indexOf(':');
      return [line.slice(0, colon).trim(), line.slice(colon + 1).trim()];
    });
  return { headers, body: buffer.subarray(end + gap) };
}

function runBackend(
  root: string,
  request: IncomingMessage,
  response: ServerResponse,
  record: GitRequestRecord,
) {
  const url = new URL(request.url ?? '/', 'http://127.0.0.1');
  const header = (name: string) => {
    const value = request.headers[name];
    return Array.isArray(value) ? value.join(', ') : value;
  };
  const env: NodeJS.ProcessEnv = {
    PATH: process.env.PATH,
    GIT_PROJECT_ROOT: root,
    GIT_HTTP_EXPORT_ALL: '1',
    GIT_CONFIG_NOSYSTEM: '1',
    GIT_CONFIG_GLOBAL: '/dev/null',
    // A set REMOTE_USER is what lets git-http-backend accept pushes (receive-pack).
    REMOTE_USER: 'test',
    REMOTE_ADDR: request.socket.remoteAddress ?? '127.0.0.1',
    REQUEST_METHOD: request.method ?? 'GET',
    PATH_INFO: decodeURIComponent(url.pathname),
    QUERY_STRING: url.search.replace(/^\?/, ''),
    CONTENT_TYPE: header('content-type') ?? '',
    HTTP_CONTENT_ENCODING: header('content-encoding') ?? '',
    GIT_PROTOCOL: header('git-protocol') ?? '',
  };
  const child = spawn(HTTP_BACKEND, [], { env, stdio: ['pipe', 'pipe', 'pipe'] });
  request.pipe(child.stdin);
  child.stdin.on('error', () => undefined);
  let pending: Buffer | undefined = Buffer.alloc(0);
  child.stdout.on('data', (chunk: Buffer) => {
    if (pending === undefined) {
      response.write(chunk);
      return;
    }
    pending = Buffer.concat([pending, chunk]);
    const parsed = splitCgiHeaders(pending);
    if (!parsed) return;
    pending = undefined;
    let status = 200;
    for (const [name, value] of parsed.headers) {
      if (name.toLowerCase() === 'status') status = Number.parseInt(value, 10);
      else response.setHeader(name, value);
    }
    record.status = status;
    response.writeHead(status);
    response.write(parsed.body);
  });
  let stderr = '';
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  child.on('close', (code) => {
    if (pending !== undefined && !response.headersSent) {
      record.status = 500;
      response.writeHead(500, { 'Content-Type': 'text/plain' });
      response.end(`git-http-backend exited ${code}: ${stderr}`);
      return;
    }
    response.end();
  });
}

export async function startGitHttpServer(options: GitHttpServerOptions = {}): Promise<GitHttpServer> {
  const ownsRoot = options.root === undefined;
  const root = options.root ?? (await mkdtemp(join(tmpdir(), 'git-http-')));
  const requests: GitRequestRecord[] = [];

  const server = createServer((request, response) => {
    const authorization = request.headers.authorization;
    const authorized = options.token === undefined || tokenOf(authorization) === options.token;
    const record: GitRequestRecord = {
      method: request.method ?? 'GET',
      url: request.url ?? '/',
      status: 0,
      authorized,
      authorization,
    };
    requests.push(record);
    if (!authorized) {
      record.status = 401;
      response.writeHead(401, { 'WWW-Authenticate': 'Basic realm="git"', 'Content-Type': 'text/plain' });
      response.end('Authentication required');
      return;
    }
    runBackend(root, request, response, record);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const url = `http://127.0.0.1:${port}`;

  return {
    url,
    root,
    requests,
    repoUrl: (name) => `${url}/${name}.git`,
    async stop() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
      if (ownsRoot) await rm(root, { recursive: true, force: true });
    },
  };
}
