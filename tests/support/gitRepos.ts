// Test repositories built with real git: a bare repository (what a server exports) plus a
// working clone to write, commit and push from. Pushes go straight to the bare repository on
// disk, so they work with or without the HTTP server in front.

import { execFile } from 'node:child_process';
import { chmod, lstat, mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
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
  /** Regular files of a commit as `git archive` produces them (symlinks and gitlinks left out). */
  archive(commit: string): Promise<Map<string, ArchivedFile>>;
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
    archive: (commit) => archiveFiles(barePath, commit),
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

/** The regular files under root (links and other special files left out), with their exec bit. */
export async function readFolderFiles(root: string): Promise<Map<string, ArchivedFile>> {
  const files = new Map<string, ArchivedFile>();
  const visit = async (relative: string) => {
    for (const name of await readdir(join(root, relative))) {
      const path = relative ? `${relative}/${name}` : name;
      const stats = await lstat(join(root, path));
      if (stats.isDirectory()) await visit(path);
      else if (stats.isFile()) {
        files.set(path, {
          content: await readFile(join(root, path)),
          executable: (stats.mode & 0o100) !== 0,
        });
      }
    }
  };
  await visit('');
  return files;
}

/** Extracts `git archive <commit>` and returns its regular files, read without following links. */
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
