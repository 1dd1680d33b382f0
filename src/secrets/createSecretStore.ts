// Picks the secret store: Key Vault when KEY_VAULT_URL is set (always, in Azure), else the local
// file for `npm start`.

import { azureCredential } from '../azureCredential.js';
import { KeyVaultSecretStore, type KeyVaultStoreOptions } from './keyVaultStore.js';
import { LocalFileSecretStore } from './localFileStore.js';
import type { SecretStore } from './secretStore.js';

export interface SecretStoreSettings {
  /** KEY_VAULT_URL: https://<vault>.vault.azure.net */
  keyVaultUrl?: string;
  /** Client id of a user-assigned managed identity; unset → DefaultAzureCredential. */
  clientId?: string;
  /** The local store's JSON file (DEFAULT_LOCAL_SECRETS_PATH for `npm start`). */
  localPath: string;
}

/** What tests replace: the credential, SDK client options (TLS trust), and the wait timings. */
export type KeyVaultTuning = Partial<Omit<KeyVaultStoreOptions, 'vaultUrl'>>;

export function createSecretStore(settings: SecretStoreSettings, tuning: KeyVaultTuning = {}): SecretStore {
  if (!settings.keyVaultUrl) return new LocalFileSecretStore(settings.localPath);
  return new KeyVaultSecretStore({
    ...tuning,
    vaultUrl: settings.keyVaultUrl,
    credential: tuning.credential ?? azureCredential(settings.clientId),
  });
}
