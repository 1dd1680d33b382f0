// Counts the store operations a sync makes, for the `sync.storage_requests` metric: what a sync
// costs should be visible without a profiler. Each call is one operation (a write of a large file
// is several REST requests; a listing of one folder is one per 5,000 entries), and a walk counts
// one listing per folder it enters.

import type { Entry, WorkspaceStore } from '../workspace/store.js';

export interface CountingStore {
  store: WorkspaceStore;
  count(): number;
}

export function countingStore(store: WorkspaceStore): CountingStore {
  let operations = 0;
  async function* walk(path: string): AsyncIterable<Entry> {
    operations++;
    for await (const entry of store.walk(path)) {
      if (entry.type === 'directory') operations++;
      yield entry;
    }
  }
  const counted = new Proxy(store, {
    get(target, property) {
      if (property === 'walk') return walk;
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        operations++;
        return (value as (...a: unknown[]) => unknown).apply(target, args);
      };
    },
  });
  return { store: counted, count: () => operations };
}
