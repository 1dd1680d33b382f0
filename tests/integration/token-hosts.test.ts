// Issue 10, items 1 and 2: the token goes only to GITHUB_HOSTS, and a caller cannot make the app
// probe other addresses. A listener on loopback stands in for an attacker's host; nothing here
// sends traffic anywhere but 127.0.0.1.

import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/appHarness.js';

const TOKEN = 'ghp_harvestMeIfYouCan0123456789';
let harness: Harness;
let listener: Server;
let port: number;
let connections = 0;
const requests: IncomingHttpHeaders[] = [];
let githubConnection: typeof import('../../src/functions/githubConnection.js').githubConnection;

beforeAll(async () => {
  // GITHUB_HOSTS is left at its default (github.com); local repositories are allowed, as in
  // development, which is exactly when a loopback URL must still not receive the token.
  harness = await startHarness({ GITHUB_TOKEN: TOKEN, SYNC_ALLOW_LOCAL_REPOS: 'true', GITHUB_HOSTS: '' });
  ({ githubConnection } = await import('../../src/functions/githubConnection.js'));
  listener = createServer((req, res) => {
    requests.push(req.headers);
    res.writeHead(404).end('not a git server');
  });
  listener.on('connection', () => connections++);
  await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
  port = (listener.address() as AddressInfo).port;
});
afterAll(async () => {
  await new Promise((resolve) => listener?.close(resolve));
  await harness?.stop();
});
beforeEach(() => {
  requests.length = 0;
  connections = 0;
});

async function connect(repositoryUrl: string) {
  const response = await githubConnection(
    harness.request({
      method: 'PUT',
      url: 'http://localhost/api/github/connection',
      body: { string: JSON.stringify({ repositoryUrl, branch: 'main' }) },
    }),
    harness.context(),
  );
  return { status: response.status, body: response.jsonBody as { error: { code: string; message: string } } };
}

describe('the token stays home', () => {
  it('sends no token to a loopback repository whose host is not on GITHUB_HOSTS', async () => {
    const res = await connect(`http://127.0.0.1:${port}/attacker/x`);
    expect(res.status).toBe(422);
    // git did talk to the listener (local repositories are allowed) but carried no credential.
    expect(requests.length).toBeGreaterThan(0);
    for (const headers of requests) expect(headers.authorization).toBeUndefined();
    expect(JSON.stringify([res.body, harness.logs])).not.toContain(TOKEN);
  });

  it.each([
    ['https on loopback', () => `https://127.0.0.1:${port}/o/r`],
    ['loopback spelled in hex', () => `https://0x7f000001:${port}/o/r`],
    ['localhost over https', () => `https://localhost:${port}/o/r`],
    ['an unlisted public host', () => 'https://gitlab.example/o/r'],
  ])('refuses %s with 400 HOST_NOT_ALLOWED before any request', async (_name, url) => {
    const res = await connect(url());
    expect(res).toMatchObject({ status: 400, body: { error: { code: 'HOST_NOT_ALLOWED' } } });
    expect(connections).toBe(0);
    // The answer is the same whether or not anything listens there: no port-scan oracle.
    expect(res.body.error.message).not.toMatch(/TLS|SSL|connect|refused|port/i);
  });

  it('gives the same answer for a port nobody listens on', async () => {
    const closed = await connect('https://127.0.0.1:1/o/r');
    const open = await connect(`https://127.0.0.1:${port}/o/r`);
    expect(closed).toEqual(open);
  });
});
