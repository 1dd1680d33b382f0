// Hostile client paths: every one is refused with INVALID_PATH or resolves inside the root,
// before and after percent-decoding.

import fc from 'fast-check';
import { posix } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InvalidPathError, parseWorkspacePath } from '../../src/workspace/paths.js';
import { hostilePath } from '../support/hostilePaths.js';

const ROOT = '/srv/workspace';

function inside(path: string): boolean {
  const resolved = posix.resolve(ROOT, path);
  return resolved === ROOT || resolved.startsWith(`${ROOT}/`);
}

function decodedOrSame(path: string): string {
  try {
    return decodeURIComponent(path);
  } catch {
    return path;
  }
}

describe('parseWorkspacePath', () => {
  it.each([
    '..',
    '../x',
    'a/../../b',
    'a/./b',
    '%2e%2e/etc',
    'a/%2E%2e/b',
    'a%2fb',
    '..%2f..%2fetc',
    'a%5cb',
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
  ])('accepts %j as %j', (raw, expected) => {
    expect(parseWorkspacePath(raw)).toBe(expected);
  });

  it('never yields a path that leaves the root, raw or decoded', () => {
    fc.assert(
      fc.property(hostilePath, (raw) => {
        let path: string;
        try {
          path = parseWorkspacePath(raw);
        } catch (error) {
          return error instanceof InvalidPathError;
        }
        const decoded = decodedOrSame(path);
        return (
          inside(path) &&
          inside(decoded) &&
          !path.includes('\\') &&
          !decoded.includes('\\') &&
          !path.split('/').some((s) => s === '..' || s === '.') &&
          !decoded.split('/').some((s) => s === '..' || s === '.')
        );
      }),
      { numRuns: 5000 },
    );
  });
});
