import { mkdir, mkdtemp, readdir, rm, utimes, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, expect, it } from 'vitest';
import { removeStaleCheckouts, STALE_CHECKOUT_MS } from '../../src/git/clone.js';

let parent: string;
beforeEach(async () => {
  parent = await mkdtemp(join(tmpdir(), 'checkouts-'));
});
afterEach(() => rm(parent, { recursive: true, force: true }));

it('removes checkouts a killed worker left behind, and nothing else', async () => {
  const old = new Date(Date.now() - STALE_CHECKOUT_MS - 60_000);
  for (const name of ['workspace-sync-dead', 'workspace-sync-live', 'someone-elses-dir']) {
    await mkdir(join(parent, name, 'repo'), { recursive: true });
    await writeFile(join(parent, name, 'repo', 'file'), 'x');
  }
  await writeFile(join(parent, 'workspace-sync-a-file'), 'not a checkout');
  for (const name of ['workspace-sync-dead', 'someone-elses-dir', 'workspace-sync-a-file']) {
    await utimes(join(parent, name), old, old);
  }
  await removeStaleCheckouts(parent);
  expect((await readdir(parent)).sort()).toEqual([
    'someone-elses-dir',
    'workspace-sync-a-file',
    'workspace-sync-live',
  ]);
});

it('does nothing when the temp folder does not exist', async () => {
  await expect(removeStaleCheckouts(join(parent, 'missing'))).resolves.toBeUndefined();
});
