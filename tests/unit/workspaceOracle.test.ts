// The helpers every sync test's verdict rests on (tests/support/gitRepos.ts): the oracle is the
// commit's blobs, and a folder compared with it fails on anything that is not exactly those files.

import { execFile } from 'node:child_process';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  archiveFiles,
  createTestRepo,
  fileDifferences,
  readFolderFiles,
  type ArchivedFile,
  type TestRepo,
} from '../support/gitRepos.js';

const file = (text: string, executable = false): ArchivedFile => ({ content: Buffer.from(text), executable });

describe('the oracle: a commit’s blobs', () => {
  let root: string;
  let repo: TestRepo;
  beforeEach(async () => {
    root = await mkdtemp(join(tmpdir(), 'oracle-'));
    repo = await createTestRepo(root, 'acme/oracle', { initialFiles: { 'a.txt': 'one\ntwo\n' } });
  });
  afterEach(async () => {
    await repo.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('holds the blob bytes where git archive applies .gitattributes, and leaves links out', async () => {
    await repo.write('.gitattributes', '*.txt eol=crlf\n');
    await repo.write('run.sh', '#!/bin/sh\n', { executable: true });
    await repo.symlink('link', 'a.txt');
    const commit = await repo.commitAndPush();
    const blobs = await repo.archive(commit);
    expect(
      fileDifferences(
        blobs,
        new Map([
          ['a.txt', file('one\ntwo\n')],
          ['.gitattributes', file('*.txt eol=crlf\n')],
          ['run.sh', file('#!/bin/sh\n', true)],
        ]),
      ),
    ).toEqual([]);
    // git archive would have written CRLF (and the link, which readFolderFiles refuses).
    await repo.remove('link');
    const withoutLink = await repo.commitAndPush();
    expect((await archiveFiles(repo.barePath, withoutLink)).get('a.txt')!.content.toString()).toBe(
      'one\r\ntwo\r\n',
    );
  });
});

describe('a folder compared with the files it must hold', () => {
  let folder: string;
  const expected = new Map([
    ['a.txt', file('a')],
    ['dir/run.sh', file('#!/bin/sh\n', true)],
  ]);
  beforeEach(async () => {
    folder = await mkdtemp(join(tmpdir(), 'oracle-folder-'));
    await mkdir(join(folder, 'dir'));
    await writeFile(join(folder, 'a.txt'), 'a', { mode: 0o644 });
    await writeFile(join(folder, 'dir', 'run.sh'), '#!/bin/sh\n', { mode: 0o755 });
  });
  afterEach(() => rm(folder, { recursive: true, force: true }));

  it('equal when it holds exactly those files', async () => {
    expect(fileDifferences(await readFolderFiles(folder), expected)).toEqual([]);
  });

  it('names a missing file, an extra file, other bytes and another exec bit', async () => {
    await rm(join(folder, 'a.txt'));
    await writeFile(join(folder, 'dir', 'extra.txt'), 'x');
    expect(fileDifferences(await readFolderFiles(folder), expected)).toEqual([
      'extra dir/extra.txt',
      'missing a.txt',
    ]);
    expect(
      fileDifferences(
        new Map([
          ['a.txt', file('b')],
          ['dir/run.sh', file('#!/bin/sh\n')],
        ]),
        expected,
      ),
    ).toEqual(['exec bit of dir/run.sh is false', 'other bytes in a.txt']);
  });

  it('fails on a symlink, even one to the right bytes, to a folder, or dangling', async () => {
    const outside = join(folder, '..', `${folder.split('/').at(-1)}-outside`);
    await writeFile(outside, 'a');
    try {
      await rm(join(folder, 'a.txt'));
      await symlink(outside, join(folder, 'a.txt')); // a stat- or readFile-based helper sees 'a' here
      await expect(readFolderFiles(folder)).rejects.toThrow(`a.txt is a symlink to ${outside}`);
      await rm(join(folder, 'a.txt'));
      await writeFile(join(folder, 'a.txt'), 'a');
      await symlink('..', join(folder, 'dir', 'up'));
      await expect(readFolderFiles(folder)).rejects.toThrow('dir/up is a symlink to ..');
      await rm(join(folder, 'dir', 'up'));
      await symlink('nowhere', join(folder, 'dangling'));
      await expect(readFolderFiles(folder)).rejects.toThrow('dangling is a symlink to nowhere');
    } finally {
      await rm(outside, { force: true });
    }
  });

  it('fails on a fifo', async () => {
    await promisify(execFile)('mkfifo', [join(folder, 'dir', 'pipe')]);
    await expect(readFolderFiles(folder)).rejects.toThrow('dir/pipe is neither a file nor a folder');
  });
});
