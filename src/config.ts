// Every setting the app reads, in one place, validated once. A missing or malformed
// setting fails start-up with one line that names it (DESIGN.md "Settings").

export class ConfigError extends Error {
  constructor(
    readonly setting: string,
    problem: string,
  ) {
    super(`Setting ${setting} ${problem}`);
    this.name = 'ConfigError';
  }
}

/** Where the storage account (blobs, queues, tables) is and how to authenticate to it. */
export type StorageConfig =
  | { kind: 'connectionString'; connectionString: string }
  | { kind: 'identity'; blobUrl: string; queueUrl: string; tableUrl: string; clientId?: string };

export type WorkspaceConfig =
  | { backend: 'local'; path: string }
  | { backend: 'azure-files'; share: string; url?: string; connectionString?: string; clientId?: string };

export type AuthMode = 'platform' | 'keys' | 'dev';

export interface Config {
  storage: StorageConfig;
  workspace: WorkspaceConfig;
  github: {
    webhookSecret?: string;
    token?: string;
    defaultConnection?: { repositoryUrl: string; branch: string };
    /** Hosts a repository may live on and the token may be sent to (lower case). */
    hosts: string[];
    /** REST API base, without a trailing slash. */
    apiUrl: string;
  };
  /** The app's public URL (for the webhook), without a trailing slash; undefined = unknown. */
  publicBaseUrl?: string;
  secrets: {
    keyVaultUrl?: string;
    clientId?: string;
    /** Without Key Vault (npm start): the 0600 JSON file that holds the secrets. */
    localPath: string;
  };
  auth: {
    mode: AuthMode;
    /** WEBSITE_AUTH_ENABLED=True: the platform strips and sets x-ms-client-principal. */
    platformAuthEnabled: boolean;
    /** AUTH_MODE=dev only: the principal used when a request carries none (JSON). */
    devPrincipal?: string;
  };
  sync: {
    allowLocalRepos: boolean;
    exclude: string[];
    concurrency: number;
    tempDir?: string;
    /** NCRONTAB of the poll timer; undefined = off. */
    pollSchedule?: string;
    backupKeep: number;
  };
  /** Running on App Service / Functions in Azure (WEBSITE_INSTANCE_ID set). */
  inAzure: boolean;
}

/** Names of every setting, so checks elsewhere (Dockerfile, compose, Bicep) can compare against one list. */
export const SETTING_NAMES = [
  'AzureWebJobsStorage',
  'WORKSPACE_BACKEND',
  'WORKSPACE_PATH',
  'WORKSPACE_SHARE',
  'WORKSPACE_FILES_URL',
  'WORKSPACE_FILES_CONNECTION',
  'GITHUB_WEBHOOK_SECRET',
  'GITHUB_TOKEN',
  'GITHUB_REPOSITORY_URL',
  'GITHUB_BRANCH',
  'SYNC_ALLOW_LOCAL_REPOS',
  'SYNC_EXCLUDE',
  'SYNC_CONCURRENCY',
  'SYNC_TEMP_DIR',
  'SYNC_POLL_SCHEDULE',
  'GITHUB_HOSTS',
  'GITHUB_API_URL',
  'PUBLIC_BASE_URL',
  'KEY_VAULT_URL',
  'AUTH_MODE',
  'DEV_PRINCIPAL',
  'WORKSPACE_BACKUP_KEEP',
  'LOCAL_SECRETS_PATH',
] as const;

/** Every 5 minutes, at second 0 (NCRONTAB has a seconds field). */
export const DEFAULT_POLL_SCHEDULE = '0 */5 * * * *';

export const DEFAULT_EXCLUDE = ['.git/**', '.github/**'];

type Env = Record<string, string | undefined>;

function text(env: Env, name: string): string | undefined {
  const value = env[name]?.trim();
  // App Service passes a Key Vault reference it could not resolve through as literal text; used
  // as a secret, that text would be public knowledge.
  if (value?.startsWith('@Microsoft.KeyVault(')) {
    throw new ConfigError(
      name,
      'is a Key Vault reference that did not resolve (check the app identity and the secret)',
    );
  }
  return value ? value : undefined;
}

function required(env: Env, name: string, why: string): string {
  const value = text(env, name);
  if (value === undefined) throw new ConfigError(name, `is required ${why}`);
  return value;
}

