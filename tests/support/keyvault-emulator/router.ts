// Maps Key Vault REST requests to operations on the emulated vault and their results to the
// response shapes of the Key Vault REST reference (https://learn.microsoft.com/rest/api/keyvault/secrets/),
// as the SDK's recordings show them (Azure/azure-sdk-for-js sdk/keyvault/keyvault-secrets/recordings).

import { KeyVaultServiceError, type SecretVersion, type Vault } from './state.js';

export type Operation =
  | 'setSecret'
  | 'getSecret'
  | 'getSecretVersions'
  | 'deleteSecret'
  | 'getDeletedSecret'
  | 'purgeDeletedSecret'
  | 'recoverDeletedSecret'
  | 'unsupported';

export interface Request {
  method: string;
  /** Decoded path segments, e.g. ['secrets', 'name', 'versions']. */
  segments: string[];
  query: URLSearchParams;
  body: string;
  /** https://127.0.0.1:<port>, the base of every id the vault hands out. */
  vaultUrl: string;
}

export interface Reply {
  status: number;
  body?: unknown;
}

/** Page size bounds of Get Secret Versions (`maxresults`, 1-25). */
const MAX_RESULTS = 25;

export function operationOf(method: string, segments: string[]): Operation {
  const [collection, name, rest, extra] = segments;
  if (!name || extra !== undefined) return 'unsupported';
  if (collection === 'secrets') {
    if (method === 'PUT' && rest === undefined) return 'setSecret';
    if (method === 'DELETE' && rest === undefined) return 'deleteSecret';
    if (method === 'GET') return rest === 'versions' ? 'getSecretVersions' : 'getSecret';
  }
  if (collection === 'deletedsecrets') {
    if (method === 'GET' && rest === undefined) return 'getDeletedSecret';
    if (method === 'DELETE' && rest === undefined) return 'purgeDeletedSecret';
    if (method === 'POST' && rest === 'recover') return 'recoverDeletedSecret';
  }
  return 'unsupported';
}

export function route(vault: Vault, operation: Operation, request: Request): Reply {
  const name = request.segments[1] ?? '';
  switch (operation) {
    // Set Secret: PUT {vaultBaseUrl}/secrets/{secret-name} → 200 SecretBundle; a new version every time.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/set-secret/set-secret
    case 'setSecret': {
      const input = parseSetBody(request.body);
      const stored = vault.set(name, input);
      return { status: 200, body: bundle(request.vaultUrl, stored.name, stored.version, true) };
    }
    // Get Secret: GET {vaultBaseUrl}/secrets/{secret-name}/{secret-version}; an empty version
    // (the SDK sends "/secrets/{name}/") means the current one.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret/get-secret
    case 'getSecret': {
      const found = vault.get(name, request.segments[2] ?? '');
      return { status: 200, body: bundle(request.vaultUrl, found.name, found.version, true) };
    }
    // Get Secret Versions: GET {vaultBaseUrl}/secrets/{secret-name}/versions?maxresults=N →
    // {value: SecretItem[] (no values), nextLink}.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/get-secret-versions/get-secret-versions
    case 'getSecretVersions':
      return versionsPage(vault, name, request);
    // Delete Secret: DELETE {vaultBaseUrl}/secrets/{secret-name} → 200 DeletedSecretBundle (no value).
    // https://learn.microsoft.com/rest/api/keyvault/secrets/delete-secret/delete-secret
    case 'deleteSecret': {
      const removed = vault.delete(name);
      return { status: 200, body: deletedBundle(request.vaultUrl, removed) };
    }
    // Get Deleted Secret: GET {vaultBaseUrl}/deletedsecrets/{secret-name} → 200 DeletedSecretBundle;
    // 404 until the deletion has completed (the SDK's delete poller waits on this).
    // https://learn.microsoft.com/rest/api/keyvault/secrets/get-deleted-secret/get-deleted-secret
    case 'getDeletedSecret':
      return { status: 200, body: deletedBundle(request.vaultUrl, vault.getDeleted(name)) };
    // Purge Deleted Secret: DELETE {vaultBaseUrl}/deletedsecrets/{secret-name} → 204.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/purge-deleted-secret/purge-deleted-secret
    case 'purgeDeletedSecret':
      vault.purge(name);
      return { status: 204 };
    // Recover Deleted Secret: POST {vaultBaseUrl}/deletedsecrets/{secret-name}/recover → 200 SecretBundle.
    // https://learn.microsoft.com/rest/api/keyvault/secrets/recover-deleted-secret/recover-deleted-secret
    case 'recoverDeletedSecret': {
      const recovered = vault.recover(name);
      return { status: 200, body: bundle(request.vaultUrl, recovered.name, recovered.current, false) };
    }
    case 'unsupported':
      // As recorded for PUT /secrets/ (recording_cannot_create_a_secret_with_an_empty_name.json).
      throw new KeyVaultServiceError(405, 'MethodNotAllowed', `HTTP ${request.method} not allowed`);
  }
}

