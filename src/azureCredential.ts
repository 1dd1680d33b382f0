// The one Azure credential: every client the app builds (storage, Azure Files, Key Vault) signs
// in as the same managed identity — the user-assigned one named by its client id when there is
// one, else whatever DefaultAzureCredential finds (the system-assigned identity in Azure, a
// developer's az login locally). One credential per client id, so tokens are cached once.

import { DefaultAzureCredential, ManagedIdentityCredential, type TokenCredential } from '@azure/identity';

const credentials = new Map<string, TokenCredential>();

export function azureCredential(clientId: string | undefined): TokenCredential {
  const key = clientId ?? '';
  let credential = credentials.get(key);
  if (!credential) {
    credential = clientId ? new ManagedIdentityCredential({ clientId }) : new DefaultAzureCredential();
    credentials.set(key, credential);
  }
  return credential;
}