function httpUrl(name: string, value: string): string {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw new ConfigError(name, `must be an absolute URL, got "${value}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') {
    throw new ConfigError(name, `must be an http(s) URL, got "${url.protocol}"`);
  }
  return value.replace(/\/+$/, '');
}

/**
 * The user-assigned managed identity every credential uses (storage, Key Vault, Azure Files):
 * one identity, named once. The Functions host's own `AzureWebJobsStorage__clientId` wins.
 */
function identityClientId(env: Env): string | undefined {
  return text(env, 'AzureWebJobsStorage__clientId') ?? text(env, 'AZURE_CLIENT_ID');
}

function storageConfig(env: Env): StorageConfig {
  const connectionString = text(env, 'AzureWebJobsStorage');
  if (connectionString) {
    const isDev = /^UseDevelopmentStorage=true$/i.test(connectionString);
    if (!isDev && !/AccountName=|BlobEndpoint=|QueueEndpoint=|TableEndpoint=/i.test(connectionString)) {
      throw new ConfigError('AzureWebJobsStorage', 'is not a storage connection string');
    }
    return { kind: 'connectionString', connectionString };
  }
  // Identity-based connection, as the Functions host reads it.
  const prefix = 'AzureWebJobsStorage__';
  const account = text(env, `${prefix}accountName`);
  const service = (svc: string) => {
    const explicit = text(env, `${prefix}${svc}ServiceUri`);
    if (explicit) return httpUrl(`${prefix}${svc}ServiceUri`, explicit);
    if (account) return `https://${account}.${svc}.core.windows.net`;
    throw new ConfigError(
      'AzureWebJobsStorage',
      `is required (a connection string, or ${prefix}accountName / ${prefix}${svc}ServiceUri)`,
    );
  };
  return {
    kind: 'identity',
    blobUrl: service('blob'),
    queueUrl: service('queue'),
    tableUrl: service('table'),
    clientId: identityClientId(env),
  };
}

function workspaceConfig(env: Env): WorkspaceConfig {
  const backend = required(env, 'WORKSPACE_BACKEND', '("azure-files" or "local")');
  if (backend === 'local') {
    return { backend, path: required(env, 'WORKSPACE_PATH', 'when WORKSPACE_BACKEND=local') };
  }
  if (backend !== 'azure-files') {
    throw new ConfigError('WORKSPACE_BACKEND', `must be "azure-files" or "local", got "${backend}"`);
  }
  const share = text(env, 'WORKSPACE_SHARE') ?? 'workspaces';
  if (!/^[a-z0-9](?!.*--)[a-z0-9-]{1,61}[a-z0-9]$/.test(share)) {
    throw new ConfigError('WORKSPACE_SHARE', `is not a valid share name: "${share}"`);
  }
  const url = text(env, 'WORKSPACE_FILES_URL');
  const connectionString = text(env, 'WORKSPACE_FILES_CONNECTION');
  if (!url && !connectionString) {
    throw new ConfigError(
      'WORKSPACE_FILES_URL',
      'or WORKSPACE_FILES_CONNECTION is required when WORKSPACE_BACKEND=azure-files',
    );
  }
  return {
    backend,
    share,
    url: url ? httpUrl('WORKSPACE_FILES_URL', url) : undefined,
    connectionString,
    clientId: identityClientId(env),
  };
}

function bool(env: Env, name: string, fallback: boolean): boolean {
  const value = text(env, name);
  if (value === undefined) return fallback;
  if (/^(true|1)$/i.test(value)) return true;
  if (/^(false|0)$/i.test(value)) return false;
  throw new ConfigError(name, `must be true or false, got "${value}"`);
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const value = text(env, name);
  if (value === undefined) return fallback;
  // Digits only: Number() would also take "3e1", "0x10" and "1_0" as numbers nobody meant.
  const n = /^-?\d+$/.test(value) ? Number(value) : NaN;
  if (!Number.isInteger(n) || n < min || n > max) {
    throw new ConfigError(name, `must be an integer from ${min} to ${max}, got "${value}"`);
  }
  return n;
}

function defaultConnection(env: Env): Config['github']['defaultConnection'] {
  const repositoryUrl = text(env, 'GITHUB_REPOSITORY_URL');
  const branch = text(env, 'GITHUB_BRANCH');
  if (!repositoryUrl && !branch) return undefined;
  if (!repositoryUrl) throw new ConfigError('GITHUB_REPOSITORY_URL', 'is required when GITHUB_BRANCH is set');
  return { repositoryUrl, branch: branch ?? 'main' };
}

function hosts(env: Env): string[] {
  const value = text(env, 'GITHUB_HOSTS') ?? 'github.com';
  const list = value
    .split(',')
    .map((host) => host.trim().toLowerCase())
    .filter(Boolean);
  for (const host of list) {
    // A bare host name (optionally with a port), so nobody mistakes it for a URL prefix.
    if (!/^[a-z0-9.-]+(:\d{1,5})?$|^\[[0-9a-f:]+\](:\d{1,5})?$/.test(host)) {
      throw new ConfigError('GITHUB_HOSTS', `must be host names separated by commas, got "${host}"`);
    }
  }
  return list;
}

