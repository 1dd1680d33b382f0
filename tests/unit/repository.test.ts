import { describe, expect, it } from 'vitest';
import {
  fullName,
  sameRepository,
  validateBranch,
  validateRepositoryUrl,
} from '../../src/github/repository.js';

describe('repository full name', () => {
  it.each([
    ['https://github.com/org/repo.git', 'org/repo'],
    ['https://github.com/org/repo', 'org/repo'],
    ['https://github.com/org/repo/', 'org/repo'],
    ['file:///srv/git/org/repo.git', 'org/repo'],
    ['http://127.0.0.1:8080/git/Org/My%20Repo.git', 'Org/My Repo'],
    ['https://github.com/repo', undefined],
  ])('%s → %s', (url, name) => expect(fullName(url)).toBe(name));

  it('matches the payload name ignoring case', () => {
    expect(sameRepository('https://github.com/Org/Repo.git', 'org/REPO')).toBe(true);
    expect(sameRepository('https://github.com/Org/Repo.git', 'org/other')).toBe(false);
    expect(sameRepository('https://github.com/Org/Repo.git', undefined)).toBe(false);
  });
});

describe('repository URL policy', () => {
  it('accepts https always and local URLs only when allowed', () => {
    expect(validateRepositoryUrl('https://github.com/o/r.git', false)).toBe('https://github.com/o/r.git');
    expect(validateRepositoryUrl('file:///srv/o/r.git', true)).toBe('file:///srv/o/r.git');
    expect(validateRepositoryUrl('http://127.0.0.1:9/o/r.git', true)).toBe('http://127.0.0.1:9/o/r.git');
  });

  it.each([
    ['file URL while local repos are off', 'file:///srv/o/r.git', false],
    ['loopback http while local repos are off', 'http://127.0.0.1:9/o/r.git', false],
    ['http to another host', 'http://github.com/o/r.git', true],
    ['ssh', 'ssh://git@github.com/o/r.git', true],
    ['credentials in the URL', 'https://user:ghp_secret@github.com/o/r.git', false],
    ['an option-looking string', '--upload-pack=touch /tmp/x', true],
    ['no owner', 'https://github.com/r', false],
    ['not a string', 42, false],
  ])('rejects %s with 400 INVALID_REPOSITORY_URL', (_name, url, allow) => {
    expect(() => validateRepositoryUrl(url, allow as boolean)).toThrow(
      expect.objectContaining({ status: 400, code: 'INVALID_REPOSITORY_URL' }),
    );
  });

  it('does not echo credentials back in the error', () => {
    expect(() => validateRepositoryUrl('https://u:ghp_secret@github.com/o/r.git', false)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('ghp_secret') }),
    );
  });

  it('validates branch names', () => {
    expect(validateBranch('feature/ü-1')).toBe('feature/ü-1');
    for (const bad of ['', '-x', 'a..b', 'a b', 'a~1', 'a:b', 'x.lock', 'a//b', 'a/', '.x', 'a\\b']) {
      expect(() => validateBranch(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_BRANCH' }));
    }
  });
});
