// What the plan is told the store holds. A reconcile walks the whole store (that is how drift
// anywhere is found). A push lists only the folders its changes touch and takes everything else
// from the manifest, so its storage calls grow with the change, not with the workspace.

import { ancestorsOf, parentOf } from '../workspace/paths.js';
import { StoreError, type WorkspaceStore } from '../workspace/store.js';
import type { Manifest } from './manifest.js';
import { excludedBy, foldersOf, selectFiles, type ListedEntry } from './plan.js';
import type { TreeEntry } from '../git/tree.js';

/** The whole store, each entry cut down to what the plan compares (no names, times or modes). */
export async function walkAll(store: WorkspaceStore): Promise<ListedEntry[]> {
  const entries: ListedEntry[] = [];
  for await (const { path, type, size, etag } of store.walk('')) entries.push({ path, type, size, etag });
  return entries;
}

/** Paths the sync writes or deletes: files it will hold that differ from the manifest, and the manifest's files it no longer will. */
export function changedPaths(tree: TreeEntry[], manifest: Manifest, exclude: string[]): string[] {
  // Only what the workspace will hold: skipped entries (links, odd names, excluded) never are.
  const regular = selectFiles(tree, excludedBy(exclude)).files;
  const inTree = new Set(regular.map((entry) => entry.path));
  const changed = regular
    .filter((entry) => {
      const known = manifest.files[entry.path];
      return !known || known.sha !== entry.sha || known.mode !== entry.mode;
    })
    .map((entry) => entry.path);
  return [...changed, ...Object.keys(manifest.files).filter((path) => !inTree.has(path))];
}

async function listOrEmpty(store: WorkspaceStore, folder: string): Promise<ListedEntry[]> {
  try {
    return await store.list(folder);
  } catch (error) {
    if (error instanceof StoreError && (error.code === 'NOT_FOUND' || error.code === 'NOT_A_DIRECTORY'))
      return [];
    throw error;
  }
}

/**
 * The store as far as a push needs to know it. Listed for real: the folder of every changed
 * path and every folder on the way to it (a folder the tree no longer wants, or that stands in
 * the way, must be known whole before it is deleted), plus the whole subtree of any listed
 * folder the tree does not want. Everything else comes from the manifest, as the last sync left it.
 */
export async function listChanged(
  store: WorkspaceStore,
  tree: TreeEntry[],
  manifest: Manifest,
  exclude: string[],
): Promise<ListedEntry[]> {
  const changed = changedPaths(tree, manifest, exclude);
  const folders = new Set<string>(
    changed.flatMap((path) => [parentOf(path), ...ancestorsOf(parentOf(path))]),
  );
  const wantedDirs = foldersOf(tree);

  const listed: ListedEntry[] = [];
  const pending = [...folders];
  for (let folder = pending.shift(); folder !== undefined; folder = pending.shift()) {
    for (const entry of await listOrEmpty(store, folder)) {
      listed.push(entry);
      // A folder the tree does not want goes, contents and all: learn all of it.
      if (entry.type === 'directory' && !wantedDirs.has(entry.path) && !folders.has(entry.path)) {
        folders.add(entry.path);
        pending.push(entry.path);
      }
    }
  }

  const fromManifest: ListedEntry[] = [];
  const manifestDirs = new Set<string>();
  for (const path in manifest.files) {
    const known = manifest.files[path]!;
    if (!folders.has(parentOf(path))) {
      fromManifest.push({ path, type: 'file', size: known.size, etag: known.etag });
    }
    // Once a folder is in, so are the folders above it.
    for (let dir = parentOf(path); dir !== '' && !manifestDirs.has(dir); dir = parentOf(dir))
      manifestDirs.add(dir);
  }
  for (const dir of manifestDirs) {
    if (!folders.has(parentOf(dir))) fromManifest.push({ path: dir, type: 'directory', size: 0, etag: '' });
  }
  return [...listed, ...fromManifest];
}
