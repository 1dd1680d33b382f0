// The comparison row: the algorithm of the original research notes. Clone, then download and
// hash every file in the share to decide what to write — no manifest, no ETags, no ls-remote
// shortcut. Same clone, store and concurrency as the real sync, so only the algorithm differs.

import { createHash } from 'node:crypto';
import type { Readable } from 'node:stream';
import { applyPlan } from '../../src/sync/apply.js';
import { cloneBranch } from '../../src/git/clone.js';
import type { ManifestEntry } from '../../src/sync/manifest.js';
import { planSync } from '../../src/sync/plan.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';

async function gitBlobSha(stream: Readable, size: number): Promise<string> {
  const hash = createHash('sha1').update(`blob ${size}\0`);
  for await (const chunk of stream) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

export async function naiveSync(
  url: string,
  branch: string,
  token: string,
  store: WorkspaceStore,
  concurrency: number,
): Promise<void> {
  const checkout = await cloneBranch(url, branch, { token });
  try {
    const listing = [];
    for await (const entry of store.walk('')) listing.push(entry);
    // Download and hash every file: what the store holds, expressed as a "manifest".
    const files: Record<string, ManifestEntry> = {};
    const modes = new Map(checkout.tree.map((t) => [t.path, t.mode]));
    const storeFiles = listing.filter((e) => e.type === 'file');
    for (let i = 0; i < storeFiles.length; i += concurrency) {
      await Promise.all(
        storeFiles.slice(i, i + concurrency).map(async (entry) => {
          const sha = await gitBlobSha(await store.read(entry.path), entry.size);
          files[entry.path] = { sha, mode: modes.get(entry.path) ?? '', size: entry.size, etag: entry.etag };
        }),
      );
    }
    const manifest = { version: 1 as const, repositoryUrl: url, branch, commit: '', files };
    const plan = planSync(checkout.tree, manifest, listing, { exclude: ['.git/**', '.github/**'] });
    await applyPlan(plan, store, { concurrency, source: checkout.content });
  } finally {
    await checkout.remove();
  }
}
