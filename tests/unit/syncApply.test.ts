// applyPlan's deletes (src/sync/apply.ts) against a real store, LocalWorkspaceStore on a temp
// folder. DESIGN.md: deletes are idempotent (a retry after a crash finds some paths already
// gone) and folders are deleted bottom-up; any other failure to delete fails the sync with
// STORAGE_ERROR rather than leaving the workspace differing from the branch unreported. Also:
// folders are made parents first, and no content stream is left open when a write fails.

import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/sync/apply.js';
import { emptyFiles } from '../../src/sync/manifest.js';
import type { Deletions, Plan, PlannedWrite } from '../../src/sync/plan.js';
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

describe('applyPlan folders and writes', () => {
  const write = (path: string, size: number): PlannedWrite => ({
    path,
    sha: '0'.repeat(40),
    mode: '100644',
    size,
    kind: 'add',
  });

  it('makes folders by depth, parents first, whatever the length of their names', async () => {
    // 'x/y' is as long as 'abc': grouped by length, it would be made before its parent 'x'.
    await apply(plan({ directories: ['abc', 'x', 'x/y'] }));
    expect(await tree()).toEqual(['abc/', 'x/', 'x/y/']);
  });

  it('names the step and the path when a folder cannot be made', async () => {
    await writeFile(join(root, 'x'), 'a file where the folder goes');
    await expect(apply(plan({ directories: ['x'] }))).rejects.toMatchObject({
      code: 'STORAGE_ERROR',
      message: expect.stringMatching(/^Could not create folder "x": /),
    });
  });

  it('destroys a streamed body the store refused, and content read ahead for writes that never ran', async () => {
    await mkdir(join(root, 'taken'));
    const streams = new Map<string, Readable>();
    const source = async (w: PlannedWrite) => {
      const stream = Readable.from([Buffer.alloc(w.size, 1)]);
      streams.set(w.path, stream);
      return stream;
    };
    const writes = [write('taken', 3), write('next', 3)];
    const failure = applyPlan(plan({ writes }), store, { concurrency: 1, source });
    await expect(failure).rejects.toMatchObject({ code: 'STORAGE_ERROR' });
    // The refused body (the store gave up before reading it), and the one fetched ahead for 'next'.
    for (const path of ['taken', 'next']) {
      const stream = streams.get(path)!;
      if (!stream.destroyed) await new Promise((resolve) => stream.once('close', resolve));
      expect(stream.destroyed).toBe(true);
    }
    expect(await tree()).toEqual(['taken/']);
  });
});
