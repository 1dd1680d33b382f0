// Event payloads as GitHub sends them (https://docs.github.com/webhooks/webhook-events-and-payloads#push
// and #ping); their shapes are checked against the OpenAPI description's webhook-push and webhook-ping.

import { hookBody, pushRepositoryBody, repositoryBody, userBody, type Urls } from './bodies.js';
import type { FakeHook, FakeRepository } from './state.js';

const ZERO_SHA = '0000000000000000000000000000000000000000';

export interface PushPerson {
  name: string;
  email: string;
  /** ISO 8601 with offset. */
  date?: string;
  username?: string;
}

export interface PushCommit {
  id: string;
  tree_id: string;
  message: string;
  /** ISO 8601 with offset, as git records it. */
  timestamp: string;
  author: PushPerson;
  committer: PushPerson;
  added: string[];
  removed: string[];
  modified: string[];
}

export interface PushEvent {
  ref: string;
  before: string;
  after: string;
  /** Login of the user who pushed; default `octocat`. */
  sender?: string;
  /** Oldest first, as GitHub lists them; the last one is head_commit. */
  commits?: PushCommit[];
  /** Default: `before` is all zeros. */
  created?: boolean;
  /** Default: `after` is all zeros. */
  deleted?: boolean;
  forced?: boolean;
}

export function pushPayload(repository: FakeRepository, urls: Urls, event: PushEvent) {
  const sender = event.sender ?? 'octocat';
  const html = `${urls.web}/${repository.fullName}`;
  const commits = (event.commits ?? []).map((commit) => ({
    ...commit,
    distinct: true,
    url: `${html}/commit/${commit.id}`,
  }));
  const deleted = event.deleted ?? event.after === ZERO_SHA;
  return {
    ref: event.ref,
    before: event.before,
    after: event.after,
    repository: pushRepositoryBody(repository, urls),
    pusher: { name: sender, email: `${sender}@users.noreply.github.com` },
    sender: userBody(sender, 583231, urls),
    created: event.created ?? event.before === ZERO_SHA,
    deleted,
    forced: event.forced ?? false,
    base_ref: null,
    compare: `${html}/compare/${event.before.slice(0, 12)}...${event.after.slice(0, 12)}`,
    commits: deleted ? [] : commits,
    head_commit: deleted ? null : (commits.at(-1) ?? null),
  };
}

export function pingPayload(repository: FakeRepository, hook: FakeHook, urls: Urls, sender = 'octocat') {
  return {
    zen: 'Keep it logically awesome.',
    hook_id: hook.id,
    hook: hookBody(repository, hook, urls),
    // Unlike a push, a ping carries the repository with ISO timestamps.
    repository: repositoryBody(repository, urls, undefined),
    sender: userBody(sender, 583231, urls),
  };
}
