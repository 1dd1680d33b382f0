// The git HTTP test server itself: token auth as GitHub does it, real clones through
// git-http-backend, and the request log other tests assert on.

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

  it('serves ls-remote and clones to a client with the token in a header', async () => {
    expect(await lsRemoteHead(server.repoUrl('acme/site'), 'main', { token: TOKEN })).toBe(await repo.head());
    await cloneWith(gitEnv({ token: TOKEN }), server.repoUrl('acme/site'), join(scratch, 'ok'));
    expect(await readFile(join(scratch, 'ok', 'a.txt'), 'utf8')).toBe('hello\n');
    const served = server.requests.filter((r) => r.authorized);
    expect(served.length).toBeGreaterThan(0);
    expect(served.every((r) => r.status === 200)).toBe(true);
  });

  it('answers 401 with WWW-Authenticate without the token or with a wrong one', async () => {
    const response = await fetch(`${server.repoUrl('acme/site')}/info/refs?service=git-upload-pack`);
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toMatch(/^Basic/);
    await expect(lsRemoteHead(server.repoUrl('acme/site'), 'main', {})).rejects.toThrow(/ls-remote failed/);
    await expect(lsRemoteHead(server.repoUrl('acme/site'), 'main', { token: 'wrong' })).rejects.toThrow();
    expect(server.requests.some((r) => r.status === 401 && !r.authorized)).toBe(true);
  });

  it('accepts pushes over HTTP', async () => {
    const work = join(scratch, 'pusher');
    await cloneWith(gitEnv({ token: TOKEN }), server.repoUrl('acme/site'), work);
    await repo.git(['-C', work, 'commit', '--allow-empty', '--quiet', '-m', 'over http']);
    const pushed = await repo.git(['-C', work, 'rev-parse', 'HEAD']);
    await new Promise<void>((resolve, reject) =>
      execFile(
        'git',
        ['-C', work, 'push', '--quiet', 'origin', 'HEAD:refs/heads/main'],
        { env: gitEnv({ token: TOKEN }) },
        (e, _o, stderr) => (e ? reject(new Error(stderr)) : resolve()),
      ),
    );
    expect(await repo.head()).toBe(pushed);
  });
});
