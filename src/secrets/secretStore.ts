// The secret store: where the app keeps what must never reach a table, a log or a response
// (a connection's GitHub token, its webhook secret). One small interface, two implementations:
// Azure Key Vault in Azure, a 0600 JSON file for `npm start`. See docs/secrets.md.

export interface SecretStore {
  readonly kind: 'key-vault' | 'local-file';
  /** The current value, or undefined when there is no such secret (never an error). */
  get(name: string): Promise<string | undefined>;
  /** Creates the secret or replaces its value. */
  set(name: string, value: string): Promise<void>;
  /** Removes the secret so that get() answers undefined and set() may reuse the name. Idempotent. */
  delete(name: string): Promise<void>;
}

export type SecretStoreErrorCode =
  /** The name breaks Key Vault's rules (both stores enforce them, so local mode cannot drift). */
  | 'SECRET_NAME_INVALID'
  /** The identity may not do this (missing role, disabled secret). */
  | 'SECRET_STORE_DENIED'
  /** The name stayed busy (being deleted or purged) for longer than the store waits. */
  | 'SECRET_STORE_CONFLICT'
  /** The local file exists but is not a secret store file. */
  | 'SECRET_STORE_CORRUPT'
  /** Anything else: the vault is unreachable, a token could not be had, an unexpected answer. */
  | 'SECRET_STORE_FAILED';

/** Carries a stable code and a message that names the secret, never its value. */
export class SecretStoreError extends Error {
  constructor(
    readonly code: SecretStoreErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SecretStoreError';
  }
}

/**
 * Key Vault object names: 1-127 characters of 0-9, a-z, A-Z and '-'
 * (https://learn.microsoft.com/azure/key-vault/general/about-keys-secrets-certificates#object-identifiers).
 */
const SECRET_NAME = /^[0-9a-zA-Z-]{1,127}$/;

export function assertSecretName(name: string): void {
  if (typeof name === 'string' && SECRET_NAME.test(name)) return;
  const shown = typeof name === 'string' ? JSON.stringify(name.slice(0, 140)) : typeof name;
  throw new SecretStoreError(
    'SECRET_NAME_INVALID',
    `Secret name ${shown} is not valid: use 1-127 characters of 0-9, a-z, A-Z and "-".`,
  );
}
