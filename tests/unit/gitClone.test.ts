// cloneBranch against a real repository on disk (file://, no server): no checkout, the tree from
// ls-tree, content from one real `git cat-file --batch`, which ends when the checkout is removed.

import { randomBytes } from 'node:crypto';
import { mkdir, mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { buffer } from 'node:stream/consumers';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BUFFERED_BLOB_BYTES } from '../../src/git/blobReader.js';
import { cloneBranch, type Checkout } from '../../src/git/clone.js';
import { createTestRepo, type ArchivedFile, type TestRepo } from '../support/gitRepos.js';

/** Our child processes running `git cat-file` (Linux /proc). */
async function catFileChildren(): Promise<number[]> {
  const found: number[] = [];
  for (const name of await readdir('/proc')) {
    if (!/^\d+$/.test(name)) continue;
    const stat = await readFile(`/proc/${name}/stat`, 'utf8').catch(() => '');
    const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const command = await readFile(`/proc/${name}/cmdline`, 'utf8').catch(() => '');
    if (parent === process.pid && command.split('\0').includes('cat-file')) found.push(Number(name));
  }
  return found;
}

describe('cloneBranch', () => {
  let root: string;
  let temp: string;
  let repo: TestRepo;
  let committed: Map<string, ArchivedFile>;
  let checkout: Checkout;

  beforeAll(async () => {
    root = await mkdtemp(join(tmpdir(), 'git-clone-test-'));
    temp = join(root, 'temp');
    repo = await createTestRepo(root, 'acme/blobs');
    const files: Record<string, Buffer> = {};
    for (let i = 0; i < 60; i++) files[`many/file-${i}.txt`] = randomBytes(i * 97);
    files['large/one.bin'] = randomBytes(BUFFERED_BLOB_BYTES * 3 + 5);
    files['large/two.bin'] = randomBytes(BUFFERED_BLOB_BYTES + 1);
    await repo.writeAll(files);
    const commit = await repo.commitAndPush('blobs');
    committed = await repo.archive(commit);
    await mkdir(temp);
    checkout = await cloneBranch(`file://${repo.barePath}`, repo.branch, {}, { tempDir: temp });
    expect(checkout.commit).toBe(commit);
  });
  afterAll(async () => {
    await checkout.remove();
    await repo.cleanup();
    await rm(root, { recursive: true, force: true });
  });

  it('checks nothing out: the clone folder holds only .git', async () => {
    const [folder] = await readdir(temp);
    expect(await readdir(join(temp, folder!, 'repo'))).toEqual(['.git']);
  });

  it('gives every blob exactly, to many concurrent callers, through one cat-file process', async () => {
    const entries = checkout.tree.filter((e) => e.mode === '100644');
    expect(entries.map((e) => e.path).sort()).toEqual([...committed.keys()].sort());
    const reads = entries.map((entry) => checkout.content(entry));
    expect(await catFileChildren()).toHaveLength(1);
    for (const [i, entry] of entries.entries()) {
      const body = await reads[i]!;
      expect(Buffer.isBuffer(body)).toBe(entry.size <= BUFFERED_BLOB_BYTES);
      const bytes = Buffer.isBuffer(body) ? body : await buffer(body);
      expect(bytes.equals(committed.get(entry.path)!.content), entry.path).toBe(true);
    }
  });

  it('a stream given up half way does not disturb the reads after it', async () => {
    const [one, two] = ['large/one.bin', 'large/two.bin'].map((p) =>
      checkout.tree.find((e) => e.path === p)!,
    );
    const small = checkout.tree.find((e) => e.path === 'many/file-3.txt')!;
    const abandoned = await checkout.content(one!);
    const after = [checkout.content(small), checkout.content(two!)];
    if (Buffer.isBuffer(abandoned)) throw new Error('a large blob must stream');
    await new Promise((resolve) => abandoned.once('data', resolve));
    abandoned.destroy();
    expect(((await after[0]) as Buffer).equals(committed.get(small.path)!.content)).toBe(true);
    const streamed = await after[1]!;
    if (Buffer.isBuffer(streamed)) throw new Error('a large blob must stream');
    expect((await buffer(streamed)).equals(committed.get(two!.path)!.content)).toBe(true);
  });

  it('remove() ends the cat-file process and deletes the clone', async () => {
    expect(await catFileChildren()).toHaveLength(1);
    await checkout.remove();
    expect(await catFileChildren()).toEqual([]);
    expect(await readdir(temp)).toEqual([]);
    await expect(checkout.content(checkout.tree[0]!)).rejects.toThrow(/the checkout was removed/);
  });

  it('a branch that does not exist fails as CLONE_FAILED and leaves nothing behind', async () => {
    await expect(cloneBranch(`file://${repo.barePath}`, 'nope', {}, { tempDir: temp })).rejects.toMatchObject(
      {
        code: 'CLONE_FAILED',
        message: expect.stringMatching(/^git clone failed: .*nope/),
      },
    );
    expect(await readdir(temp)).toEqual([]);
  });
});
