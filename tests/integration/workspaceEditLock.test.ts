// If-Match under concurrency on both stores: racing updates with the same ETag give exactly
// one success and one 412, because the edit lock (a blob lease on Azurite) serialises them.

import { BlobServiceClient } from '@azure/storage-blob';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import type { WorkspaceEvent } from '../../src/jobs/types.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { BlobEditLocks } from '../../src/workspace/editLock.js';
import { writeFile, type FilesDeps } from '../../src/workspace/files.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';

let emulator: FilesEmulator;
let localRoot: string;
const stores: Record<string, () => WorkspaceStore> = {};
const events: WorkspaceEvent[] = [];

beforeAll(async () => {
  emulator = await startFilesEmulator({ latencyMs: 2 });
  localRoot = await mkdtemp(join(tmpdir(), 'edit-lock-'));
  stores.local = () => createWorkspaceStore({ backend: 'local', path: localRoot });
  stores['azure-files'] = () =>
    createWorkspaceStore({
      backend: 'azure-files',
      share: 'locks',
      connectionString: emulator.connectionString,
    });
});

afterAll(async () => {
  await emulator?.stop();
  await rm(localRoot, { recursive: true, force: true });
});

async function deps(store: WorkspaceStore): Promise<FilesDeps> {
  const container = BlobServiceClient.fromConnectionString(
    inject('azuriteConnectionString'),
  ).getContainerClient('edit-lock-test');
  await container.createIfNotExists();
  return {
    store,
    connections: { get: async () => undefined },
    events: { publish: async (event) => void events.push(event) },
    locks: new BlobEditLocks(container),
  };
}

const body = (text: string) => Readable.from([Buffer.from(text)]);

describe.each(['local', 'azure-files'])('%s store', (kind) => {
  it('lets exactly one of two racing If-Match updates win, every round', async () => {
    const files = await deps(stores[kind]!());
    for (let round = 0; round < 5; round++) {
      const path = `race/${kind}-${round}.txt`;
      const { entry } = await writeFile(files, path, body('base'), {});
      const outcomes = await Promise.allSettled(
        ['left', 'right', 'third'].map((text) =>
          writeFile(files, path, body(text), { ifMatch: [entry.etag] }),
        ),
      );
      const results = outcomes.map((o) =>
        o.status === 'fulfilled' ? 'written' : (o.reason as { code: string }).code,
      );
      expect(results.sort()).toEqual(['PRECONDITION_FAILED', 'PRECONDITION_FAILED', 'written']);
    }
  });
});
