import { afterAll, beforeAll, expect, it } from 'vitest';
import { ConnectionStore } from '../../src/jobs/connectionStore.js';
import { tableClient } from '../../src/jobs/storageClients.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
beforeAll(async () => {
  harness = await startHarness();
});
afterAll(() => harness?.stop());

it('a connection known only from settings is stored whole on its first sync, not as a bare sync record', async () => {
  const table = tableClient(
    { kind: 'connectionString', connectionString: harness.azurite.connectionString },
    'Connection',
  );
  const store = new ConnectionStore(table, {
    repositoryUrl: 'https://github.com/acme/site.git',
    branch: 'main',
  });
  await store.recordSync({ lastSyncCommit: 'a'.repeat(40), lastSyncStatus: 'succeeded' });
  expect(await store.get()).toMatchObject({
    repositoryUrl: 'https://github.com/acme/site.git',
    branch: 'main',
    enabled: true,
    lastSyncCommit: 'a'.repeat(40),
    lastSyncStatus: 'succeeded',
  });
});
