// lsRemoteHead through simple-git against loopback servers that misbehave: one that never answers
// (the timeout holds) and one whose error text carries the token (it never comes back out).

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { lsRemoteHead } from '../../src/git/remote.js';

const TOKEN = 'ghp_remote_test_token_9d2a';
const BASIC = Buffer.from(`x-access-token:${TOKEN}`).toString('base64');

/** One pkt-line: four hex digits of length (themselves included), then the payload. */
const pktLine = (payload: string) => `${(payload.length + 4).toString(16).padStart(4, '0')}${payload}`;

let server: Server | undefined;
afterEach(async () => {
  server?.closeAllConnections();
  await new Promise((resolve) => server?.close(resolve));
  server = undefined;
});

async function listen(handler: Parameters<typeof createServer>[1]): Promise<string> {
  server = createServer(handler);
  await new Promise<void>((resolve) => server!.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}/acme/site.git`;
}

describe('lsRemoteHead', () => {
  it('gives up after its timeout when the server never answers', async () => {
    const url = await listen(() => undefined); // accepts the request, never responds
    const started = performance.now();
    await expect(lsRemoteHead(url, 'main', { token: TOKEN }, { timeoutMs: 500 })).rejects.toMatchObject({
      code: 'REPOSITORY_UNREACHABLE',
      message: 'git ls-remote failed: no answer within 0.5 s',
    });
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('keeps the token out of the error when the server echoes it (git prints "remote error: …")', async () => {
    const url = await listen((request, response) => {
      // Smart HTTP (gitprotocol-http): an advertisement whose first line is ERR makes git fail with its text.
      response.writeHead(200, { 'content-type': 'application/x-git-upload-pack-advertisement' });
      response.end(`${pktLine(`ERR denied ${TOKEN} ${request.headers.authorization ?? ''}\n`)}0000`);
    });
    const failure = await lsRemoteHead(url, 'main', { token: TOKEN }).catch((error: Error) => error);
    expect(failure).toMatchObject({ code: 'REPOSITORY_UNREACHABLE' });
    const { message } = failure as Error;
    expect(message).toMatch(/^git ls-remote failed: .*remote error: denied \*\*\* Basic \*\*\*/);
    expect(message).not.toContain(TOKEN);
    expect(message).not.toContain(BASIC);
  });
});
