// The secret store: one contract suite run against both stores (the local file, and Key Vault
// through the real SDK against the HTTPS emulator), then what only one of them does: Key Vault's
// challenge, TLS, versions, soft-delete and purge; the local file's mode and atomic writes.

import { SecretClient } from '@azure/keyvault-secrets';
import { randomUUID } from 'node:crypto';
import { chmod, mkdtemp, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createSecretStore } from '../../src/secrets/createSecretStore.js';
import { KeyVaultSecretStore, type KeyVaultStoreOptions } from '../../src/secrets/keyVaultStore.js';
import { DEFAULT_LOCAL_SECRETS_PATH, LocalFileSecretStore } from '../../src/secrets/localFileStore.js';
import { SecretStoreError, type SecretStore } from '../../src/secrets/secretStore.js';
import {
  KEY_VAULT_RESOURCE,
  startKeyVaultEmulator,
  type KeyVaultEmulator,
  type KeyVaultEmulatorOptions,
} from '../support/keyvault-emulator/index.js';
import { TestCredential } from '../support/keyvault-emulator/testCredential.js';

/** What production leaves out and tests add: trust in the test CA, and a vault not under vault.azure.net. */
function testClientOptions(emulator: KeyVaultEmulator): KeyVaultStoreOptions['clientOptions'] {
  return {
    tlsOptions: { ca: emulator.ca },
    disableChallengeResourceVerification: true,
    retryOptions: { maxRetries: 0 },
  };
}

function keyVaultStore(
  emulator: KeyVaultEmulator,
  overrides: Partial<KeyVaultStoreOptions> = {},
): KeyVaultSecretStore {
  return new KeyVaultSecretStore({
    vaultUrl: emulator.url,
    credential: new TestCredential(emulator.acceptedToken),
    clientOptions: testClientOptions(emulator),
    pollIntervalMs: 5,
    waitTimeoutMs: 5_000,
    ...overrides,
  });
}

/** A raw SDK client on the same vault, to look at what the store left behind. */
function inspector(emulator: KeyVaultEmulator): SecretClient {
  return new SecretClient(
    emulator.url,
    new TestCredential(emulator.acceptedToken),
    testClientOptions(emulator),
  );
}

async function expectStoreError(
  promise: Promise<unknown>,
  code: SecretStoreError['code'],
): Promise<SecretStoreError> {
  const error = await promise.then(
    () => undefined,
    (reason: unknown) => reason,
  );
  expect(error).toBeInstanceOf(SecretStoreError);
  expect((error as SecretStoreError).code).toBe(code);
  return error as SecretStoreError;
}

let counter = 0;
const uniqueName = (): string => `t${++counter}-${randomUUID().slice(0, 8)}`;

let emulator: KeyVaultEmulator;
let tempDir: string;
const emulators: KeyVaultEmulator[] = [];

async function anotherEmulator(options: KeyVaultEmulatorOptions): Promise<KeyVaultEmulator> {
  const started = await startKeyVaultEmulator(options);
  emulators.push(started);
  return started;
}

beforeAll(async () => {
  emulator = await startKeyVaultEmulator();
  tempDir = await mkdtemp(join(tmpdir(), 'secrets-'));
});
afterAll(async () => {
  await Promise.all([emulator.stop(), ...emulators.map((started) => started.stop())]);
  await rm(tempDir, { recursive: true, force: true });
});

const stores: [string, () => SecretStore][] = [
  ['local file', () => new LocalFileSecretStore(join(tempDir, uniqueName(), 'secrets.json'))],
  ['Key Vault', () => keyVaultStore(emulator)],
];

