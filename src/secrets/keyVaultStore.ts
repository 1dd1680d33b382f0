// The secret store in Azure: Key Vault secrets through @azure/keyvault-secrets.
//
// Key Vault soft-deletes: a deleted secret keeps its name (and its versions) until it is purged
// or its retention ends, and setting that name meanwhile fails with 409 Conflict. So that
// disconnecting and connecting again can reuse a name:
// - delete() deletes, waits until the deletion is done (the SDK's poller), then purges;
// - where purging is refused (403: the vault has purge protection, or the identity lacks the
//   purge permission) the soft-deleted secret stays until its retention ends, and
// - set() on such a name purges it if it can and otherwise recovers it and writes a new version;
//   a name that is still being deleted or purged (409 with nothing under /deletedsecrets) is
//   retried until it is free, since Key Vault offers nothing to wait on for a purge.
// See docs/secrets.md for the roles this needs.

import type { TokenCredential } from '@azure/identity';
import { SecretClient, type SecretClientOptions } from '@azure/keyvault-secrets';
import { setTimeout as sleep } from 'node:timers/promises';
import { assertSecretName, SecretStoreError, type SecretStore } from './secretStore.js';

export interface KeyVaultStoreOptions {
  /** https://<vault>.vault.azure.net */
  vaultUrl: string;
  /** Production: the managed identity (DefaultAzureCredential / ManagedIdentityCredential). */
  credential: TokenCredential;
  /**
   * SecretClient options. Production passes none. Tests pass `tlsOptions.ca` (the emulator's test
   * CA) and `disableChallengeResourceVerification` (the emulator is not under vault.azure.net).
   */
  clientOptions?: SecretClientOptions;
  /** Pause between polls while Key Vault finishes a delete, purge or recovery. Default 1 s. */
  pollIntervalMs?: number;
  /** How long one call waits for such a change before it gives up. Default 60 s. */
  waitTimeoutMs?: number;
}

export class KeyVaultSecretStore implements SecretStore {
  readonly kind = 'key-vault';
  private readonly client: SecretClient;
  private readonly pollIntervalMs: number;
  private readonly waitTimeoutMs: number;

  constructor(options: KeyVaultStoreOptions) {
    this.client = new SecretClient(options.vaultUrl, options.credential, options.clientOptions);
    this.pollIntervalMs = options.pollIntervalMs ?? 1000;
    this.waitTimeoutMs = options.waitTimeoutMs ?? 60_000;
  }

  async get(name: string): Promise<string | undefined> {
    assertSecretName(name);
    try {
      return (await this.client.getSecret(name)).value;
    } catch (error) {
      if (statusOf(error) === 404) return undefined;
      throw storeError('read', name, error);
    }
  }

  async set(name: string, value: string): Promise<void> {
    assertSecretName(name);
    const deadline = Date.now() + this.waitTimeoutMs;
    for (;;) {
      try {
        await this.client.setSecret(name, value);
        return;
      } catch (error) {
        if (statusOf(error) !== 409) throw storeError('write', name, error);
      }
      // 409: the name is soft-deleted, or still being deleted or purged.
      if (!(await this.releaseDeleted(name, deadline))) await this.pauseBefore(deadline, name);
      else if (Date.now() > deadline) throw this.busy(name);
    }
  }

  async delete(name: string): Promise<void> {
    assertSecretName(name);
    const deadline = Date.now() + this.waitTimeoutMs;
    try {
      const poller = await this.client.beginDeleteSecret(name, { intervalInMs: this.pollIntervalMs });
      await poller.pollUntilDone({ abortSignal: AbortSignal.timeout(this.waitTimeoutMs) });
    } catch (error) {
      // 404: nothing live under this name; a soft-deleted copy may still hold it, so purge anyway.
      if (statusOf(error) !== 404) throw storeError('delete', name, error);
    }
    await this.purge(name, deadline);
  }

  /**
   * Frees a soft-deleted name for set(): purges it, or recovers it where purging is refused.
   * False when nothing is soft-deleted under the name (it is being deleted or purged).
   */
  private async releaseDeleted(name: string, deadline: number): Promise<boolean> {
    try {
      await this.client.getDeletedSecret(name);
    } catch (error) {
      if (statusOf(error) === 404) return false;
      throw storeError('inspect deleted', name, error);
    }
    if (await this.purge(name, deadline)) return true;
    try {
      const poller = await this.client.beginRecoverDeletedSecret(name, { intervalInMs: this.pollIntervalMs });
      await poller.pollUntilDone({ abortSignal: AbortSignal.timeout(Math.max(deadline - Date.now(), 1)) });
    } catch (error) {
      throw storeError('recover', name, error);
    }
    return true;
  }

  /** Purges a soft-deleted secret. False when the vault refuses purging (403); nothing to purge is fine. */
  private async purge(name: string, deadline: number): Promise<boolean> {
    for (;;) {
      try {
        await this.client.purgeDeletedSecret(name);
        return true;
      } catch (error) {
        const status = statusOf(error);
        if (status === 404) return true;
        if (status === 403) return false;
        // 409 right after a delete: "Secret is currently being deleted."
        if (status !== 409) throw storeError('purge', name, error);
      }
      await this.pauseBefore(deadline, name);
    }
  }

  private async pauseBefore(deadline: number, name: string): Promise<void> {
    if (Date.now() + this.pollIntervalMs > deadline) throw this.busy(name);
    await sleep(this.pollIntervalMs);
  }

  private busy(name: string): SecretStoreError {
    return new SecretStoreError(
      'SECRET_STORE_CONFLICT',
      `Key Vault kept secret "${name}" busy (being deleted or purged) for more than ${this.waitTimeoutMs} ms.`,
    );
  }
}

/** The HTTP status of an SDK RestError, if the error is one. */
function statusOf(error: unknown): number | undefined {
  const status = (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof status === 'number' ? status : undefined;
}

/**
 * Key Vault's error code and message name the secret and the caller, never the value; the
 * RestError itself (which holds the request) is not kept, so nothing can log its body.
 */
function storeError(action: string, name: string, error: unknown): SecretStoreError {
  if (error instanceof SecretStoreError) return error;
  const status = statusOf(error);
  const code = status === 401 || status === 403 ? 'SECRET_STORE_DENIED' : 'SECRET_STORE_FAILED';
  const serviceCode = (error as { code?: unknown } | null)?.code;
  const message = error instanceof Error ? error.message : String(error);
  const detail = typeof serviceCode === 'string' && serviceCode ? `${serviceCode}: ${message}` : message;
  return new SecretStoreError(code, `Key Vault could not ${action} secret "${name}" (${detail}).`);
}
