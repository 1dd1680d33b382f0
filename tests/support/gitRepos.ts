// Test repositories built with real git: a bare repository (what a server exports) plus a
// working clone to write, commit and push from. Pushes go straight to the bare repository on
// disk, so they work with or without the HTTP server in front.

import { execFile } from 'node:child_process';
import { constants } from 'node:fs';
import {
  chmod,
  lstat,
  mkdir,
  mkdtemp,
  open,
  readdir,
  readlink,
  rm,
  symlink,
  writeFile,
} from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';

const GIT_IDENTITY = {
  GIT_AUTHOR_NAME: 'Test',
  GIT_AUTHOR_EMAIL: 'test@example.com',
  GIT_COMMITTER_NAME: 'Test',
  GIT_COMMITTER_EMAIL: 'test@example.com',
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** Runs git in cwd and returns stdout; rejects with stderr in the message. */
export function git(cwd: string, args: string[], input?: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const child = execFile(
      'git',
      args,
      {
        cwd,
        env: { PATH: process.env.PATH, HOME: process.env.HOME, ...GIT_IDENTITY },
        encoding: 'buffer',
        maxBuffer: 1024 * 1024 * 1024,
      },
      (error, stdout, stderr) => {
        if (error) reject(new Error(`git ${args.join(' ')} failed: ${stderr.toString()}`));
        else resolve(stdout);
      },
    );
    if (input) child.stdin?.end(input);
  });
}

export interface ArchivedFile {
  content: Buffer;
  executable: boolean;
}

export interface TestRepo {
  /** `owner/repo`; the bare repository is `<root>/<name>.git`. */
  name: string;
  barePath: string;
  workPath: string;
  branch: string;
  /** Writes a file in the working clone (parents created). */
  write(path: string, content: string | Buffer, options?: { executable?: boolean }): Promise<void>;
  /** Writes many files at once. */
  writeAll(files: Record<string, string | Buffer>): Promise<void>;
  symlink(path: string, target: string): Promise<void>;
  remove(path: string): Promise<void>;
  /** Stages a submodule (gitlink) entry pointing at the given commit, without any .gitmodules. */
  addGitlink(path: string, commit: string): Promise<void>;
  /** Stages everything and commits; returns the new commit. */
  commit(message?: string): Promise<string>;
  /** Pushes the branch to the bare repository; returns the pushed commit. */
  push(): Promise<string>;
  commitAndPush(message?: string): Promise<string>;
  /** Replaces the branch history with one new root commit of the working tree and force-pushes it. */
  rewriteHistory(message?: string): Promise<string>;
  /** The branch head in the bare repository. */
  head(): Promise<string>;
  /**
   * Regular files of a commit with their blob bytes (symlinks and gitlinks left out): what the
   * workspace must hold. Not `git archive`'s output, which applies .gitattributes (eol, ident,
   * filters, export-subst).
   */
  archive(commit: string): Promise<Map<string, ArchivedFile>>;
  /**
   * Commits a tree built from objects alone (`hash-object`, `mktree`, `commit-tree`) on top of
   * the branch in the bare repository and moves the branch there: names no checkout could hold
   * are fine. Folders come from the `/` in the paths. The working clone is not updated.
   */
  pushTree(files: Record<string, string | Buffer>, message?: string): Promise<string>;
  git(args: string[]): Promise<string>;
  cleanup(): Promise<void>;
}

