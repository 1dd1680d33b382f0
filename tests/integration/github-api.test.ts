// The GitHub REST client against the GitHub fake over real HTTP: repository checks, token facts from
// headers, idempotent hook management, and error mapping — with the token in no error message.

import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { createGitHubApi, GitHubApiError, type GitHubApi } from '../../src/github/api.js';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { classifyDelivery, decodePayload } from '../../src/github/events.js';
import { verify } from '../../src/github/signature.js';
import { createTestRepo } from '../support/gitRepos.js';
import { pushAndDeliver } from '../support/github-fake/gitPush.js';
import { startGitHubFake, type GitHubFake } from '../support/github-fake/index.js';

const REPO = 'acme/site';
const ADMIN = 'ghp_adminClassicToken0000000000000000000';
const FINE = 'github_pat_fineGrainedToken_0000000000000000';
const READ_HOOKS = 'github_pat_readHooksOnly_00000000000000000';
const NO_HOOKS = 'github_pat_noWebhooks_0000000000000000000';
const NOT_ADMIN = 'ghp_notAdminOfRepo00000000000000000000000';
const NO_REPO_SCOPE = 'ghp_publicOnly000000000000000000000000000';
const LIMITED = 'ghp_rateLimited0000000000000000000000000';
const REVOKED = 'ghp_revoked00000000000000000000000000000';
const UNKNOWN = 'ghp_neverIssued000000000000000000000000';
const ALL_TOKENS = [ADMIN, FINE, READ_HOOKS, NO_HOOKS, NOT_ADMIN, NO_REPO_SCOPE, LIMITED, REVOKED, UNKNOWN];
const EXPIRY = new Date('2026-12-01T10:00:00Z');

/** A loopback endpoint standing in for the app's webhook route; records what GitHub posts. */
interface Receiver {
  url: string;
  received: Array<{ headers: IncomingMessage['headers']; body: Buffer }>;
  next(): Promise<{ headers: IncomingMessage['headers']; body: Buffer }>;
  server: Server;
}

