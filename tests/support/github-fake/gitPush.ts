// Pushes in tests reach GitHub's delivery side: read what a push changed from the bare repository
// (git rev-parse before and after, rev-list, diff-tree), and have the fake deliver the push event
// GitHub would send for it.

import { git, type TestRepo } from '../gitRepos.js';
import type { DeliveryRecord, GitHubFake, PushCommit, PushEvent } from './index.js';

const ZERO_SHA = '0000000000000000000000000000000000000000';
// GitHub lists at most 2048 commits in a push payload; tests push far fewer.
const MAX_COMMITS = 2048;

async function run(gitDir: string, args: string[]): Promise<string> {
  return (await git(gitDir, args)).toString();
}

async function commitOf(gitDir: string, sha: string): Promise<PushCommit> {
  const fields = (
    await run(gitDir, ['show', '-s', '--format=%T%x00%an%x00%ae%x00%aI%x00%cn%x00%ce%x00%cI%x00%B', sha])
  ).split('\0');
  const [tree, authorName, authorEmail, authorDate, committerName, committerEmail, committerDate, message] =
    fields;
  const changes = (
    await run(gitDir, ['diff-tree', '--no-commit-id', '--name-status', '-r', '--root', '-z', sha])
  )
    .split('\0')
    .filter(Boolean);
  const added: string[] = [];
  const removed: string[] = [];
  const modified: string[] = [];
  for (let i = 0; i + 1 < changes.length; i += 2) {
    const list = changes[i] === 'A' ? added : changes[i] === 'D' ? removed : modified;
    list.push(changes[i + 1]!);
  }
  return {
    id: sha,
    tree_id: tree!,
    message: message!.trimEnd(),
    timestamp: committerDate!,
    author: { name: authorName!, email: authorEmail!, date: authorDate! },
    committer: { name: committerName!, email: committerEmail!, date: committerDate! },
    added,
    removed,
    modified,
  };
}

/** The push event GitHub would send for moving `ref` from before to after in the bare repository. */
export async function pushEventFromGit(
  barePath: string,
  ref: string,
  before: string,
  after: string,
  sender?: string,
): Promise<PushEvent> {
  const deleted = after === ZERO_SHA;
  const created = before === ZERO_SHA;
  let forced = false;
  let range = [after];
  if (!deleted && !created) {
    forced = await git(barePath, ['merge-base', '--is-ancestor', before, after]).then(
      () => false,
      () => true,
    );
    range = [`${before}..${after}`];
  }
  const shas = deleted
    ? []
    : (await run(barePath, ['rev-list', '--reverse', `--max-count=${MAX_COMMITS}`, ...range]))
        .split('\n')
        .filter(Boolean);
  const commits = await Promise.all(shas.map((sha) => commitOf(barePath, sha)));
  return { ref, before, after, sender, commits, created, deleted, forced };
}

/** Pushes the test repository's branch, then delivers the push through the fake to every active hook. */
export async function pushAndDeliver(
  repo: TestRepo,
  fake: GitHubFake,
  options: { fullName?: string; sender?: string } = {},
): Promise<{ before: string; after: string; deliveries: DeliveryRecord[] }> {
  const before = await repo.head().catch(() => ZERO_SHA);
  const after = await repo.push();
  const event = await pushEventFromGit(
    repo.barePath,
    `refs/heads/${repo.branch}`,
    before,
    after,
    options.sender,
  );
  const deliveries = await fake.deliverPush(options.fullName ?? repo.name, event);
  return { before, after, deliveries };
}
