// The diff between a commit's tree and the workspace, computed from metadata only: the git tree
// (blob SHAs, modes), the manifest of the last sync and the store listing (ETags, sizes).
// Pure: no I/O, so every rule below is tested directly.

import picomatch from 'picomatch';
import type { JobCounts, SkippedPath } from '../jobs/types.js';
import type { Entry } from '../workspace/store.js';
import { ancestorsOf, invalidPathReason, parentOf } from '../workspace/paths.js';
import { emptyFiles, type Manifest, type ManifestFiles } from './manifest.js';
import type { TreeEntry } from '../git/tree.js';

export const MODE_EXECUTABLE = '100755';
export const MODE_SYMLINK = '120000';
export const MODE_SUBMODULE = '160000';

export type ListedEntry = Pick<Entry, 'path' | 'type' | 'size' | 'etag'>;

export interface PlannedWrite {
  path: string;
  sha: string;
  mode: string;
  size: number;
  /** add: nothing at the path in the store; update: something there that is not known to match. */
  kind: 'add' | 'update';
}

export interface Deletions {
  files: string[];
  /** Deepest first, so each is empty by the time it is deleted. */
  directories: string[];
}

export interface Plan {
  /** Store entries in the way of the tree (a file where a folder goes, a case-only rename): removed first. */
  clearFirst: Deletions;
  /** Folders to create, parents first. */
  directories: string[];
  writes: PlannedWrite[];
  deletes: Deletions;
  /** Files already equal to the tree; their manifest entries carry over (the same objects). */
  unchanged: ManifestFiles;
  skipped: SkippedPath[];
}

export interface PlanOptions {
  /** SYNC_EXCLUDE globs: matching paths are neither written nor deleted. */
  exclude: string[];
}

const lower = (path: string) => path.toLowerCase();

const depth = (path: string) => path.split('/').length;
const byDepth = (a: string, b: string) => depth(a) - depth(b) || (a < b ? -1 : a > b ? 1 : 0);

const byPath = (a: TreeEntry, b: TreeEntry) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0);

/** The tree in path order; git already lists it so, and then it is not copied. */
function inPathOrder(tree: TreeEntry[]): TreeEntry[] {
  for (let i = 1; i < tree.length; i++) if (byPath(tree[i - 1]!, tree[i]!) > 0) return [...tree].sort(byPath);
  return tree;
}

/**
 * Tree entries the workspace gets, the ones it cannot hold with the reason, and `spellings`: the
 * lower-cased name of every file and folder it gets, with the spelling that won.
 */
export function selectFiles(tree: TreeEntry[], isExcluded: (path: string) => boolean) {
  const files: TreeEntry[] = [];
  const skipped: SkippedPath[] = [];
  // Azure Files names are case-insensitive: the first spelling (git's byte order) of a file
  // or folder name wins, later ones that differ only in case are skipped.
  const spellings = new Map<string, string>();
  /** The first name on the path whose spelling another one already won, if any. */
  const clashOf = (path: string): string | undefined => {
    const spelling = spellings.get(lower(path));
    if (spelling !== undefined && spelling !== path) return spelling;
    // A folder recorded earlier had its own folders checked then: stop there.
    for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) {
      const known = spellings.get(lower(dir));
      if (known === dir) break;
      if (known !== undefined) return known;
    }
    return undefined;
  };
  for (const entry of inPathOrder(tree)) {
    const { path } = entry;
    let reason: string | undefined;
    if (isExcluded(path)) reason = 'excluded by SYNC_EXCLUDE';
    else if (entry.mode === MODE_SYMLINK) reason = 'symbolic link (not followed)';
    else if (entry.mode === MODE_SUBMODULE) reason = 'submodule';
    else if (!/^100(644|755)$/.test(entry.mode)) reason = `unsupported git mode ${entry.mode}`;
    else reason = invalidPathReason(path);
    if (!reason) {
      const clash = clashOf(path);
      if (clash) reason = `case-insensitive collision with ${clash}`;
    }
    if (reason) {
      skipped.push({ path, reason });
      continue;
    }
    spellings.set(lower(path), path);
    for (let dir = parentOf(path); dir !== '' && !spellings.has(lower(dir)); dir = parentOf(dir)) {
      spellings.set(lower(dir), dir);
    }
    files.push(entry);
  }
  return { files, skipped, spellings };
}

