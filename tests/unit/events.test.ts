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

  // A content type may carry parameters and any letter case (RFC 9110 §8.3.1).
  it.each(['application/x-www-form-urlencoded; charset=utf-8', 'Application/X-WWW-Form-URLEncoded'])(
    'reads the payload field of a form body sent as %s',
    (type) => {
      const form = `payload=${encodeURIComponent(JSON.stringify(push()))}`;
      expect(decodePayload(Buffer.from(form), type)).toEqual(push());
    },
  );
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
    ['a SHA in after (39 hex digits)', { after: 'a'.repeat(39) }],
    ['a SHA in after (41 hex digits)', { after: 'a'.repeat(41) }],
    ['a SHA in after (63 hex digits)', { after: 'a'.repeat(63) }],
    ['a SHA in after (65 hex digits)', { after: 'a'.repeat(65) }],
    ['a SHA in after (a SHA behind another character)', { after: `g${SHA}` }],
    ['a SHA in after (40 hex digits and 24 others)', { after: `${SHA}${'z'.repeat(24)}` }],
    ['a ref (empty)', { ref: '' }],
    ['repository (null)', { repository: null }],
    ['repository.full_name (empty)', { repository: { full_name: '' } }],
  ])('answers 400 for a push without %s', (_name, over) => {
    expect(codeOf(() => classifyDelivery('push', push(over)))).toBe('INVALID_PAYLOAD');
  });

  it.each([
    ['a SHA-1', SHA, SHA],
    ['a SHA-256', 'c'.repeat(64), 'c'.repeat(64)],
    ['an upper-case SHA-1', 'ABCDEF0123'.repeat(4), 'abcdef0123'.repeat(4)],
  ])('accepts %s in after, in lower case', (_name, after, expected) => {
    expect(classifyDelivery('push', push({ after }))).toMatchObject({ kind: 'push', after: expected });
  });

  it.each(['refs/pull/7/head', 'refs/notes/commits'])(
    'ignores a push to %s, naming the ref in the reason',
    (ref) => {
      expect(classifyDelivery('push', push({ ref }))).toEqual({
        kind: 'ignored',
        reason: expect.stringContaining(ref),
      });
    },
  );

  // GitHub marks a deletion with `deleted: true` and an all-zero `after`; either alone is enough.
  it.each([
    ['deleted: true and a zero after', { deleted: true, after: '0'.repeat(40) }, 'ignored'],
    ['deleted: true alone', { deleted: true }, 'ignored'],
    ['a zero after alone', { after: '0'.repeat(40) }, 'ignored'],
    ['a zero SHA-256 after alone', { after: '0'.repeat(64) }, 'ignored'],
    ['leading zeros in after', { after: `${'0'.repeat(39)}a` }, 'push'],
    ['trailing zeros in after', { after: `a${'0'.repeat(39)}` }, 'push'],
    ['deleted: false', { deleted: false }, 'push'],
  ])('tells a branch deletion from a push: %s', (_name, over, kind) => {
    expect(classifyDelivery('push', push(over)).kind).toBe(kind);
  });

  it.each([
    ['no sender', undefined, undefined],
    ['an empty login', { login: '' }, undefined],
    ['a login that is not a string', { login: 42 }, undefined],
    ['a login over 100 characters', { login: 'x'.repeat(150) }, 'x'.repeat(100)],
  ])(
    'records the sender only as a non-empty login of at most 100 characters: %s',
    (_name, sender, expected) => {
      const event = classifyDelivery('push', push({ sender }));
      expect(event).toMatchObject({ kind: 'push' });
      expect(event).toHaveProperty('sender', expected);
    },
  );
});
