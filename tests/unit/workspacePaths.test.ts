// Hostile client paths: every one is refused with INVALID_PATH or resolves inside the root,
// before and after percent-decoding.

import fc from 'fast-check';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { encodePath, InvalidPathError, parseWorkspacePath } from '../../src/workspace/paths.js';
import { hostilePath } from '../support/hostilePaths.js';

const ROOT = '/srv/workspace';

function inside(path: string): boolean {
  const resolved = posix.resolve(ROOT, path);
  return resolved === ROOT || resolved.startsWith(`${ROOT}/`);
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

describe('encodePath', () => {
  it('percent-encodes each segment and keeps the slashes, so decoding each segment gives the path back', () => {
    expect(encodePath('a b/100%/c#d?.txt')).toBe('a%20b/100%25/c%23d%3F.txt');
    expect(encodePath('ünï/😀')).toBe('%C3%BCn%C3%AF/%F0%9F%98%80');
    for (const path of ['docs/a b.md', 'x/y%2fz', 'café/naïve.txt']) {
      expect(encodePath(path).split('/').map(decodeURIComponent).join('/')).toBe(path);
    }
  });
});
