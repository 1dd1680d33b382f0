import { describe, expect, it } from 'vitest';
import { classifyDelivery, decodePayload } from '../../src/github/events.js';
import { AppError } from '../../src/errors.js';

const SHA = 'a'.repeat(40);
const push = (over: Record<string, unknown> = {}) => ({
  ref: 'refs/heads/main',
  before: 'b'.repeat(40),
  after: SHA,
  repository: { full_name: 'Org/Repo', clone_url: 'https://evil.example/x.git' },
  ...over,
});

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (error) {
    return error instanceof AppError ? error.code : 'other';
  }
  return undefined;
}

describe('decodePayload', () => {
  it('reads JSON and form-encoded bodies', () => {
    const json = JSON.stringify(push());
    expect(decodePayload(Buffer.from(json), 'application/json')).toEqual(push());
    const form = `payload=${encodeURIComponent(json)}`;
    expect(decodePayload(Buffer.from(form), 'application/x-www-form-urlencoded')).toEqual(push());
  });

  it.each([
    ['empty body', '', 'application/json'],
    ['invalid JSON', '{"ref":', 'application/json'],
    ['a JSON array', '[]', 'application/json'],
    ['a JSON string', '"push"', 'application/json'],
    ['null', 'null', 'application/json'],
    ['a form without payload', 'other=1', 'application/x-www-form-urlencoded'],
  ])('answers 400 INVALID_PAYLOAD for %s', (_name, body, type) => {
    expect(codeOf(() => decodePayload(Buffer.from(body), type))).toBe('INVALID_PAYLOAD');
  });
});

describe('classifyDelivery', () => {
  it('recognises ping and ignores other events with a reason', () => {
    expect(classifyDelivery('ping', {})).toEqual({ kind: 'ping' });
    expect(classifyDelivery('issues', {})).toEqual({
      kind: 'ignored',
      reason: 'event "issues" is not handled',
    });
    expect(classifyDelivery(null, {})).toMatchObject({ kind: 'ignored' });
  });

  it('parses a push to a branch, unicode names included', () => {
    expect(classifyDelivery('push', push({ ref: 'refs/heads/feature/ünïcode-✓' }))).toEqual({
      kind: 'push',
      branch: 'feature/ünïcode-✓',
      after: SHA,
      repositoryFullName: 'Org/Repo',
      sender: undefined,
    });
  });

  it('keeps the sender login for the job, and nothing else of the sender', () => {
    expect(classifyDelivery('push', push({ sender: { login: 'octocat', id: 1 } }))).toMatchObject({
      kind: 'push',
      sender: 'octocat',
    });
  });

  it('ignores tags and branch deletions', () => {
    expect(classifyDelivery('push', push({ ref: 'refs/tags/v1' }))).toEqual({
      kind: 'ignored',
      reason: 'tag push',
    });
    expect(classifyDelivery('push', push({ deleted: true, after: '0'.repeat(40) }))).toMatchObject({
      kind: 'ignored',
      reason: expect.stringContaining('deleted'),
    });
  });

  it.each([
    ['ref', { ref: undefined }],
    ['after', { after: undefined }],
    ['repository', { repository: undefined }],
    ['repository.full_name', { repository: {} }],
    ['a SHA in after', { after: 'main' }],
  ])('answers 400 for a push without %s', (_name, over) => {
    expect(codeOf(() => classifyDelivery('push', push(over)))).toBe('INVALID_PAYLOAD');
  });
});
