import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  WORKSPACE_BACKEND: 'local',
  WORKSPACE_PATH: '/w',
};

function messageOf(env: Record<string, string>): string {
  try {
    loadConfig(env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('loadConfig', () => {
  it('applies the documented defaults', () => {
    const config = loadConfig(base);
    expect(config.sync).toEqual({
      allowLocalRepos: false,
      exclude: ['.git/**', '.github/**'],
      concurrency: 16,
      tempDir: undefined,
      pollSchedule: '0 */5 * * * *',
      backupKeep: 20,
    });
    expect(config.github.hosts).toEqual(['github.com']);
    expect(config.github.apiUrl).toBe('https://api.github.com');
    expect(config.auth).toEqual({ mode: 'keys', platformAuthEnabled: false, devPrincipal: undefined });
    expect(config.publicBaseUrl).toBeUndefined();
    expect(config.inAzure).toBe(false);
    expect(config.workspace).toEqual({ backend: 'local', path: '/w' });
    expect(config.storage).toEqual({
      kind: 'connectionString',
      connectionString: 'UseDevelopmentStorage=true',
    });
  });

  it('reads identity-based storage the way the Functions host does', () => {
    const { AzureWebJobsStorage: _, ...rest } = base;
    const config = loadConfig({ ...rest, AzureWebJobsStorage__accountName: 'acct' });
    expect(config.storage).toEqual({
      kind: 'identity',
      blobUrl: 'https://acct.blob.core.windows.net',
      queueUrl: 'https://acct.queue.core.windows.net',
      tableUrl: 'https://acct.table.core.windows.net',
      clientId: undefined,
    });
  });

  it('builds the azure-files workspace from a URL or a connection string', () => {
    const env = {
      ...base,
      WORKSPACE_BACKEND: 'azure-files',
      WORKSPACE_FILES_URL: 'https://a.file.core.windows.net/',
    };
    expect(loadConfig(env).workspace).toEqual({
      backend: 'azure-files',
      share: 'workspaces',
      url: 'https://a.file.core.windows.net',
      connectionString: undefined,
    });
  });

  it.each([
    [{ ...base, AzureWebJobsStorage: '' }, 'AzureWebJobsStorage'],
    [{ ...base, AzureWebJobsStorage: 'nonsense' }, 'AzureWebJobsStorage'],
    [{ ...base, WORKSPACE_BACKEND: '' }, 'WORKSPACE_BACKEND'],
    [{ ...base, WORKSPACE_BACKEND: 'ftp' }, 'WORKSPACE_BACKEND'],
    [{ ...base, WORKSPACE_PATH: '' }, 'WORKSPACE_PATH'],
    [{ ...base, WORKSPACE_BACKEND: 'azure-files' }, 'WORKSPACE_FILES_URL'],
    [
      { ...base, WORKSPACE_BACKEND: 'azure-files', WORKSPACE_FILES_URL: 'x', WORKSPACE_SHARE: 'Bad_Share' },
      'WORKSPACE_SHARE',
    ],
    [{ ...base, WORKSPACE_BACKEND: 'azure-files', WORKSPACE_FILES_URL: 'not a url' }, 'WORKSPACE_FILES_URL'],
    [{ ...base, SYNC_CONCURRENCY: '0' }, 'SYNC_CONCURRENCY'],
    [{ ...base, SYNC_CONCURRENCY: 'lots' }, 'SYNC_CONCURRENCY'],
    [{ ...base, SYNC_ALLOW_LOCAL_REPOS: 'yes' }, 'SYNC_ALLOW_LOCAL_REPOS'],
    [{ ...base, GITHUB_BRANCH: 'main' }, 'GITHUB_REPOSITORY_URL'],
    [{ ...base, GITHUB_HOSTS: 'https://github.com' }, 'GITHUB_HOSTS'],
    [{ ...base, GITHUB_API_URL: 'ftp://x' }, 'GITHUB_API_URL'],
    [{ ...base, AUTH_MODE: 'open' }, 'AUTH_MODE'],
    [
      { ...base, AUTH_MODE: 'dev', WEBSITE_INSTANCE_ID: 'i', KEY_VAULT_URL: 'https://v.vault.azure.net' },
      'AUTH_MODE',
    ],
    [{ ...base, WEBSITE_INSTANCE_ID: 'i' }, 'KEY_VAULT_URL'],
    [{ ...base, DEV_PRINCIPAL: '[1]' }, 'DEV_PRINCIPAL'],
    [{ ...base, SYNC_POLL_SCHEDULE: 'every 5 minutes' }, 'SYNC_POLL_SCHEDULE'],
    [{ ...base, WORKSPACE_BACKUP_KEEP: '0' }, 'WORKSPACE_BACKUP_KEEP'],
    [
      { ...base, GITHUB_WEBHOOK_SECRET: '@Microsoft.KeyVault(VaultName=v;SecretName=s)' },
      'GITHUB_WEBHOOK_SECRET',
    ],
  ])('fails with one line naming the setting (%#)', (env, setting) => {
    const message = messageOf(env as Record<string, string>);
    expect(message).toMatch(new RegExp(`^Setting ${setting} `));
    expect(message).not.toContain('\n');
  });

  it('splits SYNC_EXCLUDE and reads the default connection', () => {
    const config = loadConfig({
      ...base,
      SYNC_EXCLUDE: ' a/** , ,b ',
      GITHUB_REPOSITORY_URL: 'https://github.com/o/r',
    });
    expect(config.sync.exclude).toEqual(['a/**', 'b']);
    expect(config.github.defaultConnection).toEqual({
      repositoryUrl: 'https://github.com/o/r',
      branch: 'main',
    });
  });

  it('reads the connection, identity and poll settings', () => {
    const config = loadConfig({
      ...base,
      GITHUB_HOSTS: 'GitHub.com, ghe.example.com,127.0.0.1:8080',
      GITHUB_API_URL: 'https://ghe.example.com/api/v3/',
      WEBSITE_HOSTNAME: 'app.azurewebsites.net',
      WEBSITE_INSTANCE_ID: 'abc',
      KEY_VAULT_URL: 'https://v.vault.azure.net/',
      WEBSITE_AUTH_ENABLED: 'True',
      SYNC_POLL_SCHEDULE: 'off',
    });
    expect(config.github.hosts).toEqual(['github.com', 'ghe.example.com', '127.0.0.1:8080']);
    expect(config.github.apiUrl).toBe('https://ghe.example.com/api/v3');
    expect(config.publicBaseUrl).toBe('https://app.azurewebsites.net');
    expect(config.secrets.keyVaultUrl).toBe('https://v.vault.azure.net');
    expect(config.auth.mode).toBe('platform');
    expect(config.auth.platformAuthEnabled).toBe(true);
    expect(config.sync.pollSchedule).toBeUndefined();
    expect(config.inAzure).toBe(true);
    expect(loadConfig({ ...base, PUBLIC_BASE_URL: 'http://127.0.0.1:7071/' }).publicBaseUrl).toBe(
      'http://127.0.0.1:7071',
    );
  });
});