async function startReceiver(): Promise<Receiver> {
  const received: Receiver['received'] = [];
  const waiters: Array<(value: Receiver['received'][number]) => void> = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const entry = { headers: req.headers, body: Buffer.concat(chunks) };
      received.push(entry);
      waiters.shift()?.(entry);
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/github/webhook`;
  const next = () => new Promise<Receiver['received'][number]>((resolve) => waiters.push(resolve));
  return { url, received, next, server };
}

async function failure(pending: Promise<unknown>): Promise<GitHubApiError> {
  const error = await pending.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  expect(error).toBeInstanceOf(GitHubApiError);
  const apiError = error as GitHubApiError;
  for (const token of ALL_TOKENS)
    expect(`${apiError.message} ${apiError.details.join(' ')}`).not.toContain(token);
  return apiError;
}

let fake: GitHubFake;
let receiver: Receiver;
const api = (token: string, timeoutMs?: number): GitHubApi =>
  createGitHubApi({ baseUrl: fake.url, token, timeoutMs });

beforeAll(async () => {
  fake = await startGitHubFake();
  receiver = await startReceiver();
  fake.addRepository(REPO, { private: true, defaultBranch: 'trunk' });
  fake.addToken(ADMIN, { scopes: ['repo', 'admin:repo_hook'], expiresAt: EXPIRY });
  fake.addToken(FINE, { expiresAt: EXPIRY });
  fake.addToken(READ_HOOKS, { webhooks: 'read' });
  fake.addToken(NO_HOOKS, { webhooks: 'none' });
  fake.addToken(NOT_ADMIN, { scopes: ['repo', 'admin:repo_hook'], admin: false });
  fake.addToken(NO_REPO_SCOPE, { scopes: ['public_repo'] });
  fake.addToken(LIMITED, { scopes: ['repo'], rateLimited: true });
  fake.addToken(REVOKED, { scopes: ['repo'], revoked: true });
});

afterEach(async () => {
  await fake.idle();
  for (const hook of fake.hooks(REPO)) await api(ADMIN).deleteHook('acme', 'site', hook.id);
});

afterAll(async () => {
  await fake.stop();
  await new Promise<void>((resolve) => receiver.server.close(() => resolve()));
});

describe('checkRepository', () => {
  it('reports the repository, admin rights, scopes and the expiry GitHub sends', async () => {
    const check = await api(ADMIN).checkRepository('acme', 'site');
    expect(check).toEqual({
      fullName: 'acme/site',
      private: true,
      defaultBranch: 'trunk',
      canAdminHooks: true,
      tokenExpiresAt: '2026-12-01T10:00:00.000Z',
      scopes: ['repo', 'admin:repo_hook'],
    });
  });

  it('has no scopes for a fine-grained token and no expiry for a token without one', async () => {
    expect(await api(FINE).checkRepository('acme', 'site')).toMatchObject({
      tokenExpiresAt: '2026-12-01T10:00:00.000Z',
      scopes: undefined,
    });
    expect((await api(READ_HOOKS).checkRepository('acme', 'site')).tokenExpiresAt).toBeUndefined();
  });

  it('says when the user does not administer the repository', async () => {
    expect((await api(NOT_ADMIN).checkRepository('acme', 'site')).canAdminHooks).toBe(false);
  });

  it('maps 401 to TOKEN_INVALID for unknown and revoked tokens', async () => {
    for (const token of [UNKNOWN, REVOKED]) {
      const error = await failure(api(token).checkRepository('acme', 'site'));
      expect(error.code).toBe('TOKEN_INVALID');
      expect(error.message).toContain('Bad credentials');
    }
  });

  it('maps 404 to REPOSITORY_NOT_FOUND, also for a private repository the scopes do not cover', async () => {
    expect((await failure(api(ADMIN).checkRepository('acme', 'missing'))).code).toBe('REPOSITORY_NOT_FOUND');
    expect((await failure(api(NO_REPO_SCOPE).checkRepository('acme', 'site'))).code).toBe(
      'REPOSITORY_NOT_FOUND',
    );
  });

  it('maps an exhausted rate limit to GITHUB_RATE_LIMITED with the reset time', async () => {
    const error = await failure(api(LIMITED).checkRepository('acme', 'site'));
    expect(error.code).toBe('GITHUB_RATE_LIMITED');
    const headers = await rawHeaders(LIMITED);
    expect(headers['x-ratelimit-remaining']).toBe('0');
    expect(error.resetAt).toBe(new Date(Number(headers['x-ratelimit-reset']) * 1000).toISOString());
  });
});

/** Headers of GET /repos/acme/site for a token, read without the client. */
async function rawHeaders(token: string): Promise<Record<string, string>> {
  const response = await fetch(`${fake.url}/repos/${REPO}`, { headers: { authorization: `token ${token}` } });
  await response.arrayBuffer();
  return Object.fromEntries(response.headers);
}

describe('hooks', () => {
  it('ensureHook twice leaves exactly one hook with the right config, secret replaced', async () => {
    const start = fake.requests.length;
    const first = await api(ADMIN).ensureHook(
      'acme',
      'site',
      receiver.url,
      'first-secret-0123456789abcdef0123',
    );
    const second = await api(ADMIN).ensureHook(
      'acme',
      'site',
      receiver.url,
      'second-secret-0123456789abcdef012',
    );
    expect(first).toEqual({ status: 'active', id: expect.any(Number) });
    expect(second).toEqual(first);
    const hooks = fake.hooks(REPO);
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      id: (first as { id: number }).id,
      active: true,
      events: ['push'],
      config: {
        url: receiver.url,
        content_type: 'json',
        insecure_ssl: '0',
        secret: 'second-secret-0123456789abcdef012',
      },
    });
    // The second call finds and updates the hook; it does not lean on GitHub's duplicate check.
    expect(fake.requests.slice(start).map((r) => `${r.method} ${r.path.split('?')[0]} ${r.status}`)).toEqual([
      'GET /repos/acme/site/hooks 200',
      'POST /repos/acme/site/hooks 201',
      'GET /repos/acme/site/hooks 200',
      'PATCH /repos/acme/site/hooks/' + String((first as { id: number }).id) + ' 200',
    ]);
  });

  it('ensureHook repairs a hook someone disabled or narrowed, and adds none when run concurrently', async () => {
    const results = await Promise.all([
      api(ADMIN).ensureHook('acme', 'site', receiver.url, 'secret-a-0123456789abcdef0123456'),
      api(FINE).ensureHook('acme', 'site', receiver.url, 'secret-a-0123456789abcdef0123456'),
    ]);
    expect(fake.hooks(REPO)).toHaveLength(1);
    expect(results[0]).toEqual(results[1]);
    const hook = fake.hooks(REPO)[0]!;
    Object.assign(hook, { active: false, events: ['push', 'issues'] });
    hook.config.content_type = 'form';
    await api(ADMIN).ensureHook('acme', 'site', receiver.url, 'secret-a-0123456789abcdef0123456');
    expect(fake.hooks(REPO)).toHaveLength(1);
    expect(fake.hooks(REPO)[0]).toMatchObject({
      active: true,
      events: ['push'],
      config: { content_type: 'json' },
    });
  });

  it('ensureHook is manual when the token may not manage hooks, and creates nothing', async () => {
    for (const token of [NOT_ADMIN, READ_HOOKS, NO_HOOKS]) {
      const result = await api(token).ensureHook(
        'acme',
        'site',
        receiver.url,
        'secret-0123456789abcdef0123456789',
      );
      expect(result).toEqual({ status: 'manual', reason: expect.any(String) });
      for (const secret of ALL_TOKENS) expect((result as { reason: string }).reason).not.toContain(secret);
    }
    expect(fake.hooks(REPO)).toHaveLength(0);
  });

  it('createHook maps 403 and 404 to HOOKS_FORBIDDEN and a duplicate to GITHUB_VALIDATION_FAILED', async () => {
    const config = { url: receiver.url, secret: 'secret-0123456789abcdef0123456789' };
    expect((await failure(api(READ_HOOKS).createHook('acme', 'site', config))).code).toBe('HOOKS_FORBIDDEN');
    expect((await failure(api(NOT_ADMIN).createHook('acme', 'site', config))).code).toBe('HOOKS_FORBIDDEN');
    await api(ADMIN).createHook('acme', 'site', config);
    const duplicate = await failure(api(ADMIN).createHook('acme', 'site', config));
    expect(duplicate.code).toBe('GITHUB_VALIDATION_FAILED');
    expect(duplicate.details).toEqual(['Hook already exists on this repository']);
  });

  it('deleteHook tolerates a hook that is already gone; getHookStatus then says undefined', async () => {
    const { id } = await api(ADMIN).createHook('acme', 'site', { url: receiver.url, secret: 's'.repeat(40) });
    expect(await api(ADMIN).deleteHook('acme', 'site', id)).toBe(true);
    expect(await api(ADMIN).deleteHook('acme', 'site', id)).toBe(false);
    expect(await api(ADMIN).getHookStatus('acme', 'site', id)).toBeUndefined();
    expect(fake.hooks(REPO)).toHaveLength(0);
  });

  it('getHookStatus reports the last delivery; pingHook sends a signed ping', async () => {
    const secret = 'ping-secret-0123456789abcdef01234';
    const created = receiver.next(); // GitHub pings a hook as soon as it is created
    const { id } = await api(ADMIN).createHook('acme', 'site', { url: receiver.url, secret });
    await created;
    await fake.idle();
    expect(await api(ADMIN).getHookStatus('acme', 'site', id)).toEqual({
      id,
      url: receiver.url,
      active: true,
      events: ['push'],
      contentType: 'json',
      lastResponse: { code: 200, status: 'active', message: 'OK' },
    });
    const pinged = receiver.next();
    await api(ADMIN).pingHook('acme', 'site', id);
    const ping = await pinged;
    expect(ping.headers['x-github-event']).toBe('ping');
    expect(verify(secret, ping.body, ping.headers['x-hub-signature-256'] as string)).toBe(true);
    expect(JSON.parse(ping.body.toString()).hook_id).toBe(id);
  });

  it('findHookByUrl follows pages', async () => {
    const paged = await startGitHubFake({ maxPerPage: 2, pingOnCreate: false });
    try {
      paged.addRepository(REPO);
      paged.addToken(ADMIN, { scopes: ['repo'] });
      const client = createGitHubApi({ baseUrl: paged.url, token: ADMIN });
      const urls = [1, 2, 3, 4, 5].map((n) => `http://127.0.0.1:9/hook-${n}`);
      for (const url of urls) await client.createHook('acme', 'site', { url, secret: 'x'.repeat(32) });
      const found = await client.findHookByUrl('acme', 'site', urls[4]!);
      expect(found?.url).toBe(urls[4]);
      expect(paged.requests.filter((r) => r.method === 'GET').map((r) => r.path)).toEqual([
        '/repos/acme/site/hooks?per_page=100',
        '/repos/acme/site/hooks?page=2&per_page=2',
        '/repos/acme/site/hooks?page=3&per_page=2',
      ]);
      expect(await client.findHookByUrl('acme', 'site', 'http://127.0.0.1:9/none')).toBeUndefined();
    } finally {
      await paged.stop();
    }
  });
});

