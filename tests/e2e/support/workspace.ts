// Reading a workspace folder or a downloaded ZIP as `path → {content, executable}`, to compare
// with a commit's blobs (TestRepo.archive). A symlink or other special file there rejects.

import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { readFolderFiles, type ArchivedFile } from '../../support/gitRepos.js';

/** Every regular file of a workspace folder (crash leftovers included: they must not be there); a symlink rejects. */
export const readTree = readFolderFiles;

/** Paths with their text and exec bit, sorted, so a failed comparison reads well. */
export function describeTree(files: Map<string, ArchivedFile>, withMode = true): string[] {
  return [...files.entries()]
    .map(
      ([path, f]) =>
        `${path} ${withMode ? (f.executable ? '755 ' : '644 ') : ''}${f.content.toString('base64')}`,
    )
    .sort();
}

export function withoutExcluded(files: Map<string, ArchivedFile>): Map<string, ArchivedFile> {
  return new Map([...files].filter(([path]) => !path.startsWith('.git/') && !path.startsWith('.github/')));
}

/** Extracts a ZIP (with the `unzip` tool) and reads it like a workspace folder. */
export async function readZip(zip: Buffer): Promise<Map<string, ArchivedFile>> {
  const dir = await mkdtemp(join(tmpdir(), 'e2e-zip-'));
  try {
    await writeFile(join(dir, 'download.zip'), zip);
    await promisify(execFile)('unzip', ['-q', join(dir, 'download.zip'), '-d', join(dir, 'out')]);
    return await readTree(join(dir, 'out'));
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}
