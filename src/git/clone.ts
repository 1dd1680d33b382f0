// Phase 1: a shallow, single-branch clone of the configured repository into a private temp
// folder — no tags, no submodules, no hooks, the token in an HTTP header (gitAuth.ts). File
// contents are then read from the checkout without following any link.

import { constants } from 'node:fs';
import { lstat, mkdtemp, open, readdir, realpath, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import type { Readable } from 'node:stream';
import { simpleGit, type SimpleGit } from 'simple-git';
import { gitEnv, redact, type GitAuth } from './gitAuth.js';
import { GitError } from './errors.js';
import { LS_TREE_ARGS, parseLsTree, type TreeEntry } from './tree.js';

export interface CloneOptions {
  /** Parent of the temp folder (SYNC_TEMP_DIR); os.tmpdir() when omitted. */
  tempDir?: string;
  signal?: AbortSignal;
}

/** The blob a caller wants: where it sits in the tree, its id and its size from ls-tree. */
export interface BlobRef {
  path: string;
  sha: string;
  size: number;
}

export interface Checkout {
  commit: string;
  tree: TreeEntry[];
  /** The file's bytes as committed; streams from the checkout. */
  content(blob: BlobRef): Promise<Readable | Buffer>;
  /** Removes the temp folder. */
  remove(): Promise<void>;
}

function gitClient(baseDir: string, auth: GitAuth, signal?: AbortSignal): SimpleGit {
  const env = gitEnv(auth);
  return simpleGit({
    baseDir,
    abort: signal,
    // The environment is ours, not caller input: it turns hooks and prompts off and carries the
    // token as a header, which simple-git's guards would otherwise refuse.
    allowEnvironment: Object.keys(env),
    unsafe: {
      allowUnsafeAskPass: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeHooksPath: true,
      allowUnsafeProtocolOverride: true,
    },
  }).env(env);
}

function failure(step: string, error: unknown, auth: GitAuth): GitError {
  const detail = (error as Error).message.trim().split('\n').slice(-3).join(' ');
  return new GitError('CLONE_FAILED', `git ${step} failed: ${redact(detail, auth)}`);
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
  const remove = () => rm(root, { recursive: true, force: true });
  try {
    const args = [
      '--depth',
      '1',
      '--single-branch',
      '--branch',
      branch,
      '--no-tags',
      '--no-recurse-submodules',
    ];
    await gitClient(root, auth, options.signal)
      .clone(repositoryUrl, dir, args)
      .catch((error: unknown) => {
        throw failure('clone', error, auth);
      });
    const git = gitClient(dir, auth, options.signal);
    const commit = (await git.revparse(['HEAD'])).trim();
    const tree = parseLsTree(await git.raw(LS_TREE_ARGS));
    const checkout = new CheckoutReader(await realpath(dir));
    const content = async (write: BlobRef) => {
      const file = await checkout.read(write.path, write.size);
      // Attributes (eol, filters) can make the checkout differ from the blob; git has the truth.
      return file ?? Buffer.from(await git.binaryCatFile(['blob', write.sha]));
    };
    return { commit, tree, content, remove };
  } catch (error) {
    await remove();
    if (error instanceof GitError) throw error;
    throw failure('read', error, auth);
  }
}

/** Files up to this size are read in one call; larger ones are streamed. */
const BUFFERED_READ_BYTES = 1024 * 1024;

/**
 * Reads files from the checkout without following any link: not in the last segment
 * (O_NOFOLLOW), not in a folder on the way (its realpath must be itself; checked once per folder).
 */
class CheckoutReader {
  readonly #folders = new Map<string, Promise<boolean>>();

  constructor(private readonly root: string) {}

  /** The regular file's content when it has the expected size, else undefined. */
  async read(relative: string, size: number): Promise<Readable | Buffer | undefined> {
    const path = join(this.root, relative);
    if (!(await this.#folderIsReal(dirname(path)))) return undefined;
    const handle = await open(path, constants.O_RDONLY | constants.O_NOFOLLOW).catch(() => undefined);
    if (!handle) return undefined;
    const stats = await handle.stat();
    if (!stats.isFile() || stats.size !== size) {
      await handle.close();
      return undefined;
    }
    if (size > BUFFERED_READ_BYTES) return handle.createReadStream();
    try {
      const content = Buffer.allocUnsafe(size);
      for (let offset = 0; offset < size;) {
        const { bytesRead } = await handle.read(content, offset, size - offset, offset);
        if (bytesRead === 0) return undefined; // shrank under us: let git answer
        offset += bytesRead;
      }
      return content;
    } finally {
      await handle.close();
    }
  }

  #folderIsReal(folder: string): Promise<boolean> {
    let check = this.#folders.get(folder);
    if (!check) {
      check = realpath(folder).then(
        (real) => real === folder,
        () => false,
      );
      this.#folders.set(folder, check);
    }
    return check;
  }
}