describe('transport', () => {
  it('works against a GitHub Enterprise Server style base URL with /api/v3', async () => {
    const ghes = await startGitHubFake({ pathPrefix: '/api/v3', pingOnCreate: false });
    try {
      ghes.addRepository(REPO);
      ghes.addToken(ADMIN, { scopes: ['repo'] });
      expect(ghes.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+\/api\/v3$/);
      const client = createGitHubApi({ baseUrl: `${ghes.url}/`, token: ADMIN });
      expect((await client.checkRepository('acme', 'site')).fullName).toBe(REPO);
      const result = await client.ensureHook('acme', 'site', 'http://127.0.0.1:9/hook', 'y'.repeat(32));
      expect(result.status).toBe('active');
      expect(ghes.hooks(REPO)).toHaveLength(1);
      expect(ghes.requests.every((r) => r.status < 400)).toBe(true);
    } finally {
      await ghes.stop();
    }
  });

  it('times out a GitHub that never answers, and honours the caller abort', async () => {
    const held: Array<() => void> = [];
    const silent = createServer((_req, res) => held.push(() => res.destroy()));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const baseUrl = `http://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    try {
      const slow = createGitHubApi({ baseUrl, token: ADMIN, timeoutMs: 200 });
      expect((await failure(slow.checkRepository('acme', 'site'))).code).toBe('GITHUB_TIMEOUT');
      const controller = new AbortController();
      const pending = createGitHubApi({ baseUrl, token: ADMIN }).checkRepository('acme', 'site', {
        signal: controller.signal,
      });
      controller.abort();
      expect((await failure(pending)).code).toBe('GITHUB_ABORTED');
    } finally {
      for (const release of held) release();
      silent.closeAllConnections();
      await new Promise<void>((resolve) => silent.close(() => resolve()));
    }
  });

  it('does not follow a next-page link to another origin with the token', async () => {
    const requests: string[] = [];
    const lying = createServer((req, res) => {
      requests.push(req.url ?? '');
      res.writeHead(200, {
        'content-type': 'application/json; charset=utf-8',
        link: '<http://127.0.0.2:9/repos/acme/site/hooks?page=2>; rel="next"',
      });
      res.end('[]');
    });
    await new Promise<void>((resolve) => lying.listen(0, '127.0.0.1', resolve));
    try {
      const baseUrl = `http://127.0.0.1:${(lying.address() as AddressInfo).port}`;
      const client = createGitHubApi({ baseUrl, token: ADMIN });
      expect((await failure(client.findHookByUrl('acme', 'site', 'http://x/'))).code).toBe('GITHUB_ERROR');
      expect(requests).toEqual(['/repos/acme/site/hooks?per_page=100']);
    } finally {
      lying.closeAllConnections();
      await new Promise<void>((resolve) => lying.close(() => resolve()));
    }
  });

  it('reports an unreachable GitHub', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((resolve) => closed.close(() => resolve()));
    const client = createGitHubApi({ baseUrl: `http://127.0.0.1:${port}`, token: ADMIN });
    expect((await failure(client.checkRepository('acme', 'site'))).code).toBe('GITHUB_UNREACHABLE');
  });

  it('refuses to send the token over plain http to anything but loopback', () => {
    expect(() => createGitHubApi({ baseUrl: 'http://github.example.com/api/v3', token: ADMIN })).toThrow(
      /https/,
    );
  });
});

