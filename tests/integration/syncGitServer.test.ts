// The git HTTP test server against what it stands in for: GitHub's HTTPS git access takes the
// token as the HTTP Basic password
// (https://docs.github.com/en/get-started/git-basics/about-remote-repositories#cloning-with-https-urls),
// and a server that needs credentials answers 401 with WWW-Authenticate
// (https://git-scm.com/docs/http-protocol#_authentication). Real clones go through git-http-backend;
// the request log other tests assert on is checked here. Tests push to the bare repository on disk.

import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { gitEnv } from '../../src/git/gitAuth.js';
import { lsRemoteHead } from '../../src/git/remote.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';

const TOKEN = 'ghp_test_token_0123456789';

function cloneWith(env: NodeJS.ProcessEnv, url: string, into: string): Promise<string> {
  return new Promise((resolve, reject) =>
    execFile('git', ['clone', '--quiet', '--depth', '1', url, into], { env }, (error, _out, stderr) =>
      error ? reject(new Error(stderr)) : resolve(stderr),
    ),
  );
}

describe('git HTTP test server', () => {
  let server: GitHttpServer;
  let repo: TestRepo;
  let scratch: string;

  beforeAll(async () => {
    server = await startGitHttpServer({ token: TOKEN });
    repo = await createTestRepo(server.root, 'acme/site', { initialFiles: { 'a.txt': 'hello\n' } });
    scratch = await mkdtemp(join(tmpdir(), 'git-server-test-'));
  });
  afterAll(async () => {
    await repo.cleanup();
    await server.stop();
    await rm(scratch, { recursive: true, force: true });
  });

  const BASIC = `Basic ${Buffer.from(`x-access-token:${TOKEN}`).toString('base64')}`;
  const INFO_REFS = '/acme/site.git/info/refs?service=git-upload-pack';

  it('serves ls-remote and a clone to git that sends the token as the Basic password in a header', async () => {
    server.requests.length = 0;
    expect(await lsRemoteHead(server.repoUrl('acme/site'), 'main', { token: TOKEN })).toBe(await repo.head());
    await cloneWith(gitEnv({ token: TOKEN }), server.repoUrl('acme/site'), join(scratch, 'ok'));
    expect(await readFile(join(scratch, 'ok', 'a.txt'), 'utf8')).toBe('hello\n');
    expect(server.requests[0]).toMatchObject({ method: 'GET', url: INFO_REFS });
    expect(server.requests).toContainEqual(
      expect.objectContaining({ method: 'POST', url: '/acme/site.git/git-upload-pack' }),
    );
    for (const request of server.requests) {
      expect(request).toMatchObject({ status: 200, authorized: true, authorization: BASIC });
      expect(request.url).not.toContain(TOKEN);
    }
  });

  it('answers 401 with WWW-Authenticate: Basic without the token or with a wrong one', async () => {
    server.requests.length = 0;
    const response = await fetch(`${server.repoUrl('acme/site')}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic /);
    await expect(lsRemoteHead(server.repoUrl('acme/site'), 'main', {})).rejects.toThrow(/ls-remote failed/);
    await expect(lsRemoteHead(server.repoUrl('acme/site'), 'main', { token: 'wrong' })).rejects.toThrow(
      /ls-remote failed/,
    );
    expect(server.requests.length).toBeGreaterThanOrEqual(3);
    for (const request of server.requests) {
      expect(request).toMatchObject({ method: 'GET', url: INFO_REFS, status: 401, authorized: false });
    }
  });
});
