// The emulated vault: secrets with their versions, soft-deleted secrets, and the two windows in
// which real Key Vault keeps a name busy: while a delete completes and while a purge completes.
// Shapes and messages follow the Key Vault REST reference and the SDK's recordings; the links
// are in router.ts next to each operation.

import { randomBytes } from 'node:crypto';

export class KeyVaultServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    /** `error.innererror.code`, as Key Vault adds on some 409s and 403s. */
    readonly innerCode?: string,
  ) {
    super(message);
  }
}

export interface SecretAttributes {
  enabled: boolean;
  nbf?: number;
  exp?: number;
  created: number;
  updated: number;
  recoveryLevel: string;
  recoverableDays: number;
}

export interface SecretVersion {
  version: string;
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  attributes: SecretAttributes;
}

interface Secret {
  /** The name as first set: Key Vault names compare case-insensitively. */
  name: string;
  /** Oldest first; the last one is the current version. */
  versions: SecretVersion[];
}

interface DeletedSecret {
  secret: Secret;
  deletedDate: number;
  scheduledPurgeDate: number;
  /** Reads of /deletedsecrets/{name} still answered 404 before the deletion shows as complete. */
  pendingReads: number;
}

export interface VaultBehaviour {
  /** Days a deleted secret stays recoverable (7-90; Key Vault's default is 90). */
  retentionDays: number;
  /** Purge is refused with 403 (the vault has purge protection). */
  purgeProtection: boolean;
  /** Reads of a deleted secret answered 404 while the deletion completes (recordings show 1-2). */
  deletionLagReads: number;
  /** set() calls answered 409 "being deleted" after a purge (Key Vault has no purge status to poll). */
  purgeLagWrites: number;
}

export const MAX_NAME_LENGTH = 127;
const NAME = /^[0-9a-zA-Z-]{1,127}$/;

const now = (): number => Math.floor(Date.now() / 1000);
const key = (name: string): string => name.toLowerCase();

export class Vault {
  private readonly secrets = new Map<string, Secret>();
  private readonly deleted = new Map<string, DeletedSecret>();
  /** Names whose purge is still completing: writes left to refuse. */
  private readonly purging = new Map<string, number>();

  constructor(readonly behaviour: VaultBehaviour) {}

  private get recoveryLevel(): string {
    const custom = this.behaviour.retentionDays < 90 ? 'Customized' : '';
    return `${custom}Recoverable${this.behaviour.purgeProtection ? '' : '+Purgeable'}`;
  }

  set(
    name: string,
    input: { value: string; contentType?: string; tags?: Record<string, string>; enabled?: boolean },
  ): {
    name: string;
    version: SecretVersion;
  } {
    checkName(name);
    const deleted = this.deleted.get(key(name));
    if (deleted && deleted.pendingReads > 0) throw beingDeleted(name);
    if (deleted) {
      throw new KeyVaultServiceError(
        409,
        'Conflict',
        `Secret ${name} is currently in a deleted but recoverable state, and its name cannot be reused; in this state, the secret can only be recovered or purged.`,
        'ObjectIsDeletedButRecoverable',
      );
    }
    const purgeWrites = this.purging.get(key(name)) ?? 0;
    if (purgeWrites > 0) {
      this.purging.set(key(name), purgeWrites - 1);
      throw beingDeleted(name);
    }
    this.purging.delete(key(name));
    const secret = this.secrets.get(key(name)) ?? { name, versions: [] };
    const time = now();
    const version: SecretVersion = {
      version: randomBytes(16).toString('hex'),
      value: input.value,
      contentType: input.contentType,
      tags: input.tags,
      attributes: {
        enabled: input.enabled ?? true,
        created: time,
        updated: time,
        recoveryLevel: this.recoveryLevel,
        recoverableDays: this.behaviour.retentionDays,
      },
    };
    secret.versions.push(version);
    this.secrets.set(key(name), secret);
    return { name: secret.name, version };
  }