describe('the fake as the delivery side of a git push', () => {
  it('delivers a signed push the app can parse, and nothing while delivery is off', async () => {
    const root = await mkdtemp(join(tmpdir(), 'github-push-'));
    const repo = await createTestRepo(root, 'acme/pushed');
    try {
      fake.addRepository('acme/pushed');
      const secret = 'push-secret-0123456789abcdef012345';
      const created = receiver.next();
      await api(ADMIN).ensureHook('acme', 'pushed', receiver.url, secret);
      await created; // the ping sent on creation

      await repo.write('docs/new.txt', 'hello\n');
      await repo.write('README.md', '# changed\n');
      await repo.commit('two changes');
      const arrived = receiver.next();
      const { after, deliveries } = await pushAndDeliver(repo, fake);
      const push = await arrived;
      expect(deliveries.map((d) => d.statusCode)).toEqual([200]);
      expect(push.headers['x-github-event']).toBe('push');
      expect(verify(secret, push.body, push.headers['x-hub-signature-256'] as string)).toBe(true);
      const payload = decodePayload(push.body, push.headers['content-type'] ?? null);
      expect(classifyDelivery('push', payload)).toEqual({
        kind: 'push',
        branch: 'main',
        after,
        repositoryFullName: 'acme/pushed',
        sender: 'octocat',
      });
      expect(payload).toMatchObject({
        forced: false,
        deleted: false,
        created: false,
        head_commit: { id: after, added: ['docs/new.txt'], modified: ['README.md'], removed: [] },
      });

      fake.setDeliveryEnabled(false);
      await repo.write('later.txt', 'missed\n');
      await repo.commit('missed push');
      const missed = await pushAndDeliver(repo, fake);
      expect(missed.deliveries).toEqual([]);
      expect(await repo.head()).toBe(missed.after);
      expect(fake.deliveries('acme/pushed').map((d) => d.event)).toEqual(['ping', 'push']);
    } finally {
      fake.setDeliveryEnabled(true);
      for (const hook of fake.hooks('acme/pushed')) await api(ADMIN).deleteHook('acme', 'pushed', hook.id);
      await repo.cleanup();
      await rm(root, { recursive: true, force: true });
    }
  });
});