/** Every folder above the given files. */
export function foldersOf(files: TreeEntry[]): Set<string> {
  const folders = new Set<string>();
  for (const { path } of files) {
    // Once a folder is in, so are all the folders above it.
    for (let dir = parentOf(path); dir !== '' && !folders.has(dir); dir = parentOf(dir)) folders.add(dir);
  }
  return folders;
}

export function excludedBy(globs: string[]): (path: string) => boolean {
  const matcher = picomatch(globs, { dot: true });
  return (path) => globs.length > 0 && matcher(path);
}

export function planSync(
  tree: TreeEntry[],
  manifest: Manifest | undefined,
  listing: ListedEntry[],
  options: PlanOptions,
): Plan {
  const isExcluded = excludedBy(options.exclude);
  const { files, skipped, spellings } = selectFiles(tree, isExcluded);

  const wantedFiles = new Set(files.map((f) => f.path));
  const wantedDirs = foldersOf(files);
  const storeFiles = new Map<string, ListedEntry>();
  const storeDirs = new Set<string>();
  for (const entry of listing) {
    if (entry.type === 'file') storeFiles.set(entry.path, entry);
    else storeDirs.add(entry.path);
  }

  // A store entry is in the way when the tree needs its name (in any case) for something else.
  const inTheWay = (entry: ListedEntry) =>
    spellings.has(lower(entry.path)) &&
    !(entry.type === 'file' ? wantedFiles : wantedDirs).has(entry.path) &&
    !isExcluded(entry.path);
  const blocked = new Set(listing.filter(inTheWay).map((e) => e.path));
  const clearedEarly = (path: string) =>
    blocked.size > 0 && [path, ...ancestorsOf(path)].some((p) => blocked.has(p));

  const writes: PlannedWrite[] = [];
  const unchanged = emptyFiles();
  for (const file of files) {
    const known = manifest?.files[file.path];
    const present = storeFiles.get(file.path);
    if (
      known &&
      present &&
      known.sha === file.sha &&
      known.mode === file.mode &&
      present.etag === known.etag &&
      present.size === known.size
    ) {
      unchanged[file.path] = known;
    } else {
      const kind = present && !clearedEarly(file.path) ? 'update' : 'add';
      writes.push({ path: file.path, sha: file.sha, mode: file.mode, size: file.size, kind });
    }
  }

  // Whatever the store holds beyond the tree goes, except excluded paths and the folders that
  // still contain them.
  const keptDirs = new Set<string>();
  for (const entry of listing) {
    if (isExcluded(entry.path)) [entry.path, ...ancestorsOf(entry.path)].forEach((d) => keptDirs.add(d));
  }
  const clearFirst: Deletions = { files: [], directories: [] };
  const deletes: Deletions = { files: [], directories: [] };
  for (const [path] of storeFiles) {
    if (wantedFiles.has(path) || isExcluded(path)) continue;
    (clearedEarly(path) ? clearFirst : deletes).files.push(path);
  }
  for (const path of storeDirs) {
    if (wantedDirs.has(path) || keptDirs.has(path)) continue;
    (clearedEarly(path) ? clearFirst : deletes).directories.push(path);
  }
  for (const list of [clearFirst, deletes]) {
    list.files.sort();
    list.directories.sort(byDepth).reverse();
  }

  const directories = [...wantedDirs].filter((d) => !storeDirs.has(d) || clearedEarly(d)).sort(byDepth);
  return { clearFirst, directories, writes, deletes, unchanged, skipped };
}

export function countsOf(plan: Plan): JobCounts {
  return {
    added: plan.writes.filter((w) => w.kind === 'add').length,
    updated: plan.writes.filter((w) => w.kind === 'update').length,
    deleted: plan.clearFirst.files.length + plan.deletes.files.length,
    unchanged: Object.keys(plan.unchanged).length,
    skipped: plan.skipped.length,
  };
}

export function hasChanges(plan: Plan): boolean {
  return (
    plan.writes.length + plan.directories.length > 0 ||
    [plan.clearFirst, plan.deletes].some((d) => d.files.length + d.directories.length > 0)
  );
}
