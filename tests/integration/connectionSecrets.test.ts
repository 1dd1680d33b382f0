// The connection's webhook secrets over time, which the end-to-end test cannot wait for: the old
// secret after a rotation verifies for exactly 10 minutes, reads are cached, and a signature that
// matches nothing refetches at most once per 10 s however many forged deliveries arrive. A clock
// is injected (ConnectionSecrets takes `now`); the secrets live in the Key Vault emulator through
// the real SDK, whose request log shows what reached the vault.

import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import {
  ConnectionSecrets,
  PREVIOUS_SECRET_GRACE_MS,
  SECRET_NAMES,
} from '../../src/jobs/connectionSecrets.js';
import { verify } from '../../src/github/signature.js';
import { KeyVaultSecretStore } from '../../src/secrets/keyVaultStore.js';
import { startKeyVaultEmulator, type KeyVaultEmulator } from '../support/keyvault-emulator/index.js';
import { TestCredential } from '../support/keyvault-emulator/testCredential.js';

const START = Date.parse('2026-03-01T12:00:00Z');
const REFETCH_EVERY_MS = 10_000;
const CACHE_MS = 5 * 60_000;
const BODY = Buffer.from('{"ref":"refs/heads/main"}');

let vault: KeyVaultEmulator;
let now: number;

function store(): KeyVaultSecretStore {
  return new KeyVaultSecretStore({
    vaultUrl: vault.url,
    credential: new TestCredential(vault.acceptedToken),
    clientOptions: {
      tlsOptions: { ca: vault.ca },
      disableChallengeResourceVerification: true,
      retryOptions: { maxRetries: 0 },
    },
    pollIntervalMs: 5,
    waitTimeoutMs: 5_000,
  });
}

/** An app instance: its own cache, the shared vault, the test's clock. */
const instance = () => new ConnectionSecrets(store(), () => now);

/** Secret reads that reached the vault (the bearer challenge's unauthenticated first try left out). */
const vaultReads = () =>
  vault.requests.filter((r) => r.operation === 'getSecret' && r.authorization === 'accepted').length;

const signed = (secret: string) => `sha256=${createHmac('sha256', secret).update(BODY).digest('hex')}`;

/** Whether a delivery signed with `secret` passes, as the webhook function checks it (cached secrets). */
async function passes(secrets: ConnectionSecrets, secret: string): Promise<boolean> {
  return (await secrets.verifyingSecrets()).some((known) => verify(known, BODY, signed(secret)));
}

beforeAll(async () => {
  vault = await startKeyVaultEmulator();
});
afterAll(async () => {
  await vault?.stop();
});
beforeEach(async () => {
  now = START;
  await instance().deleteAll();
});

async function rotate(secrets: ConnectionSecrets): Promise<{ secret: string; validUntil: string }> {
  const { secret, commit } = await secrets.prepareRotation();
  return { secret, validUntil: await commit() };
}

describe('ConnectionSecrets over time', () => {
  it('after a rotation the old secret verifies for 10 minutes, then no more; the new one from the start', async () => {
    const secrets = instance();
    const old = await secrets.webhookSecretForHook();
    now += 60_000;
    const rotatedAt = now;
    const { secret: current, validUntil } = await rotate(secrets);
    expect(PREVIOUS_SECRET_GRACE_MS).toBe(10 * 60_000);
    expect(validUntil).toBe(new Date(rotatedAt + PREVIOUS_SECRET_GRACE_MS).toISOString());

    expect(await passes(secrets, current)).toBe(true);
    expect(await passes(secrets, old)).toBe(true);
    now = rotatedAt + PREVIOUS_SECRET_GRACE_MS - 1;
    expect(await passes(secrets, old)).toBe(true);
    now = rotatedAt + PREVIOUS_SECRET_GRACE_MS;
    expect(await passes(secrets, old)).toBe(false);
    expect(await passes(secrets, current)).toBe(true);
    // Another instance, reading the vault afresh, agrees.
    expect(await passes(instance(), old)).toBe(false);
    expect(await passes(instance(), current)).toBe(true);
  });

  it('a second rotation within the grace keeps only the secret just replaced', async () => {
    const secrets = instance();
    const first = await secrets.webhookSecretForHook();
    const { secret: second } = await rotate(secrets);
    now += 60_000;
    const { secret: third } = await rotate(secrets);
    expect(await passes(secrets, third)).toBe(true);
    expect(await passes(secrets, second)).toBe(true);
    expect(await passes(secrets, first)).toBe(false);
  });

  it('reads are cached: deliveries cost no vault call until the cache is 5 minutes old', async () => {
    await instance().webhookSecretForHook();
    const secrets = instance();
    const before = vaultReads();
    for (let i = 0; i < 20; i++) await secrets.verifyingSecrets();
    // One read of the current and one of the previous secret.
    expect(vaultReads() - before).toBe(2);
    now += CACHE_MS;
    await secrets.verifyingSecrets();
    expect(vaultReads() - before).toBe(2);
    now += 1;
    await secrets.verifyingSecrets();
    expect(vaultReads() - before).toBe(4);
  });

  it('an instance that missed a rotation picks it up on the first mismatch, and forged deliveries refetch at most once per 10 s', async () => {
    const rotator = instance();
    const old = await rotator.webhookSecretForHook();
    const other = instance();
    expect(await passes(other, old)).toBe(true); // cached before the rotation
    const { secret: current } = await rotate(rotator);
    expect(await passes(other, current)).toBe(false); // stale cache

    const before = vaultReads();
    const refetched = await other.refetchAfterMismatch();
    expect(refetched).toEqual(expect.arrayContaining([current, old]));
    expect(vaultReads() - before).toBe(2);
    expect(await passes(other, current)).toBe(true);

    // A flood of forged signatures within the next 10 s: no further vault reads.
    for (let i = 0; i < 100; i++) {
      now += 50;
      expect(await other.refetchAfterMismatch()).toBeUndefined();
    }
    expect(vaultReads() - before).toBe(2);
    now = START + REFETCH_EVERY_MS - 1;
    expect(await other.refetchAfterMismatch()).toBeUndefined();
    now = START + REFETCH_EVERY_MS;
    expect(await other.refetchAfterMismatch()).toEqual(expect.arrayContaining([current]));
    expect(vaultReads() - before).toBe(4);
  });

  it('disconnect removes the token and every webhook secret from the vault', async () => {
    const secrets = instance();
    await secrets.setToken('ghp_integrationToken0123');
    await secrets.webhookSecretForHook();
    await rotate(secrets);
    await secrets.deleteAll();
    const fresh = store();
    for (const name of Object.values(SECRET_NAMES)) expect(await fresh.get(name)).toBeUndefined();
    expect(await secrets.verifyingSecrets()).toEqual([]);
  });
});
