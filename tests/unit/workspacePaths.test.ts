// Hostile client paths: every one is refused with INVALID_PATH or resolves inside the root,
// before and after percent-decoding.

import fc from 'fast-check';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  encodePath,
  InvalidPathError,
  invalidPathReason,
  invalidSegmentReason,
  parseWorkspacePath,
} from '../../src/workspace/paths.js';
import { assertValidPath } from '../../src/workspace/validPath.js';
import { hostilePath } from '../support/hostilePaths.js';

const ROOT = '/srv/workspace';

function inside(path: string): boolean {
  const resolved = posix.resolve(ROOT, path);
  return resolved === ROOT || resolved.startsWith(`${ROOT}/`);
}

function thrownBy(action: () => unknown): unknown {
  try {
    action();
  } catch (error) {
    return error;
  }
  throw new Error('expected a throw');
}

describe('parseWorkspacePath', () => {
  it.each([
    '..',
    '../x',
    'a/../../b',
    'a/./b',
    'a\\b',
    '/etc/passwd',
    '//server/share',
    'a\u0000b',
    'a\nb',
    'a\u001fb',
    'CON',
    'dir/aux.txt',
    'com1',
    'a:b',
    'a|b',
    'a<b',
    'a>b',
    'a"b',
    'a*b',
    'a?b',
    'name.',
    'name ',
    'a//b',
    `${'x'.repeat(256)}`,
    '漢'.repeat(86), // 86 characters, 258 bytes: more than a local file system holds
    `${'é'.repeat(128)}`, // 256 bytes
    `${'a/'.repeat(1100)}a`,
  ])('refuses %j with INVALID_PATH', (raw) => {
    expect(() => parseWorkspacePath(raw)).toThrow(InvalidPathError);
    try {
      parseWorkspacePath(raw);
    } catch (error) {
      expect((error as InvalidPathError).code).toBe('INVALID_PATH');
    }
  });

  it.each([
    [undefined, ''], // GET /api/workspace/files: the route hands over no path at all
    ['', ''],
    ['/', ''],
    ['docs/readme.md', 'docs/readme.md'],
    ['docs/', 'docs'],
    ['100% done.txt', '100% done.txt'],
    ['.hidden/.env', '.hidden/.env'],
    // The router decoded the URL once; these are literal names (GET …/files/%252e%252e), kept as is.
    ['%2e%2e', '%2e%2e'],
    ['a/%2E%2e/b', 'a/%2E%2e/b'],
    ['a%2fb', 'a%2fb'],
    ['漢'.repeat(85), '漢'.repeat(85)], // 255 bytes of UTF-8
  ])('accepts %j as %j', (raw, expected) => {
    expect(parseWorkspacePath(raw)).toBe(expected);
  });

  // The reason is what the client reads in the 400 body ("Invalid path: …"), so it names the rule
  // the path breaks: ".." must not read as "ends with a dot", nor a backslash as any other character.
  it.each([
    ['/etc/passwd', '/etc/passwd', 'absolute path'],
    ['/etc/', '/etc/', 'absolute path'],
    ['..', '..', '".." segment'],
    ['a/../../b', 'a/../../b', '".." segment'],
    ['../', '..', '".." segment'],
    ['.', '.', '"." segment'],
    ['a/./b', 'a/./b', '"." segment'],
    ['a\\..\\b', 'a\\..\\b', 'backslash in path'],
    ['sub/.GIT/config', 'sub/.GIT/config', 'name git reserves (".GIT")'],
  ])('refuses %j (error path %j) with the reason %s', (raw, path, reason) => {
    const error = thrownBy(() => parseWorkspacePath(raw));
    expect(error).toBeInstanceOf(InvalidPathError);
    expect(error).toMatchObject({
      code: 'INVALID_PATH',
      name: 'InvalidPathError',
      message: `Invalid path: ${reason}`,
      path,
      reason,
    });
  });

  it('names a leading slash first, even on a path also over 2048 characters', () => {
    const raw = `/${'a/'.repeat(1100)}a`;
    expect(thrownBy(() => parseWorkspacePath(raw))).toMatchObject({ path: raw, reason: 'absolute path' });
  });

  it('never yields a path that leaves the root (stores never decode it again)', () => {
    fc.assert(
      fc.property(hostilePath, (raw) => {
        let path: string;
        try {
          path = parseWorkspacePath(raw);
        } catch (error) {
          return error instanceof InvalidPathError;
        }
        return inside(path) && !path.includes('\\') && !path.split('/').some((s) => s === '..' || s === '.');
      }),
      { numRuns: 5000 },
    );
  });
});