/** Creates `<root>/<name>.git` (bare) and a working clone in a temp folder, with one initial commit. */
export async function createTestRepo(
  root: string,
  name = 'acme/site',
  options: { branch?: string; initialFiles?: Record<string, string | Buffer> } = {},
): Promise<TestRepo> {
  const branch = options.branch ?? 'main';
  const barePath = join(root, `${name}.git`);
  await mkdir(barePath, { recursive: true });
  await git(barePath, ['init', '--bare', '--quiet', `--initial-branch=${branch}`]);
  const workPath = await mkdtemp(join(tmpdir(), 'git-work-'));
  await git(workPath, ['init', '--quiet', `--initial-branch=${branch}`]);
  await git(workPath, ['remote', 'add', 'origin', barePath]);
  await git(workPath, ['config', 'core.symlinks', 'true']);

  const run = async (args: string[]) => (await git(workPath, args)).toString().trim();
  const repo: TestRepo = {
    name,
    barePath,
    workPath,
    branch,
    async write(path, content, { executable = false } = {}) {
      const target = join(workPath, path);
      await mkdir(dirname(target), { recursive: true });
      await writeFile(target, content);
      await chmod(target, executable ? 0o755 : 0o644);
    },
    async writeAll(files) {
      for (const [path, content] of Object.entries(files)) await repo.write(path, content);
    },
    async symlink(path, target) {
      const link = join(workPath, path);
      await mkdir(dirname(link), { recursive: true });
      await symlink(target, link);
    },
    async remove(path) {
      await rm(join(workPath, path), { recursive: true, force: true });
    },
    async addGitlink(path, commit) {
      // An empty folder is how an uninitialised submodule looks, so `add -A` leaves the entry be.
      await mkdir(join(workPath, path), { recursive: true });
      await run(['update-index', '--add', '--cacheinfo', `160000,${commit},${path}`]);
    },
    async commit(message = 'change') {
      await run(['add', '-A']);
      await run(['commit', '--quiet', '--allow-empty', '-m', message]);
      return run(['rev-parse', 'HEAD']);
    },
    async push() {
      await run(['push', '--quiet', 'origin', `HEAD:refs/heads/${branch}`]);
      return run(['rev-parse', 'HEAD']);
    },
    async commitAndPush(message) {
      await repo.commit(message);
      return repo.push();
    },
    async rewriteHistory(message = 'rewritten') {
      await run(['add', '-A']);
      const tree = await run(['write-tree']);
      const commit = (await git(workPath, ['commit-tree', tree, '-m', message])).toString().trim();
      await run(['reset', '--quiet', '--soft', commit]);
      await run(['push', '--quiet', '--force', 'origin', `HEAD:refs/heads/${branch}`]);
      return commit;
    },
    async head() {
      return (await git(barePath, ['rev-parse', `refs/heads/${branch}`])).toString().trim();
    },
    archive: (commit) => committedFiles(barePath, commit),
    async pushTree(files, message = 'tree from objects') {
      const tree = await writeTree(barePath, files);
      const parent = await repo.head();
      const commit = (await git(barePath, ['commit-tree', tree, '-p', parent, '-m', message]))
        .toString()
        .trim();
      await git(barePath, ['update-ref', `refs/heads/${branch}`, commit, parent]);
      return commit;
    },
    git: run,
    async cleanup() {
      await rm(workPath, { recursive: true, force: true });
      await rm(barePath, { recursive: true, force: true });
    },
  };
  await repo.writeAll(options.initialFiles ?? { 'README.md': '# test\n' });
  await repo.commitAndPush('initial');
  return repo;
}

/**
 * The regular files under root, with their exec bit. Anything there that is neither a file nor a
 * folder (a symlink, a fifo, a socket) rejects: a workspace holds none, and skipping it or reading
 * through it would let a link pass for the file it points at. Types come from lstat, and a file is
 * read through an O_NOFOLLOW descriptor, so what is read is what was looked at.
 */
