import { describe, expect, it } from 'vitest';
import {
  fullName,
  sameRepository,
  validateBranch,
  tokenFor,
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
  const github = { hosts: ['github.com'], allowLocalRepos: false };
  const local = { hosts: ['github.com'], allowLocalRepos: true };

  it('accepts https on a listed host, and local URLs only when allowed', () => {
    expect(validateRepositoryUrl('https://github.com/o/r.git', github)).toBe('https://github.com/o/r.git');
    expect(validateRepositoryUrl('https://GitHub.com:443/o/r', github)).toBe('https://github.com/o/r');
    expect(validateRepositoryUrl('file:///srv/o/r.git', local)).toBe('file:///srv/o/r.git');
    expect(validateRepositoryUrl('http://127.0.0.1:9/o/r.git', local)).toBe('http://127.0.0.1:9/o/r.git');
    // A listed loopback host allows plain http there (the tests' token-guarded git server).
    const listed = { hosts: ['127.0.0.1'], allowLocalRepos: false };
    expect(validateRepositoryUrl('http://127.0.0.1:9/o/r.git', listed)).toBe('http://127.0.0.1:9/o/r.git');
    const ghes = { hosts: ['ghe.example.com:8443'], allowLocalRepos: false };
    expect(validateRepositoryUrl('https://ghe.example.com:8443/o/r', ghes)).toBe(
      'https://ghe.example.com:8443/o/r',
    );
  });

  it.each([
    ['an unlisted https host', 'https://gitlab.com/o/r.git', local],
    [
      'a listed name on another port',
      'https://ghe.example.com:9999/o/r',
      { hosts: ['ghe.example.com:8443'], allowLocalRepos: true },
    ],
    ['a look-alike host', 'https://github.com.evil.example/o/r', local],
    ['https to loopback (a port-scan oracle)', 'https://127.0.0.1:22/o/r', local],
    ['loopback in hex', 'https://0x7f000001:22/o/r', local],
    ['a link-local address', 'https://169.254.169.254/o/r', local],
    ['a private address', 'https://10.0.0.1/o/r', local],
    ['file URL while local repos are off', 'file:///srv/o/r.git', github],
    ['loopback http while local repos are off', 'http://127.0.0.1:9/o/r.git', github],
  ])('refuses %s with 400 HOST_NOT_ALLOWED', (_name, url, policy) => {
    expect(() => validateRepositoryUrl(url, policy)).toThrow(
      expect.objectContaining({ code: 'HOST_NOT_ALLOWED' }),
    );
  });

  it.each([
    ['http to another host', 'http://github.com/o/r.git', local],
    ['ssh', 'ssh://git@github.com/o/r.git', local],
    ['credentials in the URL', 'https://user:ghp_secret@github.com/o/r.git', github],
    ['an option-looking string', '--upload-pack=touch /tmp/x', local],
    ['no owner', 'https://github.com/r', github],
    ['not a string', 42, github],
  ])('rejects %s with 400 INVALID_REPOSITORY_URL', (_name, url, policy) => {
    expect(() => validateRepositoryUrl(url, policy)).toThrow(
      expect.objectContaining({ code: 'INVALID_REPOSITORY_URL' }),
    );
  });

  it('does not echo credentials back in the error', () => {
    expect(() => validateRepositoryUrl('https://u:ghp_secret@github.com/o/r.git', github)).toThrow(
      expect.not.objectContaining({ message: expect.stringContaining('ghp_secret') }),
    );
  });

  it('hands the token only to listed hosts, over https or loopback http', () => {
    const hosts = ['github.com', '127.0.0.1'];
    expect(tokenFor('https://github.com/o/r', 't', hosts)).toBe('t');
    expect(tokenFor('http://127.0.0.1:8/o/r', 't', hosts)).toBe('t');
    expect(tokenFor('http://127.0.0.1:8/o/r', 't', ['github.com'])).toBeUndefined();
    expect(tokenFor('http://github.com/o/r', 't', hosts)).toBeUndefined();
    expect(tokenFor('https://gitlab.com/o/r', 't', hosts)).toBeUndefined();
    expect(tokenFor('file:///srv/o/r', 't', hosts)).toBeUndefined();
    expect(tokenFor('https://github.com/o/r', undefined, hosts)).toBeUndefined();
  });

  it('validates branch names', () => {
    expect(validateBranch('feature/ü-1')).toBe('feature/ü-1');
    for (const bad of ['', '-x', 'a..b', 'a b', 'a~1', 'a:b', 'x.lock', 'a//b', 'a/', '.x', 'a\\b']) {
      expect(() => validateBranch(bad), bad).toThrow(expect.objectContaining({ code: 'INVALID_BRANCH' }));
    }
  });
});
