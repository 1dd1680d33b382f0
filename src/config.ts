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
  | { backend: 'azure-files'; share: string; url?: string; connectionString?: string };

export interface Config {
  storage: StorageConfig;
  workspace: WorkspaceConfig;
  github: {
    webhookSecret?: string;
    token?: string;
    defaultConnection?: { repositoryUrl: string; branch: string };
  };
  sync: {
    allowLocalRepos: boolean;
    exclude: string[];
    concurrency: number;
    tempDir?: string;
  };
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
] as const;

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
    clientId: text(env, `${prefix}clientId`),
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
  const n = Number(value);
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

export function loadConfig(env: Env = process.env): Config {
  const exclude = text(env, 'SYNC_EXCLUDE');
  return {
    storage: storageConfig(env),
    workspace: workspaceConfig(env),
    github: {
      webhookSecret: text(env, 'GITHUB_WEBHOOK_SECRET'),
      token: text(env, 'GITHUB_TOKEN'),
      defaultConnection: defaultConnection(env),
    },
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
    },
  };
}

let cached: Config | undefined;

/** The process's configuration, read on first use. */
export function getConfig(): Config {
  cached ??= loadConfig();
  return cached;
}
