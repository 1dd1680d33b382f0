// "Connect with GitHub" end to end, over real HTTP only: the compiled `npm start` runtime, the
// GitHub fake (REST API and delivery side, tests/support/github-fake), a token-guarded git server,
// and an Azurite this test starts so the app's tables can be read afterwards.
//
// Two runtimes share that Azurite, the workspace folder, the secrets file and the port (so the
// hook URL stays right): the first with the poll timer off, so no poll job races the pushes and
// connects under test; the second polling every 2 s for the missed push. That is why the steps
// run 1, 2, 3, 5 on the first and 4, 6, 7 on the second.
// The 10-minute expiry of the old webhook secret cannot be waited for here; it is tested with
// an injected clock in tests/integration/connectionSecrets.test.ts.

import { TableClient, TableServiceClient } from '@azure/data-tables';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { mkdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, startAzurite, type RunningAzurite } from '../../src/dev/azurite.js';
import { deliver } from '../../src/dev/webhook.js';
import { SECRET_NAMES } from '../../src/jobs/connectionSecrets.js';
import type { Connection, SyncJob } from '../../src/jobs/types.js';
import { TABLES } from '../../src/storage-names.js';
import { startGitHttpServer, type GitHttpServer } from '../support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../support/gitRepos.js';
import { pushAndDeliver, pushEventFromGit } from '../support/github-fake/gitPush.js';
import { startGitHubFake, type FakeRepository, type GitHubFake } from '../support/github-fake/index.js';
import { pushPayload } from '../support/github-fake/payloads.js';
import { localAppSettings, startRuntime, waitFor, type Runtime } from './support/runtime.js';
import { describeTree, readTree, readZip, withoutExcluded } from './support/workspace.js';

const TOKEN = 'ghp_e2eConnectGoodToken0123456789abcdefAB';
const BAD_TOKENS = {
  revoked: 'ghp_e2eConnectRevokedToken0123456789abcd',
  otherRepository: 'ghp_e2eConnectOtherRepoToken0123456789ab',
  rateLimited: 'ghp_e2eConnectRateLimitedToken012345678',
};
/** GITHUB_WEBHOOK_SECRET, for hooks made by hand: not what the app's own hook is signed with. */
const HAND_MADE_HOOK_SECRET = 'e2e-hand-made-hook-secret';
// GitHub reports the expiry to the second (`github-authentication-token-expiration: 2026-12-01 10:00:00 UTC`).
const TOKEN_EXPIRES_AT = new Date(Math.floor(Date.now() / 1000 + 30 * 24 * 3600) * 1000);
const POLL_INTERVAL_MS = 2_000;
const ADMIN_PRINCIPAL = {
  identityProvider: 'aad',
  userId: 'u1',
  userDetails: 'alice',
  userRoles: ['authenticated'],
  claims: [{ typ: 'roles', val: 'Workspace.Admin' }],
};

interface Reply {
  status: number;
  text: string;
  headers: Headers;
  body: any;
}

interface SecretsFile {
  version: number;
  secrets: Record<string, string>;
}