interface SetInput {
  value: string;
  contentType?: string;
  tags?: Record<string, string>;
  enabled?: boolean;
}

/** SecretSetParameters: {value (required), contentType?, attributes?: {enabled, nbf, exp}, tags?}. */
function parseSetBody(text: string): SetInput {
  let body: {
    value?: unknown;
    contentType?: unknown;
    tags?: unknown;
    attributes?: { enabled?: unknown };
  } | null;
  try {
    body = JSON.parse(text) as typeof body;
  } catch {
    throw new KeyVaultServiceError(400, 'BadParameter', 'The request body is not valid JSON.');
  }
  if (typeof body?.value !== 'string') {
    throw new KeyVaultServiceError(400, 'BadParameter', 'Property "value" is required and must be a string.');
  }
  return {
    value: body.value,
    contentType: typeof body.contentType === 'string' ? body.contentType : undefined,
    tags: body.tags && typeof body.tags === 'object' ? (body.tags as Record<string, string>) : undefined,
    enabled: typeof body.attributes?.enabled === 'boolean' ? body.attributes.enabled : undefined,
  };
}

function secretId(vaultUrl: string, name: string, version: string): string {
  return `${vaultUrl}/secrets/${name}/${version}`;
}

/** SecretBundle (with the value) or SecretItem / recovered bundle (without). */
function bundle(
  vaultUrl: string,
  name: string,
  version: SecretVersion,
  withValue: boolean,
): Record<string, unknown> {
  return {
    ...(withValue ? { value: version.value } : {}),
    ...(version.contentType !== undefined ? { contentType: version.contentType } : {}),
    id: secretId(vaultUrl, name, version.version),
    attributes: version.attributes,
    ...(version.tags !== undefined ? { tags: version.tags } : {}),
  };
}

function deletedBundle(vaultUrl: string, removed: ReturnType<Vault['delete']>): Record<string, unknown> {
  return {
    recoveryId: `${vaultUrl}/deletedsecrets/${removed.name}`,
    deletedDate: removed.deleted.deletedDate,
    scheduledPurgeDate: removed.deleted.scheduledPurgeDate,
    ...bundle(vaultUrl, removed.name, removed.current, false),
  };
}

function versionsPage(vault: Vault, name: string, request: Request): Reply {
  const requested = request.query.get('maxresults');
  const pageSize = requested === null ? MAX_RESULTS : Number(requested);
  if (!Number.isInteger(pageSize) || pageSize < 1 || pageSize > MAX_RESULTS) {
    throw new KeyVaultServiceError(400, 'BadParameter', `maxresults must be between 1 and ${MAX_RESULTS}.`);
  }
  const start = Number(request.query.get('$skiptoken') ?? '0');
  const { name: stored, versions } = vault.versions(name);
  const page = versions.slice(start, start + pageSize);
  const next = start + pageSize < versions.length ? start + pageSize : undefined;
  const nextLink =
    next === undefined
      ? null
      : `${request.vaultUrl}/secrets/${stored}/versions?api-version=${request.query.get('api-version')}&$skiptoken=${next}&maxresults=${pageSize}`;
  return {
    status: 200,
    body: { value: page.map((version) => bundle(request.vaultUrl, stored, version, false)), nextLink },
  };
}
