// Issue 10, item 10: names that git cannot check out (too long for the file system, `.git` in
// another spelling, NTFS short names …) used to fail the clone, and with it the whole job. The
// sync reads from the object database now, so such trees clone; the plan skips the names the
// workspace cannot hold and lists them, and the job succeeds. The trees are built from objects
// (mktree), as no checkout could produce them.

import { readdir } from 'node:fs/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SyncJob } from '../../src/jobs/types.js';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

const skippedOf = (job: SyncJob) =>
  Object.fromEntries((job.skippedPaths ?? []).map((s) => [s.path, s.reason]));

describe('trees no checkout could hold', () => {
  let h: SyncHarness;

  beforeAll(async () => {
    h = await createSyncHarness();
  });
  afterAll(async () => {
    await h.close();
  });

  async function syncTree(files: Record<string, string>) {
    const commit = await h.repo.pushTree(files);
    const jobId = await h.enqueue('manual');
    expect(await h.deliver()).toEqual(['succeeded']);
    const job = await h.job(jobId);
    expect(job).toMatchObject({ status: 'succeeded', commitSynced: commit });
    // The temp clone, and the cat-file process working in it, are gone.
    expect((await readdir(h.sandbox)).filter((name) => name.startsWith('workspace-sync-'))).toEqual([]);
    return { commit, job };
  }

  it('clones and skips names the checkout failed on (256 bytes, .git/, NTFS-hostile), listing them', async () => {
    const tooLong = 'a'.repeat(256);
    const { commit, job } = await syncTree({
      'kept.txt': 'kept\n',
      'docs/kept.md': 'kept too\n',
      [tooLong]: 'a long name\n',
      [`docs/${tooLong}`]: 'a long name in a folder\n',
      '.git/hooks/post-checkout': '#!/bin/sh\necho owned\n',
      '.git./x': 'dotgit with a trailing dot (NTFS drops it)\n',
      'con.txt': 'reserved device name\n',
      'a:b': 'colon (an NTFS stream)\n',
      'back\\slash': 'backslash\n',
    });
    expect(skippedOf(job)).toEqual({
      [tooLong]: 'name longer than 255 bytes (UTF-8)',
      [`docs/${tooLong}`]: 'name longer than 255 bytes (UTF-8)',
      '.git/hooks/post-checkout': 'excluded by SYNC_EXCLUDE',
      '.git./x': 'name ends with a dot or a space',
      'con.txt': 'reserved name "con.txt"',
      'a:b': 'character Azure Files cannot hold (" \\ : | < > * ?)',
      'back\\slash': 'backslash in path',
    });
    await h.expectStoreEquals(commit, Object.keys(skippedOf(job)));
  });

  // src/workspace/paths.ts: a segment over 255 bytes in UTF-8 (漢×100 would fail the write on the
  // local store with ENAMETOOLONG), and every segment git reserves (".git" in any case, with
  // trailing dots or spaces or HFS-ignorable characters, and its NTFS short name "git~1").
  it('skips names over 255 UTF-8 bytes and every spelling of .git in any folder', async () => {
    const files = {
      'kept.txt': 'kept\n',
      ['漢'.repeat(100)]: '300 bytes in UTF-8\n',
      '.GIT/config': 'upper case\n',
      '.Git/x': 'mixed case\n',
      'git~1/x': 'NTFS short name of .git\n',
      'GIT~1/x': 'NTFS short name, upper case\n',
      '.g\u200cit/x': 'HFS+ ignores U+200C: this is .git there\n',
      'sub/.git/config': '.git below the root\n',
      'sub/.GIT/hooks/pre-commit': 'and in another case\n',
    };
    const { commit, job } = await syncTree(files);
    const hostile = Object.keys(files).filter((path) => path !== 'kept.txt');
    expect(Object.keys(skippedOf(job)).sort()).toEqual(hostile.sort());
    await h.expectStoreEquals(commit, hostile);
  });
});