function authMode(env: Env, inAzure: boolean): AuthMode {
  const mode = text(env, 'AUTH_MODE') ?? (inAzure ? 'platform' : 'keys');
  if (mode !== 'platform' && mode !== 'keys' && mode !== 'dev') {
    throw new ConfigError('AUTH_MODE', `must be "platform", "keys" or "dev", got "${mode}"`);
  }
  if (mode === 'dev' && inAzure) {
    throw new ConfigError(
      'AUTH_MODE',
      'is "dev", which trusts any caller: refused in Azure (WEBSITE_INSTANCE_ID is set)',
    );
  }
  return mode;
}

function devPrincipal(env: Env): string | undefined {
  const value = text(env, 'DEV_PRINCIPAL');
  if (value === undefined) return undefined;
  try {
    const parsed: unknown = JSON.parse(value);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed))
      throw new Error('not an object');
  } catch {
    throw new ConfigError('DEV_PRINCIPAL', 'must be a JSON object (a client principal) or empty');
  }
  return value;
}

function pollSchedule(env: Env): string | undefined {
  const value = text(env, 'SYNC_POLL_SCHEDULE') ?? DEFAULT_POLL_SCHEDULE;
  if (/^off$/i.test(value)) return undefined;
  // NCRONTAB: six fields (seconds first), or five as the host also accepts.
  const fields = value.split(/\s+/);
  if ((fields.length !== 6 && fields.length !== 5) || !fields.every((f) => /^[\d*/,A-Za-z-]+$/.test(f))) {
    throw new ConfigError('SYNC_POLL_SCHEDULE', `must be an NCRONTAB expression or "off", got "${value}"`);
  }
  return value;
}

function publicBaseUrl(env: Env): string | undefined {
  const explicit = text(env, 'PUBLIC_BASE_URL');
  if (explicit) return httpUrl('PUBLIC_BASE_URL', explicit);
  const host = text(env, 'WEBSITE_HOSTNAME');
  return host ? `https://${host}` : undefined;
}

export function loadConfig(env: Env = process.env): Config {
  const exclude = text(env, 'SYNC_EXCLUDE');
  const inAzure = text(env, 'WEBSITE_INSTANCE_ID') !== undefined;
  const keyVaultUrl = text(env, 'KEY_VAULT_URL');
  if (inAzure && !keyVaultUrl) {
    throw new ConfigError(
      'KEY_VAULT_URL',
      'is required in Azure (WEBSITE_INSTANCE_ID is set): secrets live in Key Vault',
    );
  }
  return {
    storage: storageConfig(env),
    workspace: workspaceConfig(env),
    github: {
      webhookSecret: text(env, 'GITHUB_WEBHOOK_SECRET'),
      token: text(env, 'GITHUB_TOKEN'),
      defaultConnection: defaultConnection(env),
      hosts: hosts(env),
      apiUrl: httpUrl('GITHUB_API_URL', text(env, 'GITHUB_API_URL') ?? 'https://api.github.com'),
    },
    publicBaseUrl: publicBaseUrl(env),
    secrets: {
      keyVaultUrl: keyVaultUrl ? httpUrl('KEY_VAULT_URL', keyVaultUrl) : undefined,
      clientId: identityClientId(env),
      localPath: text(env, 'LOCAL_SECRETS_PATH') ?? '.data/secrets.json',
    },
    auth: {
      mode: authMode(env, inAzure),
      platformAuthEnabled: /^true$/i.test(text(env, 'WEBSITE_AUTH_ENABLED') ?? ''),
      devPrincipal: devPrincipal(env),
    },
    inAzure,
    sync: {
      allowLocalRepos: bool(env, 'SYNC_ALLOW_LOCAL_REPOS', false),
      exclude: exclude
        ? exclude
            .split(',')
            .map((glob) => glob.trim())
            .filter(Boolean)
        : DEFAULT_EXCLUDE,
      concurrency: integer(env, 'SYNC_CONCURRENCY', 16, 1, 256),
      tempDir: text(env, 'SYNC_TEMP_DIR'),
      pollSchedule: pollSchedule(env),
      backupKeep: integer(env, 'WORKSPACE_BACKUP_KEEP', 20, 1, 1000),
    },
  };
}

let cached: Config | undefined;

/** The process's configuration, read on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
