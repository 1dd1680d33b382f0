// A push lists only the folders it changes and trusts the manifest elsewhere. With no drift,
// that must plan exactly what a walk of the whole store plans — for any change.

import { createHash } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import fc from 'fast-check';
import { expect, it } from 'vitest';
import { changedPaths, listChanged, walkAll } from '../../src/sync/listing.js';
import type { Manifest } from '../../src/sync/manifest.js';
import { applyPlan } from '../../src/sync/apply.js';
import { planSync, type Plan } from '../../src/sync/plan.js';
import type { TreeEntry } from '../../src/git/tree.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import { ancestorsOf, parentOf } from '../../src/workspace/paths.js';
import type { Entry, WorkspaceStore } from '../../src/workspace/store.js';

const segment = fc.constantFrom('a', 'b', 'c', 'A');
const path = fc.array(segment, { minLength: 1, maxLength: 3 }).map((parts) => parts.join('/'));
const untrackedPath = fc
  .array(fc.constantFrom('b', 'c', 'u'), { minLength: 1, maxLength: 3 })
  .map((parts) => `${parts.join('/')}.untracked`);

/** A set of file paths git could hold: no file is also a folder on another file's path. */
function gitShaped(paths: string[]): string[] {
  const kept: string[] = [];
  for (const candidate of new Set(paths)) {
    const clash = kept.some((p) => p.startsWith(`${candidate}/`) || candidate.startsWith(`${p}/`));
    if (!clash) kept.push(candidate);
  }
  return kept;
}

const sha = (text: string) => createHash('sha1').update(text).digest('hex');

function normalised(plan: Plan) {
  const sorted = (list: string[]) => [...list].sort();
  return {
    writes: plan.writes.map((w) => `${w.kind} ${w.path} ${w.sha}`).sort(),
    deletes: [sorted(plan.deletes.files), sorted(plan.deletes.directories)],
    clearFirst: [sorted(plan.clearFirst.files), sorted(plan.clearFirst.directories)],
    directories: sorted(plan.directories),
    unchanged: Object.keys(plan.unchanged).sort(),
  };
}

/** Records the folders a push lists, and any walk (a push must never walk). */
function counting(store: WorkspaceStore) {
  const listed: string[] = [];
  const walked: string[] = [];
  const wrapped = Object.create(store) as WorkspaceStore;
  wrapped.list = (p: string) => {
    listed.push(p);
    return store.list(p);
  };
  wrapped.walk = (p: string) => {
    walked.push(p);
    return store.walk(p);
  };
  return { store: wrapped, listed, walked };
}

/**
 * The folders a push must list, no more: the folder of every changed path and each folder above
 * it (the root only as the folder of a top-level path), where a file may stand in the way or a
 * folder may have to go; then, inside those, every folder in the store the new tree does not
 * want, whole, since it is deleted with its contents.
 */
function foldersToList(changed: string[], tree: TreeEntry[], storeFolders: string[]): Set<string> {
  const folders = new Set<string>();
  for (const path of changed) {
    const above = ancestorsOf(path); // a/b/c → a/b, a: never the root, which holds only top-level paths
    for (const dir of above.length > 0 ? above : ['']) folders.add(dir);
  }
  const wanted = new Set(tree.flatMap((t) => ancestorsOf(t.path)));
  const byDepth = [...storeFolders].sort((a, b) => a.split('/').length - b.split('/').length);
  for (const dir of byDepth) if (folders.has(parentOf(dir)) && !wanted.has(dir)) folders.add(dir);
  return folders;
}

