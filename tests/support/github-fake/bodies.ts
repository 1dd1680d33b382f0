// Response bodies shaped as api.github.com sends them. The shapes are checked against GitHub's
// OpenAPI description (@octokit/openapi) in tests/unit/github-fake-openapi.test.ts; the values follow
// the description's examples (components/examples: full-repository, hook, hook-delivery-items).

import type { DeliveryRecord, FakeHook, FakeRepository } from './state.js';

export interface Urls {
  /** API root, e.g. http://127.0.0.1:1234 or http://127.0.0.1:1234/api/v3 (GHES). */
  api: string;
  /** Web root for html_url, e.g. http://127.0.0.1:1234 */
  web: string;
}

const DOCS = 'https://docs.github.com/rest';

export function errorBody(message: string, status: number, documentationUrl = DOCS) {
  return { message, documentation_url: documentationUrl, status: String(status) };
}

/**
 * GitHub failing, as its OpenAPI description documents it: `components/responses/internal_error`
 * (500, a basic-error) and `components/responses/service_unavailable` (503; `code`, `message` and
 * `documentation_url`, none required, so only the message is sent).
 */
export function outageBody(status: 500 | 503) {
  return { message: status === 500 ? 'Server Error' : 'Service Unavailable', documentation_url: DOCS };
}

export function validationFailed(errors: Array<Record<string, string>>, documentationUrl: string) {
  return { message: 'Validation Failed', errors, documentation_url: documentationUrl, status: '422' };
}

function iso(date: Date): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z');
}

function nodeId(kind: string, id: number): string {
  return Buffer.from(`0:${kind}${id}`).toString('base64').replace(/=+$/, '');
}

export function userBody(login: string, id: number, urls: Urls) {
  const api = `${urls.api}/users/${login}`;
  return {
    login,
    id,
    node_id: nodeId('User', id),
    avatar_url: `${urls.web}/avatars/u/${id}`,
    gravatar_id: '',
    url: api,
    html_url: `${urls.web}/${login}`,
    followers_url: `${api}/followers`,
    following_url: `${api}/following{/other_user}`,
    gists_url: `${api}/gists{/gist_id}`,
    starred_url: `${api}/starred{/owner}{/repo}`,
    subscriptions_url: `${api}/subscriptions`,
    organizations_url: `${api}/orgs`,
    repos_url: `${api}/repos`,
    events_url: `${api}/events{/privacy}`,
    received_events_url: `${api}/received_events`,
    type: 'User',
    user_view_type: 'public',
    site_admin: false,
  };
}

