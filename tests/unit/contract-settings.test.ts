// Clauses of the settings contract (DESIGN.md "Settings", docs/settings.md) that tests/unit/config.test.ts
// leaves open, found while writing docs/testing.md: the edges of each numeric range, the five-field and
// `off` poll schedules, URLs that are not URLs, every secret-bearing setting refusing an unresolved Key
// Vault reference, and the one-line error never repeating a secret it was given.

import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig } from '../../src/config.js';

const base = {
  AzureWebJobsStorage: 'UseDevelopmentStorage=true',
  WORKSPACE_BACKEND: 'local',
  WORKSPACE_PATH: '/w',
};

function refusal(env: Record<string, string>): ConfigError {
  try {
    loadConfig(env);
  } catch (error) {
    if (error instanceof ConfigError) return error;
    throw error;
  }
  throw new Error('expected a ConfigError');
}

describe('numeric settings: the documented ranges, both edges', () => {
  it.each([
    ['SYNC_CONCURRENCY', '1', '256', ['257', '-1', '2.5', '3e1', '0x10', '1_0']],
    ['WORKSPACE_BACKUP_KEEP', '1', '1000', ['1001', '0', 'ten', '3e1', '0x10']],
  ] as const)('%s takes %s and %s, and refuses what is outside', (setting, low, high, outside) => {
    const key = setting === 'SYNC_CONCURRENCY' ? 'concurrency' : 'backupKeep';
    expect(loadConfig({ ...base, [setting]: low }).sync[key]).toBe(Number(low));
    expect(loadConfig({ ...base, [setting]: high }).sync[key]).toBe(Number(high));
    for (const value of outside) {
      const error = refusal({ ...base, [setting]: value });
      expect(error.setting).toBe(setting);
      expect(error.message).toBe(
        `Setting ${setting} must be an integer from ${low} to ${high}, got "${value}"`,
      );
    }
  });
});

describe('SYNC_POLL_SCHEDULE', () => {
  it('takes six NCRONTAB fields or five, and off in any case disables the timer', () => {
    expect(loadConfig({ ...base, SYNC_POLL_SCHEDULE: '*/30 * * * * *' }).sync.pollSchedule).toBe(
      '*/30 * * * * *',
    );
    expect(loadConfig({ ...base, SYNC_POLL_SCHEDULE: '*/5 * * * *' }).sync.pollSchedule).toBe('*/5 * * * *');
    expect(loadConfig({ ...base, SYNC_POLL_SCHEDULE: 'OFF' }).sync.pollSchedule).toBeUndefined();
  });

  it.each(['* * * *', '0 */5 * * * * *', '0 */5 * * * ?'])('refuses %j naming the setting', (value) => {
    expect(refusal({ ...base, SYNC_POLL_SCHEDULE: value }).setting).toBe('SYNC_POLL_SCHEDULE');
  });
});

describe('URL settings', () => {
  it.each([
    ['PUBLIC_BASE_URL', 'app.example.com'],
    ['PUBLIC_BASE_URL', 'ftp://app.example.com'],
    ['KEY_VAULT_URL', 'my-vault'],
    ['GITHUB_API_URL', 'api.github.com'],
  ])('%s refuses %j in one line naming it', (setting, value) => {
    const error = refusal({ ...base, [setting]: value });
    expect(error.setting).toBe(setting);
    expect(error.message).toMatch(new RegExp(`^Setting ${setting} `));
    expect(error.message).not.toContain('\n');
  });
});

describe('secrets in settings', () => {
  it.each(['GITHUB_TOKEN', 'GITHUB_WEBHOOK_SECRET', 'AzureWebJobsStorage', 'WORKSPACE_FILES_CONNECTION'])(
    '%s holding a Key Vault reference App Service could not resolve stops start-up',
    (setting) => {
      const env = {
        ...base,
        WORKSPACE_BACKEND: 'azure-files',
        WORKSPACE_FILES_URL: 'https://a.file.core.windows.net',
        [setting]: '@Microsoft.KeyVault(SecretUri=https://v.vault.azure.net/secrets/s/)',
      };
      expect(refusal(env).setting).toBe(setting);
    },
  );

  it('never repeats a storage connection string it refuses: the account key stays out of the message', () => {
    const key = 'c2VjcmV0LWFjY291bnQta2V5LW5ldmVyLXRvLWJlLWxvZ2dlZA==';
    const error = refusal({
      ...base,
      AzureWebJobsStorage: `DefaultEndpointsProtocol=https;AccountKey=${key}`,
    });
    expect(error.setting).toBe('AzureWebJobsStorage');
    expect(error.message).not.toContain(key);
    expect(error.message).not.toContain('AccountKey');
  });

  it('reads GITHUB_TOKEN and GITHUB_WEBHOOK_SECRET as given, and an empty one as unset', () => {
    const set = loadConfig({ ...base, GITHUB_TOKEN: 'ghp_x', GITHUB_WEBHOOK_SECRET: 'hook' });
    expect(set.github).toMatchObject({ token: 'ghp_x', webhookSecret: 'hook' });
    const empty = loadConfig({ ...base, GITHUB_TOKEN: '', GITHUB_WEBHOOK_SECRET: ' ' });
    expect(empty.github.token).toBeUndefined();
    expect(empty.github.webhookSecret).toBeUndefined();
  });
});

describe('defaults the contract names', () => {
  it('WORKSPACE_SHARE is workspaces, and WORKSPACE_FILES_CONNECTION alone is enough for azure-files', () => {
    const config = loadConfig({
      ...base,
      WORKSPACE_BACKEND: 'azure-files',
      WORKSPACE_FILES_CONNECTION: 'DefaultEndpointsProtocol=https;AccountName=a;AccountKey=k',
    });
    expect(config.workspace).toMatchObject({ backend: 'azure-files', share: 'workspaces', url: undefined });
  });

  it('AUTH_MODE is platform in Azure and keys elsewhere; dev is never a default', () => {
    expect(loadConfig(base).auth.mode).toBe('keys');
    const azure = { ...base, WEBSITE_INSTANCE_ID: 'i', KEY_VAULT_URL: 'https://v.vault.azure.net' };
    expect(loadConfig(azure).auth.mode).toBe('platform');
  });

  it('PUBLIC_BASE_URL falls back to https://$WEBSITE_HOSTNAME and is unset locally', () => {
    expect(loadConfig(base).publicBaseUrl).toBeUndefined();
    expect(loadConfig({ ...base, WEBSITE_HOSTNAME: 'x.azurewebsites.net' }).publicBaseUrl).toBe(
      'https://x.azurewebsites.net',
    );
  });
});
