// The local stand-in for a GitHub delivery: a `push` payload built from a repository's branch
// head (or a given commit), signed with the webhook secret as GitHub signs it, and posted.

import { randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { fullName } from '../github/repository.js';
import { sign } from '../github/signature.js';
import { gitClient } from '../git/client.js';

const ZERO = '0'.repeat(40);

export interface PushOptions {
  /** A local repository folder or a clone URL. */
  repository: string;
  branch: string;
  /** Send the push as if this commit were the head (an older delivery); the branch head otherwise. */
  commit?: string;
  token?: string;
}

/** Runs git in dir through the app's one git runner (src/git/client.ts). */
async function git(dir: string, args: string[], token?: string): Promise<string> {
  return (await gitClient({ token }, { baseDir: dir }).raw(args)).trim();
}

function isUrl(text: string): boolean {
  return /^[a-z][a-z0-9+.-]*:\/\//i.test(text);
}

/** A local folder to read commits from: the repository itself, or a shallow fetch of the URL. */
async function localCopy(options: PushOptions): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  if (!isUrl(options.repository)) return { dir: resolve(options.repository), cleanup: async () => {} };
  const dir = await mkdtemp(join(tmpdir(), 'webhook-'));
  await git(dir, ['init', '-q', '--bare']);
  await git(
    dir,
    [
      'fetch',
      '-q',
      '--depth=2',
      '--',
      options.repository,
      `+refs/heads/${options.branch}:refs/heads/${options.branch}`,
    ],
    options.token,
  );
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

function files(nameStatus: string) {
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (const line of nameStatus.split('\n').filter(Boolean)) {
    const [status, ...paths] = line.split('\t');
    const path = paths[paths.length - 1]!;
    if (status === 'A') added.push(path);
    else if (status === 'D') removed.push(path);
    else modified.push(path);
  }
  return { added, removed, modified };
}

export async function buildPushPayload(options: PushOptions): Promise<Record<string, unknown>> {
  const { dir, cleanup } = await localCopy(options);
  try {
    const after = await git(dir, [
      'rev-parse',
      '--verify',
      `${options.commit ?? `refs/heads/${options.branch}`}^{commit}`,
    ]);
    // A root commit has no parent: `-q` makes git answer nothing (simple-git does not throw then).
    const before = (await git(dir, ['rev-parse', '--verify', '-q', `${after}^`]).catch(() => '')) || ZERO;
    const format = ['%T', '%an', '%ae', '%aI', '%cn', '%ce', '%B'].join('%x00');
    const [tree, authorName, authorEmail, timestamp, committerName, committerEmail, message] = (
      await git(dir, ['show', '-s', `--format=${format}`, after])
    ).split('\0');
    const changes =
      before === ZERO
        ? await git(dir, ['show', '--format=', '--name-status', '--no-renames', after])
        : await git(dir, ['diff-tree', '-r', '--name-status', '--no-renames', before, after]);
    const cloneUrl = isUrl(options.repository) ? options.repository : pathToFileURL(dir).href;
    const name = fullName(cloneUrl);
    if (!name) throw new Error(`Cannot tell owner/name from "${options.repository}"`);
    const [owner, repo] = name.split('/');
    const commit = {
      id: after,
      tree_id: tree,
      distinct: true,
      message: message?.trim(),
      timestamp,
      author: { name: authorName, email: authorEmail },
      committer: { name: committerName, email: committerEmail },
      ...files(changes),
    };
    return {
      ref: `refs/heads/${options.branch}`,
      before,
      after,
      created: before === ZERO,
      deleted: false,
      forced: false,
      repository: {
        name: repo,
        full_name: name,
        owner: { login: owner, name: owner },
        clone_url: cloneUrl,
        default_branch: options.branch,
      },
      pusher: { name: authorName, email: authorEmail },
      sender: { login: owner },
      commits: [commit],
      head_commit: commit,
    };
  } finally {
    await cleanup();
  }
}

export interface DeliveryResult {
  status: number;
  body: string;
  deliveryId: string;
  /** `Location`-style URL of the job, when the app queued one. */
  jobUrl?: string;
}

/** Posts the payload as GitHub does: `X-GitHub-Event`, `X-GitHub-Delivery`, `X-Hub-Signature-256`. */
export async function deliver(options: {
  url: string;
  secret: string;
  payload: unknown;
  event?: string;
  deliveryId?: string;
}): Promise<DeliveryResult> {
  const body = JSON.stringify(options.payload);
  const deliveryId = options.deliveryId ?? randomUUID();
  const base = options.url.replace(/\/+$/, '');
  const res = await fetch(`${base}/api/github/webhook`, {
    method: 'POST',
    body,
    headers: {
      'Content-Type': 'application/json',
      'User-Agent': 'GitHub-Hookshot/local',
      'X-GitHub-Event': options.event ?? 'push',
      'X-GitHub-Delivery': deliveryId,
      'X-Hub-Signature-256': sign(options.secret, body),
    },
  });
  const text = await res.text();
  let jobId: unknown;
  try {
    jobId = (JSON.parse(text) as { jobId?: unknown }).jobId;
  } catch {
    jobId = undefined;
  }
  return {
    status: res.status,
    body: text,
    deliveryId,
    jobUrl: typeof jobId === 'string' ? `${base}/api/sync/jobs/${encodeURIComponent(jobId)}` : undefined,
  };
}