  /** One version, or the current one when `version` is empty. */
  get(name: string, version: string): { name: string; version: SecretVersion } {
    checkName(name);
    const secret = this.live(name);
    const found = version
      ? secret.versions.find((candidate) => candidate.version === version.toLowerCase())
      : secret.versions.at(-1);
    if (!found) throw secretNotFound(`${name}/${version}`);
    if (!found.attributes.enabled) {
      throw new KeyVaultServiceError(
        403,
        'Forbidden',
        'Operation get is not allowed on a disabled secret.',
        'SecretDisabled',
      );
    }
    return { name: secret.name, version: found };
  }

  /** Every version, newest first as the recordings list them. */
  versions(name: string): { name: string; versions: SecretVersion[] } {
    checkName(name);
    const secret = this.live(name);
    return { name: secret.name, versions: [...secret.versions].reverse() };
  }

  delete(name: string): { name: string; current: SecretVersion; deleted: DeletedSecret } {
    checkName(name);
    const secret = this.live(name);
    this.secrets.delete(key(name));
    const deletedDate = now();
    const deleted: DeletedSecret = {
      secret,
      deletedDate,
      scheduledPurgeDate: deletedDate + this.behaviour.retentionDays * 86_400,
      pendingReads: this.behaviour.deletionLagReads,
    };
    this.deleted.set(key(name), deleted);
    return { name: secret.name, current: secret.versions.at(-1)!, deleted };
  }

  getDeleted(name: string): { name: string; current: SecretVersion; deleted: DeletedSecret } {
    checkName(name);
    const deleted = this.deleted.get(key(name));
    if (!deleted) throw deletedNotFound(name);
    if (deleted.pendingReads > 0) {
      deleted.pendingReads -= 1;
      throw deletedNotFound(name);
    }
    return { name: deleted.secret.name, current: deleted.secret.versions.at(-1)!, deleted };
  }

  purge(name: string): void {
    checkName(name);
    const deleted = this.deleted.get(key(name));
    if (!deleted) throw deletedNotFound(name);
    if (deleted.pendingReads > 0)
      throw new KeyVaultServiceError(
        409,
        'Conflict',
        'Secret is currently being deleted.',
        'ObjectIsBeingDeleted',
      );
    if (this.behaviour.purgeProtection) {
      throw new KeyVaultServiceError(
        403,
        'Forbidden',
        'Operation "purge" is not allowed because purge protection is enabled for this vault. Key Vault service will automatically purge it after the retention period has passed.',
      );
    }
    this.deleted.delete(key(name));
    if (this.behaviour.purgeLagWrites > 0) this.purging.set(key(name), this.behaviour.purgeLagWrites);
  }

  recover(name: string): { name: string; current: SecretVersion } {
    checkName(name);
    const deleted = this.deleted.get(key(name));
    if (!deleted || deleted.pendingReads > 0) throw deletedNotFound(name);
    this.deleted.delete(key(name));
    this.secrets.set(key(name), deleted.secret);
    return { name: deleted.secret.name, current: deleted.secret.versions.at(-1)! };
  }

  private live(name: string): Secret {
    const secret = this.secrets.get(key(name));
    if (!secret) throw secretNotFound(name);
    return secret;
  }
}

export function checkName(name: string): void {
  if (!NAME.test(name)) {
    throw new KeyVaultServiceError(400, 'BadParameter', `The request URI contains an invalid name: ${name}`);
  }
}

// Messages as recorded (recording_can_delete_a_secret.json in azure-sdk-for-js).
function secretNotFound(nameOrId: string): KeyVaultServiceError {
  return new KeyVaultServiceError(
    404,
    'SecretNotFound',
    `A secret with (name/id) ${nameOrId} was not found in this key vault. If you recently deleted this secret you may be able to recover it using the correct recovery command. For help resolving this issue, please see https://go.microsoft.com/fwlink/?linkid=2125182`,
  );
}

function deletedNotFound(name: string): KeyVaultServiceError {
  return new KeyVaultServiceError(404, 'SecretNotFound', `Deleted Secret not found: ${name}`);
}

// As reported against the real service (Azure/azure-sdk-for-net#34322).
function beingDeleted(name: string): KeyVaultServiceError {
  return new KeyVaultServiceError(
    409,
    'Conflict',
    `Secret ${name} is currently being deleted and cannot be re-created; retry later.`,
    'ObjectIsBeingDeleted',
  );
}