export async function readFolderFiles(root: string): Promise<Map<string, ArchivedFile>> {
  const files = new Map<string, ArchivedFile>();
  const visit = async (relative: string) => {
    for (const name of await readdir(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name;
      const full = join(root, path);
      const stats = await lstat(full);
      if (stats.isDirectory()) await visit(path);
      else if (stats.isFile()) files.set(path, await readRegularFile(full));
      else if (stats.isSymbolicLink()) throw new Error(`${path} is a symlink to ${await readlink(full)}`);
      else throw new Error(`${path} is neither a file nor a folder`);
    }
  };
  await visit('');
  return files;
}

async function readRegularFile(full: string): Promise<ArchivedFile> {
  const handle = await open(full, constants.O_RDONLY | constants.O_NOFOLLOW);
  try {
    const stats = await handle.stat();
    return { content: await handle.readFile(), executable: (stats.mode & 0o100) !== 0 };
  } finally {
    await handle.close();
  }
}

/**
 * How `actual` differs from `expected`, one sorted line per difference ([] when they are equal):
 * a missing or extra path, other bytes, another exec bit.
 */
export function fileDifferences(
  actual: Map<string, ArchivedFile>,
  expected: Map<string, ArchivedFile>,
): string[] {
  const differences: string[] = [];
  for (const [path, want] of expected) {
    const got = actual.get(path);
    if (!got) differences.push(`missing ${path}`);
    else if (!got.content.equals(want.content)) differences.push(`other bytes in ${path}`);
    else if (got.executable !== want.executable) differences.push(`exec bit of ${path} is ${got.executable}`);
  }
  for (const path of actual.keys()) if (!expected.has(path)) differences.push(`extra ${path}`);
  return differences.sort();
}

/**
 * The regular files of a commit, each with its blob's bytes as `git cat-file --batch` prints them:
 * `<sha> blob <size>\n<bytes>\n` per object. Written independently of src/git on purpose.
 */
export async function committedFiles(gitDir: string, commit: string): Promise<Map<string, ArchivedFile>> {
  const listing = (await git(gitDir, ['ls-tree', '-r', '-z', '--full-tree', commit])).toString('utf8');
  const entries = listing
    .split('\0')
    .filter((record) => record !== '')
    .map((record) => {
      const tab = record.indexOf('\t');
      const [mode, type, sha] = record.slice(0, tab).split(' ');
      return { path: record.slice(tab + 1), mode: mode!, type: type!, sha: sha! };
    })
    .filter((entry) => entry.type === 'blob' && (entry.mode === '100644' || entry.mode === '100755'));
  const output = await git(
    gitDir,
    ['cat-file', '--batch'],
    Buffer.from(entries.map((e) => `${e.sha}\n`).join('')),
  );
  const files = new Map<string, ArchivedFile>();
  let offset = 0;
  for (const entry of entries) {
    const lineEnd = output.indexOf(0x0a, offset);
    const [sha, type, size] = output.toString('utf8', offset, lineEnd).split(' ');
    if (sha !== entry.sha || type !== 'blob')
      throw new Error(`cat-file answered ${sha} ${type} for ${entry.sha}`);
    const start = lineEnd + 1;
    const end = start + Number(size);
    files.set(entry.path, { content: output.subarray(start, end), executable: entry.mode === '100755' });
    offset = end + 1;
  }
  return files;
}

/** Writes blobs and nested trees for the files into gitDir's object database; returns the root tree. */
async function writeTree(gitDir: string, files: Record<string, string | Buffer>): Promise<string> {
  type Folder = Map<string, Folder | string | Buffer>;
  const root: Folder = new Map();
  for (const [path, content] of Object.entries(files)) {
    const names = path.split('/');
    let folder = root;
    for (const name of names.slice(0, -1)) {
      const next = folder.get(name) ?? new Map();
      if (!(next instanceof Map)) throw new Error(`${name} is both a file and a folder`);
      folder.set(name, next);
      folder = next;
    }
    folder.set(names.at(-1)!, content);
  }
  const write = async (folder: Folder): Promise<string> => {
    const records: string[] = [];
    for (const [name, item] of folder) {
      if (item instanceof Map) records.push(`040000 tree ${await write(item)}\t${name}\0`);
      else {
        const blob = await git(gitDir, ['hash-object', '-w', '--no-filters', '--stdin'], Buffer.from(item));
        records.push(`100644 blob ${blob.toString().trim()}\t${name}\0`);
      }
    }
    return (await git(gitDir, ['mktree', '-z'], Buffer.from(records.join('')))).toString().trim();
  };
  return write(root);
}

/**
 * Extracts `git archive <commit>`: the files as a checkout would have them, .gitattributes
 * applied. Not what the workspace holds; tests use it to show that a case is one where it differs.
 * A commit with symlinks rejects (see readFolderFiles).
 */
export async function archiveFiles(gitDir: string, commit: string): Promise<Map<string, ArchivedFile>> {
  const out = await mkdtemp(join(tmpdir(), 'git-archive-'));
  try {
    const tar = await git(gitDir, ['archive', '--format=tar', commit]);
    await new Promise<void>((resolve, reject) => {
      const child = execFile('tar', ['-x', '-C', out], (error) => (error ? reject(error) : resolve()));
      child.stdin?.end(tar);
    });
    return await readFolderFiles(out);
  } finally {
    await rm(out, { recursive: true, force: true });
  }
}
