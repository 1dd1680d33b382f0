// Generated benchmark repositories: `files` files of incompressible bytes, 100 per folder under
// two levels of folders, sizes drawn from a seeded generator (1–17 KiB, about 9 KiB on average:
// ~90 MB for 10,000 files; `small`: 64–576 bytes, for the 100,000-file memory row), committed
// and pushed to a bare repository the git server exports.

import { randomBytes } from 'node:crypto';
import { createTestRepo, type TestRepo } from '../../tests/support/gitRepos.js';
import { random } from '../lib/random.js';

export function pathOf(i: number): string {
  const folder = Math.floor(i / 100);
  return `src/d${Math.floor(folder / 10)}/f${folder}/file-${i}.bin`;
}

export interface GeneratedRepo {
  repo: TestRepo;
  files: number;
  bytes: number;
  folders: number;
}

export async function generateRepo(root: string, files: number, small = false): Promise<GeneratedRepo> {
  const repo = await createTestRepo(root, `bench/repo-${files}${small ? '-small' : ''}`);
  const [least, spread] = small ? [64, 512] : [1024, 16 * 1024];
  const next = random(files);
  let bytes = 0;
  for (let i = 0; i < files; i++) {
    const size = least + Math.floor(next() * spread);
    bytes += size;
    await repo.write(pathOf(i), randomBytes(size));
  }
  await repo.commitAndPush(`${files} files`);
  const leafFolders = Math.ceil(files / 100);
  return { repo, files: files + 1, bytes, folders: 1 + Math.ceil(leafFolders / 10) + leafFolders };
}