describe.each(stores)('secret store contract: %s', (_label, makeStore) => {
  it('answers undefined for a secret that was never set', async () => {
    expect(await makeStore().get(uniqueName())).toBeUndefined();
  });

  it('sets, reads and overwrites a secret', async () => {
    const store = makeStore();
    const name = uniqueName();
    await store.set(name, 'first value');
    expect(await store.get(name)).toBe('first value');
    await store.set(name, 'second value');
    expect(await store.get(name)).toBe('second value');
  });

  it('treats names case-insensitively, as Key Vault does', async () => {
    const store = makeStore();
    const name = uniqueName();
    await store.set(name.toUpperCase(), 'upper');
    expect(await store.get(name.toLowerCase())).toBe('upper');
  });

  it('deletes: the secret is gone, deleting again is fine, and the name can be used again', async () => {
    const store = makeStore();
    const name = uniqueName();
    await store.set(name, 'connected');
    await store.delete(name);
    expect(await store.get(name)).toBeUndefined();
    await store.delete(name);
    await store.set(name, 'reconnected');
    expect(await store.get(name)).toBe('reconnected');
  });

  it('deletes a name that never existed without complaint', async () => {
    await makeStore().delete(uniqueName());
  });

  it('keeps both secrets of two concurrent set() calls', async () => {
    const store = makeStore();
    const names = Array.from({ length: 8 }, uniqueName);
    await Promise.all(names.map((name, index) => store.set(name, `value-${index}`)));
    expect(await Promise.all(names.map((name) => store.get(name)))).toEqual(
      names.map((_, index) => `value-${index}`),
    );
  });

  it('accepts Key Vault names up to 127 characters and rejects others with SECRET_NAME_INVALID', async () => {
    const store = makeStore();
    const longest = `a${'-'.repeat(125)}z`;
    await store.set(longest, 'long name');
    expect(await store.get(longest)).toBe('long name');
    for (const bad of ['', 'under_score', 'with space', 'a/b', 'ünïcode', 'x'.repeat(128), '../escape']) {
      await expectStoreError(store.get(bad), 'SECRET_NAME_INVALID');
      await expectStoreError(store.set(bad, 'value'), 'SECRET_NAME_INVALID');
      await expectStoreError(store.delete(bad), 'SECRET_NAME_INVALID');
    }
  });
});