/** The `*_url` templates and counters every repository representation carries. */
function repositoryCommon(repository: FakeRepository, urls: Urls) {
  const api = `${urls.api}/repos/${repository.fullName}`;
  const html = `${urls.web}/${repository.fullName}`;
  const host = new URL(urls.web).host;
  return {
    id: repository.id,
    node_id: nodeId('Repository', repository.id),
    name: repository.name,
    full_name: repository.fullName,
    private: repository.private,
    owner: userBody(repository.owner, repository.id + 1, urls),
    html_url: html,
    description: null,
    fork: false,
    url: api,
    archive_url: `${api}/{archive_format}{/ref}`,
    assignees_url: `${api}/assignees{/user}`,
    blobs_url: `${api}/git/blobs{/sha}`,
    branches_url: `${api}/branches{/branch}`,
    collaborators_url: `${api}/collaborators{/collaborator}`,
    comments_url: `${api}/comments{/number}`,
    commits_url: `${api}/commits{/sha}`,
    compare_url: `${api}/compare/{base}...{head}`,
    contents_url: `${api}/contents/{+path}`,
    contributors_url: `${api}/contributors`,
    deployments_url: `${api}/deployments`,
    downloads_url: `${api}/downloads`,
    events_url: `${api}/events`,
    forks_url: `${api}/forks`,
    git_commits_url: `${api}/git/commits{/sha}`,
    git_refs_url: `${api}/git/refs{/sha}`,
    git_tags_url: `${api}/git/tags{/sha}`,
    git_url: `git://${host}/${repository.fullName}.git`,
    issue_comment_url: `${api}/issues/comments{/number}`,
    issue_events_url: `${api}/issues/events{/number}`,
    issues_url: `${api}/issues{/number}`,
    keys_url: `${api}/keys{/key_id}`,
    labels_url: `${api}/labels{/name}`,
    languages_url: `${api}/languages`,
    merges_url: `${api}/merges`,
    milestones_url: `${api}/milestones{/number}`,
    notifications_url: `${api}/notifications{?since,all,participating}`,
    pulls_url: `${api}/pulls{/number}`,
    releases_url: `${api}/releases{/id}`,
    ssh_url: `git@${host}:${repository.fullName}.git`,
    stargazers_url: `${api}/stargazers`,
    statuses_url: `${api}/statuses/{sha}`,
    subscribers_url: `${api}/subscribers`,
    subscription_url: `${api}/subscription`,
    tags_url: `${api}/tags`,
    teams_url: `${api}/teams`,
    trees_url: `${api}/git/trees{/sha}`,
    clone_url: repository.cloneUrl ?? `${html}.git`,
    mirror_url: null,
    hooks_url: `${api}/hooks`,
    svn_url: html,
    homepage: null,
    language: null,
    forks_count: 0,
    stargazers_count: 0,
    watchers_count: 0,
    size: 1,
    default_branch: repository.defaultBranch,
    open_issues_count: 0,
    is_template: false,
    topics: [],
    has_issues: true,
    has_projects: true,
    has_wiki: true,
    has_pages: false,
    has_downloads: true,
    has_discussions: false,
    archived: false,
    disabled: false,
    visibility: repository.private ? 'private' : 'public',
    license: null,
    forks: 0,
    open_issues: 0,
    watchers: 0,
  };
}

/** GET /repos/{owner}/{repo}: `permissions` only for an authenticated caller, as GitHub does. */
export function repositoryBody(repository: FakeRepository, urls: Urls, admin: boolean | undefined) {
  return {
    ...repositoryCommon(repository, urls),
    pushed_at: iso(repository.pushedAt),
    created_at: iso(repository.createdAt),
    updated_at: iso(repository.pushedAt),
    ...(admin === undefined
      ? {}
      : { permissions: { admin, maintain: admin, push: true, triage: true, pull: true } }),
    allow_forking: true,
    web_commit_signoff_required: false,
    network_count: 0,
    subscribers_count: 1,
  };
}

/** The repository inside a push payload: GitHub sends created_at and pushed_at as epoch seconds there. */
export function pushRepositoryBody(repository: FakeRepository, urls: Urls) {
  return {
    ...repositoryCommon(repository, urls),
    created_at: Math.floor(repository.createdAt.getTime() / 1000),
    updated_at: iso(repository.pushedAt),
    pushed_at: Math.floor(repository.pushedAt.getTime() / 1000),
    stargazers: 0,
    master_branch: repository.defaultBranch,
  };
}

/** A hook as the API shows it: the secret is masked, never echoed. */
export function hookBody(repository: FakeRepository, hook: FakeHook, urls: Urls) {
  const api = `${urls.api}/repos/${repository.fullName}/hooks/${hook.id}`;
  const { secret, ...config } = hook.config;
  return {
    type: 'Repository',
    id: hook.id,
    name: 'web',
    active: hook.active,
    events: hook.events,
    config: secret === undefined ? config : { ...config, secret: '********' },
    updated_at: iso(hook.updatedAt),
    created_at: iso(hook.createdAt),
    url: api,
    test_url: `${api}/test`,
    ping_url: `${api}/pings`,
    deliveries_url: `${api}/deliveries`,
    last_response: hook.lastResponse,
  };
}

export function deliveryItemBody(record: DeliveryRecord, repository: FakeRepository) {
  return {
    id: record.id,
    guid: record.guid,
    delivered_at: iso(record.deliveredAt),
    redelivery: false,
    duration: record.duration,
    status: record.status,
    status_code: record.statusCode,
    event: record.event,
    action: null,
    installation_id: null,
    repository_id: repository.id,
    throttled_at: null,
  };
}