it('applies cleanly with untracked files anywhere, and leaves the tree in the store', async () => {
  await fc.assert(
    fc.asyncProperty(
      fc.array(path, { minLength: 1, maxLength: 10 }),
      fc.array(path, { maxLength: 6 }),
      // Untracked names never differ from tracked ones by case alone: the local store's disk is
      // case-sensitive, Azure Files is not, and the plan assumes Azure's rules.
      fc.array(untrackedPath, { maxLength: 4 }),
      async (before, after, untracked) => {
        const root = await mkdtemp(join(tmpdir(), 'listing-'));
        try {
          const store = new LocalWorkspaceStore(root);
          const manifest: Manifest = { version: 1, repositoryUrl: 'r', branch: 'b', commit: 'c', files: {} };
          const source = async (w: { sha: string }) => Buffer.from(w.sha);
          const toTree = (paths: string[], salt: string): TreeEntry[] =>
            gitShaped(paths).map((p) => ({ path: p, mode: '100644', sha: sha(p + salt), size: 40 }));
          const first = planSync(toTree(before, ''), undefined, [], { exclude: [] });
          Object.assign(manifest.files, await applyPlan(first, store, { concurrency: 4, source }));
          // Files nobody synced, in folders the next change may or may not touch.
          for (const p of untracked) {
            await store.makeDirectories(parentOf(p)).catch(() => undefined);
            await store.write(p, Buffer.from('untracked')).catch(() => undefined);
          }
          const tree = toTree([...Object.keys(manifest.files).slice(1), ...after], '!');
          const plan = planSync(tree, manifest, await listChanged(store, tree, manifest, []), {
            exclude: [],
          });
          await applyPlan(plan, store, { concurrency: 4, source }); // must not fail (e.g. a folder not empty)
          const inStore = new Map<string, Entry>();
          for await (const entry of store.walk('')) inStore.set(entry.path, entry);
          for (const file of planSync(tree, undefined, [], { exclude: [] }).writes) {
            expect(inStore.get(file.path)?.size, file.path).toBe(40);
          }
          const inTree = new Set(tree.map((t) => t.path));
          for (const gone of Object.keys(manifest.files).filter((p) => !inTree.has(p))) {
            expect(inStore.get(gone)?.type, gone).not.toBe('file');
          }
        } finally {
          await rm(root, { recursive: true, force: true });
        }
      },
    ),
    { numRuns: 150 },
  );
});

/** A workspace as the last sync left it, and the next commit: some files edited, some removed, some added. */
const aPush = fc.record({
  before: fc.array(path, { minLength: 1, maxLength: 12 }),
  added: fc.array(path, { maxLength: 8 }),
  editSeeds: fc.array(fc.nat(), { maxLength: 6 }),
});

async function withSyncedWorkspace(
  { before, added, editSeeds }: { before: string[]; added: string[]; editSeeds: number[] },
  check: (store: WorkspaceStore, manifest: Manifest, tree: TreeEntry[]) => Promise<void>,
) {
  const root = await mkdtemp(join(tmpdir(), 'listing-'));
  try {
    const store = new LocalWorkspaceStore(root);
    const manifest: Manifest = { version: 1, repositoryUrl: 'r', branch: 'b', commit: 'c', files: {} };
    // The workspace as the last sync left it (case-insensitive names, as on Azure Files).
    const first = planSync(
      gitShaped(before).map((p) => ({ path: p, mode: '100644', sha: sha(p), size: p.length })),
      undefined,
      [],
      { exclude: [] },
    );
    for (const w of first.writes) {
      await store.makeDirectories(parentOf(w.path));
      const entry = await store.write(w.path, Buffer.from(w.path));
      manifest.files[w.path] = { sha: w.sha, mode: w.mode, size: entry.size, etag: entry.etag };
    }
    const kept = Object.keys(manifest.files).filter((_, i) => !editSeeds.includes(i * 7));
    const edited = new Set(kept.filter((_, i) => editSeeds.includes(i)));
    const tree: TreeEntry[] = gitShaped([...kept, ...added]).map((p) => ({
      path: p,
      mode: '100644',
      sha: edited.has(p) ? sha(`${p}!`) : sha(p),
      size: p.length,
    }));
    await check(store, manifest, tree);
  } finally {
    await rm(root, { recursive: true, force: true });
  }
}

it('plans the same as a full walk for any change, when nothing drifted', async () => {
  await fc.assert(
    fc.asyncProperty(aPush, (push) =>
      withSyncedWorkspace(push, async (store, manifest, tree) => {
        const full = planSync(tree, manifest, await walkAll(store), { exclude: [] });
        const partial = planSync(tree, manifest, await listChanged(store, tree, manifest, []), {
          exclude: [],
        });
        expect(normalised(partial)).toEqual(normalised(full));
      }),
    ),
    { numRuns: 150 },
  );
});

it('a push lists exactly the folders its change needs, each once, and never walks the store', async () => {
  await fc.assert(
    fc.asyncProperty(aPush, (push) =>
      withSyncedWorkspace(push, async (store, manifest, tree) => {
        const folders = (await walkAll(store)).filter((e) => e.type === 'directory').map((e) => e.path);
        const { store: watched, listed, walked } = counting(store);
        await listChanged(watched, tree, manifest, []);
        const expected = foldersToList(changedPaths(tree, manifest, []), tree, folders);
        expect([...listed].sort()).toEqual([...expected].sort());
        expect(walked).toEqual([]);
      }),
    ),
    { numRuns: 150 },
  );
});