describe('Key Vault store against the emulator', () => {
  it('answers the bearer challenge: no token first, then the one for the tenant and resource the vault names', async () => {
    const vault = await anotherEmulator({});
    const credential = new TestCredential(vault.acceptedToken);
    const store = keyVaultStore(vault, { credential });
    await store.set('challenge', 'value');
    expect(await store.get('challenge')).toBe('value');

    expect(
      vault.requests.map(({ operation, authorization, status }) => [operation, authorization, status]),
    ).toEqual([
      ['setSecret', 'none', 401],
      ['setSecret', 'accepted', 200],
      ['getSecret', 'accepted', 200],
    ]);
    expect(credential.requests[0]).toEqual({
      scopes: [`${KEY_VAULT_RESOURCE}/.default`],
      tenantId: vault.tenantId,
    });
  });

  it('sends the api-version of the pinned SDK', async () => {
    const vault = await anotherEmulator({});
    await keyVaultStore(vault).get('any');
    expect(vault.requests.at(-1)?.apiVersion).toBe('2026-04-01');
  });

  it('refuses the challenge of a host outside vault.azure.net unless tests turn the check off', async () => {
    const store = keyVaultStore(emulator, {
      clientOptions: { tlsOptions: { ca: emulator.ca }, retryOptions: { maxRetries: 0 } },
    });
    const error = await expectStoreError(store.set(uniqueName(), 'value'), 'SECRET_STORE_FAILED');
    expect(error.message).toMatch(/does not match the requested domain/);
  });

  it('does not trust the emulator without its test CA', async () => {
    const store = keyVaultStore(emulator, {
      clientOptions: { disableChallengeResourceVerification: true, retryOptions: { maxRetries: 0 } },
    });
    const error = await expectStoreError(store.get(uniqueName()), 'SECRET_STORE_FAILED');
    expect(error.message).toMatch(/certificate/i);
  });

  it('reports a token the vault rejects as SECRET_STORE_DENIED', async () => {
    const store = keyVaultStore(emulator, { credential: new TestCredential('not-the-vault-token') });
    await expectStoreError(store.get(uniqueName()), 'SECRET_STORE_DENIED');
  });

  it('writes a new version on every set; older versions keep their values', async () => {
    const name = uniqueName();
    const store = keyVaultStore(emulator);
    await store.set(name, 'v1');
    await store.set(name, 'v2');
    const client = inspector(emulator);
    const versions: string[] = [];
    for await (const properties of client.listPropertiesOfSecretVersions(name, { maxPageSize: 1 } as never)) {
      versions.push(properties.version!);
    }
    expect(versions).toHaveLength(2);
    const values = await Promise.all(
      versions.map(async (version) => (await client.getSecret(name, { version })).value),
    );
    expect(values.sort()).toEqual(['v1', 'v2']);
  });

  it('delete waits for the soft-delete to complete, purges, and the next set waits out the purge', async () => {
    const vault = await anotherEmulator({ deletionLagReads: 2, purgeLagWrites: 2 });
    const store = keyVaultStore(vault);
    await store.set('reconnect', 'old token');
    await store.delete('reconnect');
    expect(
      vault.requests.filter((request) => request.operation === 'getDeletedSecret').map((r) => r.status),
    ).toEqual([404, 404, 200]);
    expect(
      vault.requests.filter((request) => request.operation === 'purgeDeletedSecret').map((r) => r.status),
    ).toEqual([204]);
    await expect(inspector(vault).getDeletedSecret('reconnect')).rejects.toMatchObject({ statusCode: 404 });

    await store.set('reconnect', 'new token');
    const sets = vault.requests.filter(
      (request) => request.operation === 'setSecret' && request.authorization === 'accepted',
    );
    expect(sets.map((request) => request.status)).toEqual([200, 409, 409, 200]);
    expect(await store.get('reconnect')).toBe('new token');
  });

  it('with purge protection, delete leaves the secret soft-deleted and set recovers the name', async () => {
    const vault = await anotherEmulator({ purgeProtection: true });
    const store = keyVaultStore(vault);
    await store.set('protected', 'old token');
    await store.delete('protected');
    expect(vault.count('purgeDeletedSecret')).toBe(1);
    expect(await store.get('protected')).toBeUndefined();
    const deleted = await inspector(vault).getDeletedSecret('protected');
    expect(deleted.properties.recoveryId).toBe(`${vault.url}/deletedsecrets/protected`);

    await store.set('protected', 'new token');
    expect(vault.count('recoverDeletedSecret')).toBe(1);
    expect(await store.get('protected')).toBe('new token');
  });

  it('purges a name someone else soft-deleted before setting it', async () => {
    const name = uniqueName();
    const client = inspector(emulator);
    await client.setSecret(name, 'left behind');
    await (await client.beginDeleteSecret(name, { intervalInMs: 5 })).pollUntilDone();
    await keyVaultStore(emulator).set(name, 'fresh');
    expect(await keyVaultStore(emulator).get(name)).toBe('fresh');
  });

  it('gives up with SECRET_STORE_CONFLICT when a name stays busy past the wait', async () => {
    const vault = await anotherEmulator({ purgeLagWrites: 1_000_000 });
    const store = keyVaultStore(vault, { waitTimeoutMs: 100 });
    await store.set('busy', 'value');
    await store.delete('busy');
    await expectStoreError(store.set('busy', 'value'), 'SECRET_STORE_CONFLICT');
  });

  it('maps a refusal to SECRET_STORE_DENIED and never puts the value in the message', async () => {
    emulator.injectFault({
      operation: 'setSecret',
      status: 403,
      code: 'Forbidden',
      message: 'Caller is not authorized to perform action on resource.',
    });
    const error = await expectStoreError(
      keyVaultStore(emulator).set('denied', 'ghp_supersecretvalue'),
      'SECRET_STORE_DENIED',
    );
    expect(error.message).toContain('"denied"');
    expect(error.message).toContain('Forbidden');
    expect(JSON.stringify(error)).not.toContain('ghp_supersecretvalue');
    expect(String(error.stack)).not.toContain('ghp_supersecretvalue');
  });

  it('reports a server failure as SECRET_STORE_FAILED', async () => {
    emulator.injectFault({
      operation: 'getSecret',
      status: 500,
      code: 'InternalServerError',
      message: 'Boom.',
    });
    await expectStoreError(keyVaultStore(emulator).get(uniqueName()), 'SECRET_STORE_FAILED');
  });
});