// CVE-2014-9390: git refuses to check out any name a file system may fold to ".git" (case on
// NTFS and HFS+, trailing dots and spaces Windows drops, the NTFS short name GIT~1, the code points
// HFS+ ignores: git's is_ntfs_dotgit and is_hfs_dotgit); written to the workspace, such a folder
// would be a repository's own .git for whoever checks the workspace out.
describe('invalidSegmentReason', () => {
  it.each([
    '.git',
    '.GIT',
    '.Git',
    'git~1',
    'GIT~1',
    '.g\u200cit', // ZERO WIDTH NON-JOINER, ignored by HFS+
    '\ufeff.git', // BYTE ORDER MARK
    '.git\u206f',
    '.git.\u200d', // a trailing dot, hidden from the trailing-dot rule by an ignored code point
    '.GIT .\u202a',
    '.git..\u200e',
    'git~1 \u200f',
  ])('refuses %j as a name git reserves', (name) => {
    expect(invalidSegmentReason(name)).toBe(`name git reserves ("${name}")`);
  });

  it.each([
    '.gitignore',
    '.github',
    '.gitmodules',
    'git',
    '.git~1',
    'git~2',
    'x.git',
    '.g it',
    '.\u200cgitx',
  ])('keeps %j, which only looks like .git', (name) => {
    expect(invalidSegmentReason(name)).toBeUndefined();
  });

  it.each([
    ['.git.', 'name ends with a dot or a space'],
    ['.git ', 'name ends with a dot or a space'],
    ['.', '"." segment'],
    ['..', '".." segment'],
  ])('gives %j the reason of the rule it breaks first: %s', (name, reason) => {
    expect(invalidSegmentReason(name)).toBe(reason);
  });
});

// The stores check every path again (validPath.ts), whoever called them: a path that skipped
// parseWorkspacePath, or one the sync planned, never reaches outside the workspace.
describe("assertValidPath (the stores' own check)", () => {
  it.each([
    ['/etc/passwd', 'absolute path'],
    ['/a', 'absolute path'],
    ['//server/share', 'absolute path'],
    ['a/', 'empty path segment'],
    ['a\\b', 'backslash in path'],
    ['..\\x', 'backslash in path'],
    ['../x', '".." segment'],
    ['a/..', '".." segment'],
    ['./x', '"." segment'],
    ['a/.git/hooks', 'name git reserves (".git")'],
  ])('refuses %j: %s', (path, reason) => {
    expect(invalidPathReason(path)).toBe(reason);
    const error = thrownBy(() => assertValidPath(path));
    expect(error).toBeInstanceOf(InvalidPathError);
    expect(error).toMatchObject({ code: 'INVALID_PATH', message: `Invalid path: ${reason}`, path, reason });
  });

  it.each(['', 'docs/readme.md', '.hidden/.gitignore', 'a b/c'])('accepts %j', (path) => {
    expect(invalidPathReason(path)).toBeUndefined();
    expect(() => assertValidPath(path)).not.toThrow();
  });
});

describe('encodePath', () => {
  it('percent-encodes each segment and keeps the slashes, so decoding each segment gives the path back', () => {
    expect(encodePath('a b/100%/c#d?.txt')).toBe('a%20b/100%25/c%23d%3F.txt');
    expect(encodePath('ünï/😀')).toBe('%C3%BCn%C3%AF/%F0%9F%98%80');
    for (const path of ['docs/a b.md', 'x/y%2fz', 'café/naïve.txt']) {
      expect(encodePath(path).split('/').map(decodeURIComponent).join('/')).toBe(path);
    }
  });
});
