// What GitHub accepts as a repository hook (https://docs.github.com/rest/repos/webhooks#create-a-repository-webhook):
// a config with a URL, content type `json` or `form` (the default), and no second hook with the same
// URL and overlapping events. Messages are GitHub's for the duplicate and the hook limit; the others
// keep GitHub's 422 shape with the fake's own wording.

import type { FakeHook, FakeHookConfig, FakeRepository } from './state.js';

// "You can create up to 20 webhooks for each event on each installation target"
// (https://docs.github.com/webhooks/using-webhooks/creating-webhooks).
const HOOKS_PER_EVENT = 20;

export function customError(message: string): Record<string, string> {
  return { resource: 'Hook', code: 'custom', message };
}

/** A config, or the validation message GitHub would give. */
export function parseConfig(raw: unknown, previous: FakeHookConfig | undefined): FakeHookConfig | string {
  const config = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
  const url = typeof config.url === 'string' ? config.url : previous?.url;
  if (!url) return 'Config must contain a URL';
  try {
    new URL(url);
  } catch {
    return 'Config url is not a valid URL';
  }
  const contentType = config.content_type ?? previous?.content_type ?? 'form';
  if (contentType !== 'json' && contentType !== 'form') return 'Config content_type must be json or form';
  const insecure = String(config.insecure_ssl ?? previous?.insecure_ssl ?? '0');
  return {
    url,
    content_type: contentType,
    insecure_ssl: insecure === '1' ? '1' : '0',
    ...(typeof config.secret === 'string' && config.secret !== '' ? { secret: config.secret } : {}),
  };
}

/** "Multiple webhooks can share the same config as long as those webhooks do not have any events that overlap." */
export function hookConflict(
  repository: FakeRepository,
  url: string,
  events: string[],
  self: number | undefined,
): string | undefined {
  const others = [...repository.hooks.values()].filter((hook) => hook.id !== self);
  const overlaps = (hook: FakeHook) =>
    hook.events.includes('*') || events.includes('*') || hook.events.some((e) => events.includes(e));
  if (others.some((hook) => hook.config.url === url && overlaps(hook))) {
    return 'Hook already exists on this repository';
  }
  const full = events.find(
    (event) => others.filter((hook) => hook.events.includes(event)).length >= HOOKS_PER_EVENT,
  );
  return full === undefined
    ? undefined
    : `The "${full}" event cannot have more than ${HOOKS_PER_EVENT} hooks`;
}