describe('local file store', () => {
  it('creates the file with mode 0600 and leaves no temporary files', async () => {
    const path = join(tempDir, uniqueName(), 'secrets.json');
    const store = new LocalFileSecretStore(path);
    await Promise.all(Array.from({ length: 10 }, (_, index) => store.set(`s${index}`, `v${index}`)));
    expect((await stat(path)).mode & 0o777).toBe(0o600);
    expect(await readdir(join(path, '..'))).toEqual(['secrets.json']);
    expect(JSON.parse(await readFile(path, 'utf8'))).toMatchObject({
      version: 1,
      secrets: { s0: 'v0', s9: 'v9' },
    });
  });

  it('narrows a file that was made wider back to 0600', async () => {
    const path = join(tempDir, uniqueName(), 'secrets.json');
    const store = new LocalFileSecretStore(path);
    await store.set('token', 'value');
    await chmod(path, 0o644);
    expect(await store.get('token')).toBe('value');
    expect((await stat(path)).mode & 0o777).toBe(0o600);
  });

  it('goes on after a change fails: one failed write does not block the ones after it', async () => {
    const path = join(tempDir, uniqueName(), 'secrets.json');
    const store = new LocalFileSecretStore(path);
    await store.set('kept', 'value');
    const good = await readFile(path, 'utf8');
    await writeFile(path, 'not json', { mode: 0o600 });
    await expectStoreError(store.set('lost', 'value'), 'SECRET_STORE_CORRUPT');
    await writeFile(path, good, { mode: 0o600 });
    await store.set('also-kept', 'value 2');
    expect([await store.get('kept'), await store.get('lost'), await store.get('also-kept')]).toEqual([
      'value',
      undefined,
      'value 2',
    ]);
  });

  it('refuses a file that is not a secrets file, without quoting it', async () => {
    const path = join(tempDir, uniqueName(), 'secrets.json');
    const store = new LocalFileSecretStore(path);
    await store.set('token', 'value');
    await writeFile(path, '{"version":1,"secrets":{"token":"ghp_leak', { mode: 0o600 });
    const error = await expectStoreError(store.get('token'), 'SECRET_STORE_CORRUPT');
    expect(error.message).not.toContain('ghp_leak');
    await writeFile(path, '{"secrets":[]}', { mode: 0o600 });
    await expectStoreError(store.set('token', 'value'), 'SECRET_STORE_CORRUPT');
  });

  it('defaults to .data/secrets.json', () => {
    expect(new LocalFileSecretStore().path).toBe(DEFAULT_LOCAL_SECRETS_PATH);
    expect(DEFAULT_LOCAL_SECRETS_PATH).toBe('.data/secrets.json');
  });
});

describe('createSecretStore', () => {
  it('uses the local file when no Key Vault URL is set', async () => {
    const localPath = join(tempDir, uniqueName(), 'secrets.json');
    const store = createSecretStore({ localPath });
    expect(store.kind).toBe('local-file');
    await store.set('token', 'value');
    expect((await stat(localPath)).mode & 0o777).toBe(0o600);
  });

  it('uses Key Vault when a URL is set', async () => {
    const store = createSecretStore(
      { keyVaultUrl: emulator.url, localPath: join(tempDir, 'unused.json') },
      { credential: new TestCredential(emulator.acceptedToken), clientOptions: testClientOptions(emulator) },
    );
    expect(store.kind).toBe('key-vault');
    const name = uniqueName();
    await store.set(name, 'in the vault');
    expect((await inspector(emulator).getSecret(name)).value).toBe('in the vault');
  });
});
