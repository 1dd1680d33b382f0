// Turns a verified delivery into what the app should do with it. Pure: no storage, no git.

import { AppError } from '../errors.js';

/** What a verified webhook delivery asks of the app. */
export type WebhookEvent =
  | { kind: 'ping' }
  | { kind: 'ignored'; reason: string }
  | {
      kind: 'push';
      branch: string;
      after: string;
      repositoryFullName: string;
      /** The GitHub login that pushed (`sender.login`), for the job's requestedBy. */
      sender?: string;
    };

export type PushEvent = Extract<WebhookEvent, { kind: 'push' }>;

const SHA = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;
const ZERO_SHA = /^0+$/;

function invalid(message: string): AppError {
  return new AppError('INVALID_PAYLOAD', message);
}

/** Decodes the body GitHub sent with either content type; the signature was checked on these bytes. */
export function decodePayload(body: Buffer, contentType: string | null): Record<string, unknown> {
  let text = body.toString('utf8');
  if (contentType?.toLowerCase().startsWith('application/x-www-form-urlencoded')) {
    const payload = new URLSearchParams(text).get('payload');
    if (payload === null) throw invalid('Form body has no "payload" field');
    text = payload;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw invalid('Body is not valid JSON');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw invalid('Body is not a JSON object');
  }
  return parsed as Record<string, unknown>;
}

function stringField(payload: Record<string, unknown>, name: string): string {
  const value = payload[name];
  if (typeof value !== 'string' || value === '') throw invalid(`push payload has no "${name}"`);
  return value;
}

export function classifyDelivery(event: string | null, payload: Record<string, unknown>): WebhookEvent {
  if (event === 'ping') return { kind: 'ping' };
  if (event !== 'push') return { kind: 'ignored', reason: `event "${event ?? '(none)'}" is not handled` };

  const ref = stringField(payload, 'ref');
  const after = stringField(payload, 'after').toLowerCase();
  const sender = (payload.sender as Record<string, unknown> | undefined)?.login;
  const repository = payload.repository as Record<string, unknown> | undefined;
  const fullName = repository && typeof repository === 'object' ? repository.full_name : undefined;
  if (typeof fullName !== 'string' || fullName === '')
    throw invalid('push payload has no "repository.full_name"');
  if (!SHA.test(after)) throw invalid('push payload "after" is not a commit SHA');

  if (!ref.startsWith('refs/heads/')) {
    return {
      kind: 'ignored',
      reason: ref.startsWith('refs/tags/') ? 'tag push' : `ref "${ref}" is not a branch`,
    };
  }
  if (payload.deleted === true || ZERO_SHA.test(after)) {
    return { kind: 'ignored', reason: 'branch deleted; the workspace is kept' };
  }
  return {
    kind: 'push',
    branch: ref.slice('refs/heads/'.length),
    after,
    repositoryFullName: fullName,
    sender: typeof sender === 'string' && sender !== '' ? sender.slice(0, 100) : undefined,
  };
}