describe('Connect with GitHub, end to end (npm start)', () => {
  let azurite: RunningAzurite;
  let git: GitHttpServer;
  let github: GitHubFake;
  let fakeRepository: FakeRepository;
  let repo: TestRepo;
  let workspace: string;
  let secretsPath: string;
  let port: number;
  let runtime: Runtime;
  let running = false;
  /** Everything the app said: runtime output, response bodies, delivery answers; grepped in 7. */
  const said: string[] = [];
  /** Webhook secrets seen during the run: like the token, they must appear nowhere. */
  const hookSecrets: string[] = [];
  let head: string;

  const publicBaseUrl = () => `http://127.0.0.1:${port}`;
  const hookUrl = () => `${publicBaseUrl()}/api/github/webhook`;
  const repositoryUrl = () => git.repoUrl('acme/site');

  async function start(pollSchedule: string) {
    runtime = await startRuntime({
      port,
      env: localAppSettings(
        workspace,
        { webhookSecret: HAND_MADE_HOOK_SECRET, token: '' },
        {
          AzureWebJobsStorage: azurite.connectionString,
          GITHUB_API_URL: github.url,
          GITHUB_HOSTS: '127.0.0.1',
          PUBLIC_BASE_URL: publicBaseUrl(),
          SYNC_POLL_SCHEDULE: pollSchedule,
        },
      ),
    });
    running = true;
  }

  async function stop() {
    if (!running) return;
    running = false;
    await runtime.stop();
    said.push(runtime.output());
  }

  async function api(
    method: string,
    path: string,
    body?: unknown,
    principal: object | undefined = ADMIN_PRINCIPAL,
  ): Promise<Reply> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers['Content-Type'] = 'application/json';
    if (principal)
      headers['x-ms-client-principal'] = Buffer.from(JSON.stringify(principal)).toString('base64');
    const res = await fetch(`${runtime.url}/api/${path}`, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await res.text();
    said.push(text);
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch {
      parsed = undefined;
    }
    return { status: res.status, text, headers: res.headers, body: parsed };
  }

  async function waitForJob(jobId: string): Promise<SyncJob> {
    return waitFor(
      `job ${jobId} to finish`,
      async () => {
        const { body } = await api('GET', `sync/jobs/${jobId}`);
        const job = body as SyncJob;
        return ['succeeded', 'failed', 'skipped'].includes(job.status) ? job : undefined;
      },
      90_000,
      150,
    );
  }

  async function expectSucceeded(jobId: string, commit: string): Promise<SyncJob> {
    const job = await waitForJob(jobId);
    expect(job.status, JSON.stringify(job)).toBe('succeeded');
    expect(job.commitSynced).toBe(commit);
    return job;
  }

  async function expectWorkspaceAt(commit: string) {
    const expected = withoutExcluded(await repo.archive(commit));
    expect(describeTree(await readTree(workspace))).toEqual(describeTree(expected));
  }

  async function readSecrets(): Promise<SecretsFile> {
    return JSON.parse(await readFile(secretsPath, 'utf8')) as SecretsFile;
  }

  async function connect(token: string | undefined = TOKEN): Promise<Reply> {
    return api('PUT', 'github/connection', { repositoryUrl: repositoryUrl(), branch: 'main', token });
  }

  beforeAll(async () => {
    [azurite, git, github, port] = await Promise.all([
      startAzurite(),
      startGitHttpServer({ token: TOKEN }),
      startGitHubFake(),
      freePort(),
    ]);
    repo = await createTestRepo(git.root, 'acme/site', {
      initialFiles: {
        'README.md': '# site\n',
        'src/app.ts': 'export const app = 1;\n',
        'assets/logo.bin': randomBytes(4096),
        '.github/workflows/ci.yml': 'on: push\n',
      },
    });
    head = await repo.head();
    fakeRepository = github.addRepository('acme/site', { cloneUrl: repositoryUrl() });
    github.addToken(TOKEN, { expiresAt: TOKEN_EXPIRES_AT });
    github.addToken(BAD_TOKENS.revoked, { revoked: true });
    github.addToken(BAD_TOKENS.otherRepository, { repositories: ['acme/other'] });
    github.addToken(BAD_TOKENS.rateLimited, { rateLimited: true });
    workspace = mkdtempSync(join(tmpdir(), 'e2e-connect-ws-'));
    secretsPath = `${workspace}.secrets.json`;
    await start('off');
  });

  afterAll(async () => {
    await stop();
    await Promise.all([github?.stop(), git?.stop(), azurite?.stop()]);
    await repo?.cleanup();
    if (workspace) {
      await rm(workspace, { recursive: true, force: true });
      await rm(secretsPath, { force: true });
    }
  });

  it('1. connect with a token: one hook with the right config, the token in the 0600 secrets file; connecting again keeps one hook', async () => {
    const first = await connect();
    expect(first.status, first.text).toBe(202);
    const connection = first.body.connection as Connection & {
      token: { source: string; expiresAt: string };
    };
    expect(connection.webhook).toMatchObject({ status: 'active', url: hookUrl() });
    expect(connection.token).toEqual({ source: 'connection', expiresAt: TOKEN_EXPIRES_AT.toISOString() });
    expect(connection.createdBy?.name).toBe('alice');
    await expectSucceeded(first.body.jobId as string, head);
    await expectWorkspaceAt(head);

    expect((await stat(secretsPath)).mode & 0o777).toBe(0o600);
    const stored = (await readSecrets()).secrets;
    expect(stored[SECRET_NAMES.token]).toBe(TOKEN);
    const secret = stored[SECRET_NAMES.webhookSecret]!;
    expect(secret).toMatch(/^[0-9a-f]{64}$/);
    hookSecrets.push(secret);

    const hooks = github.hooks('acme/site');
    expect(hooks).toHaveLength(1);
    expect(hooks[0]).toMatchObject({
      id: connection.webhook!.id,
      active: true,
      events: ['push'],
      config: { url: hookUrl(), content_type: 'json', insecure_ssl: '0', secret },
    });
    // GitHub pings a new hook; the app verified the ping's signature against the stored secret.
    await github.idle();
    expect(github.deliveries('acme/site').map((d) => [d.event, d.statusCode])).toEqual([['ping', 200]]);

    const again = await connect();
    expect(again.status, again.text).toBe(202);
    await expectSucceeded(again.body.jobId as string, head);
    const after = github.hooks('acme/site');
    expect(after).toHaveLength(1);
    expect(after[0]).toMatchObject({ id: hooks[0]!.id, config: { url: hookUrl(), secret } });

    const shown = await api('GET', 'github/connection');
    expect(shown.status).toBe(200);
    expect(shown.body.webhook).toMatchObject({ status: 'active', id: hooks[0]!.id, url: hookUrl() });
  });

  it('2. a push delivered by the fake is synced: the job succeeds and the workspace equals the commit', async () => {
    await repo.write('README.md', '# site, pushed\n');
    await repo.remove('src/app.ts');
    await repo.write('docs/guide.md', 'guide\n');
    await repo.commit('push through the fake');
    const pushed = await pushAndDeliver(repo, github);
    head = pushed.after;
    expect(pushed.deliveries).toHaveLength(1);
    const [delivery] = pushed.deliveries;
    said.push(delivery!.responseBody);
    expect(delivery!.statusCode, delivery!.responseBody).toBe(202);
    expect(delivery!.requestHeaders['X-Hub-Signature-256']).toMatch(/^sha256=[0-9a-f]{64}$/);
    await expectSucceeded(JSON.parse(delivery!.responseBody).jobId as string, head);
    await expectWorkspaceAt(head);
  });

  it('3. rotate: the hook gets the new secret, deliveries signed with the old one still pass, forged ones do not', async () => {
    const oldSecret = hookSecrets[0]!;
    const rotatedAt = Date.now();
    const rotated = await api('POST', 'github/connection/rotate-secret');
    expect(rotated.status, rotated.text).toBe(200);
    const validUntil = Date.parse(rotated.body.previousValidUntil as string);
    expect(validUntil).toBeGreaterThanOrEqual(rotatedAt + 10 * 60_000);
    expect(validUntil).toBeLessThanOrEqual(Date.now() + 10 * 60_000);

    const stored = (await readSecrets()).secrets;
    const newSecret = stored[SECRET_NAMES.webhookSecret]!;
    hookSecrets.push(newSecret);
    expect(newSecret).toMatch(/^[0-9a-f]{64}$/);
    expect(newSecret).not.toBe(oldSecret);
    expect(stored[SECRET_NAMES.previousWebhookSecret]).toBe(`${validUntil}:${oldSecret}`);
    expect(github.hooks('acme/site').map((h) => h.config.secret)).toEqual([newSecret]);

    // A delivery GitHub signed just before the rotation, arriving after it.
    await repo.write('docs/in-flight.md', 'signed with the old secret\n');
    await repo.commit('in flight');
    const before = head;
    head = await repo.push();
    const event = await pushEventFromGit(repo.barePath, 'refs/heads/main', before, head);
    const payload = pushPayload(fakeRepository, { api: github.url, web: github.webUrl }, event);
    const forged = await deliver({ url: runtime.url, secret: 'not-the-secret', payload });
    said.push(forged.body);
    expect(forged.status, forged.body).toBe(401);
    const old = await deliver({ url: runtime.url, secret: oldSecret, payload });
    said.push(old.body);
    expect(old.status, old.body).toBe(202);
    await expectSucceeded(JSON.parse(old.body).jobId as string, head);

    // And GitHub's next delivery is signed with the new one.
    await repo.write('docs/after-rotation.md', 'signed with the new secret\n');
    await repo.commit('after rotation');
    const pushed = await pushAndDeliver(repo, github);
    head = pushed.after;
    said.push(pushed.deliveries[0]!.responseBody);
    expect(pushed.deliveries.map((d) => d.statusCode)).toEqual([202]);
    await expectSucceeded(JSON.parse(pushed.deliveries[0]!.responseBody).jobId as string, head);
    await expectWorkspaceAt(head);
  });

  it('5. connect over hand-edited files: the connect job records a backup that holds them byte for byte', async () => {
    const off = await api('DELETE', 'github/connection');
    expect(off.status, off.text).toBe(200);
    // People edit the (now writable) workspace: change a synced file, add their own.
    const edited = {
      'README.md': Buffer.from('# site, edited by hand\r\nwith a CRLF and \u00e9\n'),
      'notes/by-hand.bin': randomBytes(3000),
    };
    for (const [path, content] of Object.entries(edited)) {
      await mkdir(dirname(join(workspace, path)), { recursive: true });
      await writeFile(join(workspace, path), content);
    }

    const connected = await connect();
    expect(connected.status, connected.text).toBe(202);
    hookSecrets.push((await readSecrets()).secrets[SECRET_NAMES.webhookSecret]!);
    const job = await expectSucceeded(connected.body.jobId as string, head);
    await expectWorkspaceAt(head);
    expect(job.backupId, JSON.stringify(job)).toEqual(expect.any(String));

    const listed = await api('GET', 'workspace/backups');
    expect(listed.status).toBe(200);
    expect(JSON.stringify(listed.body)).toContain(job.backupId!);
    const download = await fetch(`${runtime.url}/api/workspace/backups/${encodeURIComponent(job.backupId!)}`);
    expect(download.status).toBe(200);
    expect(download.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await download.arrayBuffer());
    said.push(zip.toString('latin1'));
    const files = await readZip(zip);
    expect([...files.keys()].sort()).toEqual(Object.keys(edited).sort());
    for (const [path, content] of Object.entries(edited)) {
      expect(files.get(path)!.content.equals(content), path).toBe(true);
    }
    expect(github.hooks('acme/site')).toHaveLength(1);
  });

  it('4. push with delivery switched off: the poller syncs it within one interval plus one sync time', async () => {
    await stop();
    await start(`*/${POLL_INTERVAL_MS / 1000} * * * * *`);
    expect(runtime.output()).toContain('syncPoll');

    github.setDeliveryEnabled(false);
    try {
      await repo.write('docs/missed.md', 'GitHub never delivered this push\n');
      await repo.commit('missed push');
      const pushStarted = Date.now();
      const pushed = await pushAndDeliver(repo, github);
      head = pushed.after;
      expect(pushed.deliveries).toEqual([]);
      const job = await waitFor(
        'a poll job to sync the missed push',
        async () => {
          const { body } = await api('GET', 'sync/jobs?top=5');
          return (body.jobs as SyncJob[]).find(
            (j) => j.trigger === 'poll' && j.status === 'succeeded' && j.commitSynced === head,
          );
        },
        30_000,
        100,
      );
      const seenMs = Date.now() - pushStarted;
      await expectWorkspaceAt(head);

      const queuedMs = Date.parse(job.queuedAt) - pushStarted;
      const syncMs = Date.parse(job.finishedAt!) - Date.parse(job.queuedAt);
      // The tick's own ls-remote and the test's 100 ms job polling sit on top of interval + sync.
      const allowanceMs = 1_000;
      console.log(
        `missed push: synced ${seenMs} ms after the push (poll interval ${POLL_INTERVAL_MS} ms; ` +
          `queued by the poller after ${queuedMs} ms; one sync, queued to finished, ${syncMs} ms ` +
          `of which the job ran ${job.durationMs} ms); bound ${POLL_INTERVAL_MS} + ${syncMs} + ${allowanceMs} ms`,
      );
      expect(queuedMs).toBeLessThanOrEqual(POLL_INTERVAL_MS + allowanceMs);
      expect(seenMs).toBeLessThanOrEqual(POLL_INTERVAL_MS + syncMs + allowanceMs);
    } finally {
      github.setDeliveryEnabled(true);
    }
  });

  it('6. disconnect: the hook is gone on GitHub, the secrets file holds no token, the files remain', async () => {
    const off = await api('DELETE', 'github/connection');
    expect(off.status, off.text).toBe(200);
    expect(off.body).toMatchObject({ webhookRemoved: true, enabled: false });
    expect(github.hooks('acme/site')).toEqual([]);
    const file = await readFile(secretsPath, 'utf8');
    expect(JSON.parse(file)).toEqual({ version: 1, secrets: {} });
    expect(file).not.toContain(TOKEN);
    await expectWorkspaceAt(head);
    const shown = await api('GET', 'github/connection');
    expect(shown.body).toMatchObject({ enabled: false });
  });

  it('7. bad tokens get a clear 422/503 and store nothing; no token or hook secret appears in any output, response or table', async () => {
    const cases = [
      { token: BAD_TOKENS.revoked, status: 422, code: 'TOKEN_INVALID' },
      { token: BAD_TOKENS.otherRepository, status: 422, code: 'REPOSITORY_NOT_FOUND' },
      { token: BAD_TOKENS.rateLimited, status: 503, code: 'GITHUB_RATE_LIMITED' },
    ];
    for (const { token, status, code } of cases) {
      const refused = await connect(token);
      expect(refused.status, refused.text).toBe(status);
      expect(refused.body.error.code).toBe(code);
      expect(refused.body.error.message).toEqual(expect.any(String));
      if (status === 503) expect(refused.headers.get('retry-after')).toBe('60');
      expect(JSON.parse(await readFile(secretsPath, 'utf8'))).toEqual({ version: 1, secrets: {} });
      expect((await api('GET', 'github/connection')).body).toMatchObject({ enabled: false });
      expect(github.hooks('acme/site')).toEqual([]);
    }

    const audit = await api('GET', 'audit?top=100');
    expect(audit.status).toBe(200);
    await stop();

    const tables = TableServiceClient.fromConnectionString(azurite.connectionString, {
      allowInsecureConnection: true,
    });
    const tableNames: string[] = [];
    for await (const table of tables.listTables()) tableNames.push(table.name!);
    expect(tableNames).toEqual(expect.arrayContaining(Object.values(TABLES)));
    const rows: string[] = [];
    for (const name of tableNames) {
      const table = TableClient.fromConnectionString(azurite.connectionString, name, {
        allowInsecureConnection: true,
      });
      for await (const entity of table.listEntities()) rows.push(JSON.stringify(entity));
    }
    // The run did leave rows behind: connects, jobs and refusals were recorded.
    expect(rows.join('\n')).toContain('connection.connect');

    const everything = { output: said.join('\n'), tables: rows.join('\n') };
    // Both runtimes' logs and the bodies were collected (the grep below has something to search).
    expect(everything.output.match(/Ctrl\+C stops/g)).toHaveLength(2);
    expect(everything.output).toContain('TOKEN_INVALID');
    for (const secret of [TOKEN, ...Object.values(BAD_TOKENS), ...hookSecrets]) {
      for (const [where, text] of Object.entries(everything)) {
        expect(text.includes(secret), `${secret.slice(0, 12)}… found in ${where}`).toBe(false);
      }
    }
  });
});
