// Carries a plan out against a store: clear what is in the way, create folders parents first,
// write files in parallel, delete files and then the folders that became empty, deepest first.
// Returns the manifest entries of what it wrote; the caller writes the manifest last.

import { StoreError, type WorkspaceStore } from '../workspace/store.js';
import { SyncError } from './errors.js';
import { forEachLimit } from '../limit.js';
import { emptyFiles, type ManifestFiles } from './manifest.js';
import { MODE_EXECUTABLE, type Deletions, type Plan } from './plan.js';
import { readAhead, type ContentSource } from './readAhead.js';

export interface ApplyOptions {
  concurrency: number;
  source: ContentSource;
  signal?: AbortSignal;
}

async function storeStep(action: string, path: string, step: () => Promise<void>): Promise<void> {
  try {
    await step();
  } catch (error) {
    if (error instanceof StoreError) {
      const code = error.storageCode ?? error.code;
      throw new SyncError('STORAGE_ERROR', `Could not ${action} "${path}": ${code}: ${error.message}`);
    }
    throw error;
  }
}

/** Groups paths by depth, keeping the order the groups first appear in. */
function levels(paths: string[]): string[][] {
  const groups = new Map<number, string[]>();
  for (const path of paths) {
    const depth = path.split('/').length;
    const group = groups.get(depth);
    if (group) group.push(path);
    else groups.set(depth, [path]);
  }
  return [...groups.values()];
}

/** Deletes are idempotent: a retry after a crash finds some paths already gone. */
function alreadyGoneIsFine(deletion: Promise<void>): Promise<void> {
  return deletion.catch((error: unknown) => {
    if (!(error instanceof StoreError && error.code === 'NOT_FOUND')) throw error;
  });
}

async function remove(store: WorkspaceStore, deletions: Deletions, options: ApplyOptions): Promise<void> {
  const { concurrency, signal } = options;
  await forEachLimit(
    deletions.files,
    concurrency,
    (path) => storeStep('delete', path, () => alreadyGoneIsFine(store.deleteFile(path))),
    signal,
  );
  for (const level of levels(deletions.directories)) {
    await forEachLimit(
      level,
      concurrency,
      (path) => storeStep('delete folder', path, () => alreadyGoneIsFine(store.deleteDirectory(path))),
      signal,
    );
  }
}

export async function applyPlan(
  plan: Plan,
  store: WorkspaceStore,
  options: ApplyOptions,
): Promise<ManifestFiles> {
  const { concurrency, signal } = options;
  // A window as wide as the writes in flight, opened now so git works while folders are made:
  // each write slot finds its next content ready.
  const contents = readAhead(plan.writes, options.source, concurrency);
  const written = emptyFiles();
  try {
    await remove(store, plan.clearFirst, options);
    for (const level of levels(plan.directories)) {
      await forEachLimit(
        level,
        concurrency,
        (path) => storeStep('create folder', path, () => store.makeDirectory(path)),
        signal,
      );
    }
    await forEachLimit(
      plan.writes,
      concurrency,
      async (write) => {
        const body = await contents.take(write);
        try {
          await storeStep('write', write.path, async () => {
            const entry = await store.write(write.path, body, {
              size: write.size,
              executable: write.mode === MODE_EXECUTABLE,
              signal,
            });
            written[write.path] = { sha: write.sha, mode: write.mode, size: entry.size, etag: entry.etag };
          });
        } finally {
          if (!Buffer.isBuffer(body)) body.destroy(); // releases the file handle if the write gave up early
        }
      },
      signal,
    );
  } finally {
    contents.dispose();
  }
  await remove(store, plan.deletes, options);
  return written;
}
