// The repositories both sides sync: the same generated N-file tree in two bare repositories
// behind one git HTTP server, so each side's push is a one-file change of its own.

import { generateTree } from '../zip/tree.js';
import type { GitHttpServer } from '../../tests/support/gitHttpServer.js';
import { createTestRepo, type TestRepo } from '../../tests/support/gitRepos.js';

/** Average file size of the generated tree: source-like files of a few KiB. */
const MEAN_FILE_BYTES = 4 * 1024;

/** A repository holding exactly `files` files (README.md plus a generated tree), pushed. */
export async function createBigRepo(server: GitHttpServer, name: string, files: number): Promise<TestRepo> {
  const repo = await createTestRepo(server.root, name, { initialFiles: { 'README.md': '# bench\n' } });
  await generateTree(repo.workPath, { files: files - 1, totalBytes: (files - 1) * MEAN_FILE_BYTES });
  await repo.commitAndPush('generated tree');
  return repo;
}

/** The file a round changes: spread over the tree so no folder is special. */
export function changedPath(round: number, files: number): string {
  const i = (round * 37 + 11) % (files - 1);
  return `pkg${Math.floor(i / 1000)}/mod${Math.floor(i / 100) % 10}/file${i}.ts`;
}

/** Commits and pushes a one-file change; returns the path, its new content and the new head. */
export async function pushOneFileChange(repo: TestRepo, round: number, files: number) {
  const path = changedPath(round, files);
  const content = `// round ${round} of ${repo.name}, ${new Date().toISOString()}\n`;
  await repo.write(path, content);
  const head = await repo.commitAndPush(`bench round ${round}`);
  return { path, content, head };
}
