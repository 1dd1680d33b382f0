// applyPlan's deletes (src/sync/apply.ts) against a real store, LocalWorkspaceStore on a temp
// folder. DESIGN.md: deletes are idempotent (a retry after a crash finds some paths already
// gone) and folders are deleted bottom-up; any other failure to delete fails the sync with
// STORAGE_ERROR rather than leaving the workspace differing from the branch unreported.

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/sync/apply.js';
import { emptyFiles } from '../../src/sync/manifest.js';
import type { Deletions, Plan } from '../../src/sync/plan.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';

let root: string;
let store: LocalWorkspaceStore;

beforeEach(async () => {
  root = await mkdtemp(join(tmpdir(), 'sync-apply-'));
  store = new LocalWorkspaceStore(root);
});
afterEach(async () => {
  await rm(root, { recursive: true, force: true });
});

const none: Deletions = { files: [], directories: [] };
const plan = (over: Partial<Plan>): Plan => ({
  clearFirst: none,
  directories: [],
  writes: [],
  deletes: none,
  unchanged: emptyFiles(),
  skipped: [],
  ...over,
});
const apply = (p: Plan) =>
  applyPlan(p, store, { concurrency: 4, source: () => Promise.reject(new Error('nothing to write')) });

async function tree(dir = root, prefix = ''): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = `${prefix}${entry.name}`;
    found.push(entry.isDirectory() ? `${path}/` : path);
    if (entry.isDirectory()) found.push(...(await tree(join(dir, entry.name), `${path}/`)));
  }
  return found.sort();
}

describe('applyPlan deletes', () => {
  it.each(['clearFirst', 'deletes'] as const)(
    'in %s, a retry that finds some files and folders already gone deletes the rest and succeeds',
    async (step) => {
      await mkdir(join(root, 'a/b'), { recursive: true });
      await writeFile(join(root, 'a/b/left.txt'), 'x');
      await writeFile(join(root, 'keep.txt'), 'x');
      const deletions: Deletions = {
        // gone.txt and c/ went in the crashed attempt; a/b/left.txt, a/b and a did not.
        files: ['gone.txt', 'a/b/left.txt', 'c/gone.txt'],
        directories: ['a/b', 'c', 'a'],
      };
      await expect(apply(plan({ [step]: deletions }))).resolves.toEqual({});
      expect(await tree()).toEqual(['keep.txt']);
    },
  );

  it.each<[string, Deletions, string]>([
    ['a folder that is not empty', { files: [], directories: ['a'] }, 'delete folder "a": ENOTEMPTY'],
    ['a file that is a folder', { files: ['a'], directories: [] }, 'delete "a": IS_DIRECTORY'],
  ])(
    'a delete that fails for another reason (%s) fails the sync with STORAGE_ERROR',
    async (_name, deletions, says) => {
      await mkdir(join(root, 'a'));
      await writeFile(join(root, 'a/new.txt'), 'x');
      const failure = await apply(plan({ deletes: deletions })).catch((e: unknown) => e);
      expect(failure).toMatchObject({ name: 'SyncError', code: 'STORAGE_ERROR' });
      expect((failure as Error).message).toContain(says);
      expect(await tree()).toEqual(['a/', 'a/new.txt']);
    },
  );
});
