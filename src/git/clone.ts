// Phase 1: a shallow, single-branch clone of the configured repository into a private temp
// folder — no tags, no submodules, no hooks, the token in an HTTP header (gitAuth.ts) — and no
// checkout: file content comes from the object database (blobReader.ts), so names no file
// system could hold cannot fail the clone, and .gitattributes never changes a byte.

import { lstat, mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Readable } from 'node:stream';
import { startBlobProcess } from './blobReader.js';
import { failureDetail, gitClient } from './client.js';
import { GitError } from './errors.js';
import { gitEnv, type GitAuth } from './gitAuth.js';
import { LS_TREE_ARGS, parseLsTree, type TreeEntry } from './tree.js';

export interface CloneOptions {
  /** Parent of the temp folder (SYNC_TEMP_DIR); os.tmpdir() when omitted. */
  tempDir?: string;
  signal?: AbortSignal;
}

/** The blob a caller wants: its object id and its size as ls-tree listed them. */
export interface BlobRef {
  sha: string;
  size: number;
}

export interface Checkout {
  commit: string;
  tree: TreeEntry[];
  /**
   * The blob's bytes exactly as committed: a Buffer when small, else a Readable that the caller
   * must read to the end or destroy (reads are served one object at a time, in call order).
   */
  content(blob: BlobRef): Promise<Readable | Buffer>;
  /** Stops the blob reader and removes the temp folder. */
  remove(): Promise<void>;
}

function failure(step: string, error: unknown, auth: GitAuth): GitError {
  return new GitError('CLONE_FAILED', `git ${step} failed: ${failureDetail(error, auth)}`);
}

const CHECKOUT_PREFIX = 'workspace-sync-';
/**
 * A checkout older than this belongs to a worker that died (a live one is removed when its job
 * ends, and functionTimeout caps a job at 30 minutes). Only the workspace lease holder clones, so
 * sweeping here never races a live sync of the same workspace.
 */
export const STALE_CHECKOUT_MS = 60 * 60_000;

/** Removes checkouts that killed workers left in the temp folder (a shared file share in Azure). */
export async function removeStaleCheckouts(parent: string, now = Date.now()): Promise<void> {
  const names = await readdir(parent).catch(() => []);
  await Promise.all(
    names
      .filter((name) => name.startsWith(CHECKOUT_PREFIX))
      .map(async (name) => {
        const path = join(parent, name);
        const stats = await lstat(path).catch(() => undefined);
        if (stats?.isDirectory() && now - stats.mtimeMs > STALE_CHECKOUT_MS) {
          await rm(path, { recursive: true, force: true }).catch(() => undefined);
        }
      }),
  );
}

export async function cloneBranch(
  repositoryUrl: string,
  branch: string,
  auth: GitAuth,
  options: CloneOptions = {},
): Promise<Checkout> {
  const parent = options.tempDir ?? tmpdir();
  await removeStaleCheckouts(parent);
  const root = await mkdtemp(join(parent, CHECKOUT_PREFIX));
  const dir = join(root, 'repo');
  const removeFolder = () => rm(root, { recursive: true, force: true });
  const { signal } = options;
  try {
    const args = [
      '--no-checkout',
      '--depth',
      '1',
      '--single-branch',
      '--branch',
      branch,
      '--no-tags',
      '--no-recurse-submodules',
    ];
    await gitClient(auth, { baseDir: root, signal })
      .clone(repositoryUrl, dir, args)
      .catch((error: unknown) => {
        throw failure('clone', error, auth);
      });
    const git = gitClient(auth, { baseDir: dir, signal });
    const commit = (await git.revparse(['HEAD'])).trim();
    const tree = parseLsTree(await git.raw(LS_TREE_ARGS));
    const blobs = startBlobProcess(dir, gitEnv(auth), signal);
    return {
      commit,
      tree,
      content: (blob) => blobs.reader.read(blob.sha, blob.size),
      async remove() {
        await blobs.close();
        await removeFolder();
      },
    };
  } catch (error) {
    await removeFolder();
    if (error instanceof GitError) throw error;
    throw failure('read', error, auth);
  }
}
