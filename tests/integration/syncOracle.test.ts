// The sync tests' verdict, expectStoreEquals, fails on every way a workspace can differ from the
// commit: a missing or extra file, and a symlink the local store's API would never show.

import { rm, symlink, unlink, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { TEMP_PREFIX } from '../../src/workspace/localStore.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

describe('expectStoreEquals (local backend)', () => {
  let h: SyncHarness;
  let commit: string;
  beforeAll(async () => {
    h = await createSyncHarness();
    await h.repo.writeAll({ 'scripts/run.sh': '#!/bin/sh\n', 'notes.txt': 'notes\n' });
    commit = await h.repo.commitAndPush();
    await h.enqueue('connect');
    expect(await h.deliver()).toEqual(['succeeded']);
  });
  afterAll(() => h.close());
  beforeEach(() => h.expectStoreEquals(commit, [])); // each case starts from an equal workspace

  it('fails on a symlink written into the workspace, which the store does not list', async () => {
    const link = join(h.workspacePath, 'scripts', 'passwd');
    await symlink('/etc/passwd', link);
    try {
      expect((await h.store.list('scripts')).map((entry) => entry.path)).toEqual(['scripts/run.sh']);
      await expect(h.expectStoreEquals(commit, [])).rejects.toThrow(
        'scripts/passwd is a symlink to /etc/passwd',
      );
    } finally {
      await unlink(link);
    }
  });

  it('fails on a file replaced by a symlink to the same bytes', async () => {
    const outside = join(h.sandbox, 'notes-copy.txt');
    await writeFile(outside, 'notes\n');
    await rm(join(h.workspacePath, 'notes.txt'));
    await symlink(outside, join(h.workspacePath, 'notes.txt'));
    try {
      await expect(h.expectStoreEquals(commit, [])).rejects.toThrow(/notes\.txt/);
    } finally {
      await rm(join(h.workspacePath, 'notes.txt'));
      await h.store.write('notes.txt', Buffer.from('notes\n'));
    }
  });

  it('fails on a missing file and on an extra file', async () => {
    await h.store.deleteFile('notes.txt');
    await expect(h.expectStoreEquals(commit, [])).rejects.toThrow(/missing notes\.txt/);
    await h.store.write('notes.txt', Buffer.from('notes\n'));
    await h.store.write('scripts/extra.sh', Buffer.from('echo\n'));
    try {
      await expect(h.expectStoreEquals(commit, [])).rejects.toThrow(/extra scripts\/extra\.sh/);
    } finally {
      await h.store.deleteFile('scripts/extra.sh');
    }
  });

  it('fails on a temp file the store hides', async () => {
    const temp = join(h.workspacePath, `${TEMP_PREFIX}leftover`);
    await writeFile(temp, 'half');
    try {
      expect((await h.store.list('')).map((entry) => entry.path).sort()).toEqual([
        'README.md',
        'notes.txt',
        'scripts',
      ]);
      await expect(h.expectStoreEquals(commit, [])).rejects.toThrow(`extra ${TEMP_PREFIX}leftover`);
    } finally {
      await unlink(temp);
    }
  });
});
