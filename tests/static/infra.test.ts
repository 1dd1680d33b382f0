// Checks on the deployment `npm run infra:check` evaluates with `bicep snapshot` (infra/main.bicepparam in a
// fixed fake subscription): what would break a deployment or the app in Azure, and what the original notes
// got wrong (share created as one name but mounted as another, a mount at /tmp, secrets in plain settings).

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../src/config.js';
import { QUEUES, STATE_CONTAINER, TABLES } from '../../src/storage-names.js';

type Json = any;
interface Resource {
  id: string;
  type: string;
  name: string;
  location?: string;
  kind?: string;
  sku?: Json;
  identity?: Json;
  condition?: string;
  properties: Json;
}

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const cacheDir = join(root, '.cache', 'infra');

function readGenerated(file: string): Json {
  const path = join(cacheDir, file);
  if (!existsSync(path)) {
    throw new Error(
      `${path} is missing: run \`npm run infra:check\` first (it builds and snapshots infra/).`,
    );
  }
  return JSON.parse(readFileSync(path, 'utf8'));
}

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestMtime(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );
}

const snapshot = readGenerated('main.snapshot.json');
const template = readGenerated('main.json');
const context = readGenerated('snapshot-context.json') as {
  location: string;
  secrets: Record<string, string>;
};
const snapshotText = JSON.stringify(snapshot);
const resources = snapshot.predictedResources as Resource[];

const ofType = (type: string) => resources.filter((r) => r.type.toLowerCase() === type.toLowerCase());
function single(type: string): Resource {
  const found = ofType(type);
  expect(found, type).toHaveLength(1);
  return found[0];
}
const lastSegment = (r: Resource) => r.name.split('/').at(-1)!;
const isExpression = (value: unknown) => typeof value === 'string' && /^\[.*\]$/s.test(value);
const escape = (text: string) => text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
/** The expression ARM uses for a property of a resource known only after it is deployed. */
const runtimeProperty = (r: Resource, property: string, full = false) =>
  new RegExp(`reference\\('${escape(r.id)}', '[\\d-]+'${full ? ", 'full'" : ''}\\)\\.${escape(property)}`);

const storage = single('Microsoft.Storage/storageAccounts');
const site = single('Microsoft.Web/sites');
const plan = single('Microsoft.Web/serverfarms');
const vault = single('Microsoft.KeyVault/vaults');
const staticSite = single('Microsoft.Web/staticSites');
const settingsResource = ofType('Microsoft.Web/sites/config').find(
  (r) => r.name === `${site.name}/appsettings`,
);
const settings = (settingsResource?.properties ?? {}) as Record<string, string>;
const sharesCreated = ofType('Microsoft.Storage/storageAccounts/fileServices/shares').filter((share) =>
  share.name.startsWith(`${storage.name}/`),
);
const mounts = Object.values(site.properties.siteConfig.azureStorageAccounts ?? {}) as Json[];

const KEY_VAULT_REFERENCE = /^@Microsoft\.KeyVault\(VaultName=([^;]+);SecretName=([^)]+)\)$/;
const ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage File Data Privileged Contributor': '69566ab7-960f-475b-8e7c-b3118f30c6bd',
  'Key Vault Secrets User': '4633458b-17de-408a-b874-0445c86b69e6',
};
/** Settings src/config.ts knows that have no place in Azure, each with the reason. */
const NOT_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'the identity form AzureWebJobsStorage__accountName replaces the connection string',
  WORKSPACE_PATH: 'only for WORKSPACE_BACKEND=local',
  WORKSPACE_FILES_CONNECTION: 'the app reaches Azure Files with its identity (WORKSPACE_FILES_URL)',
  SYNC_ALLOW_LOCAL_REPOS: 'dev and tests only',
};

/**
 * The settings as the app would read them: Key Vault references and values only known after deployment
 * become placeholders; any other unevaluated expression fails, so nothing slips through unchecked.
 */
function resolvedSettings(): Record<string, string> {
  return Object.fromEntries(
    Object.entries(settings).map(([name, value]) => {
      if (KEY_VAULT_REFERENCE.test(value)) return [name, `resolved-from-key-vault-${name}`];
      if (!isExpression(value)) return [name, value];
      if (value.includes(`/storageAccounts/${storage.name}'`) && value.endsWith('.primaryEndpoints.file]')) {
        return [name, `https://${storage.name}.file.core.windows.net/`];
      }
      if (value.includes('/Microsoft.Insights/components/') && value.endsWith('.ConnectionString]')) {
        return [name, 'InstrumentationKey=00000000-0000-0000-0000-000000000000'];
      }
      throw new Error(`setting ${name} has an unexpected runtime value: ${value}`);
    }),
  );
}

/** Every template in the compiled main.json: the root and each module's nested template. */
function templates(root: Json): Json[] {
  const resources = Object.values(root.resources ?? {}) as Json[];
  const nested = resources
    .filter((r) => r.type === 'Microsoft.Resources/deployments')
    .flatMap((r) => templates(r.properties.template));
  return [root, ...nested];
}

describe('infra snapshot', () => {
  it('is newer than every file under infra/ and has no diagnostics', () => {
    const snapshotTime = statSync(join(cacheDir, 'main.snapshot.json')).mtimeMs;
    expect(
      snapshotTime,
      'infra/ changed since the snapshot: run `npm run infra:check`',
    ).toBeGreaterThanOrEqual(newestMtime(join(root, 'infra')));
    expect(snapshot.diagnostics).toEqual([]);
  });

  it('derives names from the prefix and the resource group, within each service’s limits', () => {
    const suffix = storage.name.slice(-13);
    for (const r of [storage, site, plan, vault, staticSite]) expect(r.name).toContain(suffix.slice(0, 10));
    expect(storage.name).toMatch(/^[a-z0-9]{3,24}$/);
    expect(vault.name).toMatch(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
  });
});

describe('storage', () => {
  it('is StorageV2, HTTPS only, TLS 1.2, without public blob access', () => {
    expect(storage.kind).toBe('StorageV2');
    expect(storage.properties).toMatchObject({
      supportsHttpsTrafficOnly: true,
      minimumTlsVersion: 'TLS1_2',
      allowBlobPublicAccess: false,
      defaultToOAuthAuthentication: true,
    });
  });

  it('has the workspaces and tmp shares, Hot by default, with quotas', () => {
    expect(sharesCreated.map(lastSegment).sort()).toEqual(['tmp', 'workspaces']);
    for (const share of sharesCreated) {
      expect(share.properties.accessTier).toBe('Hot');
      expect(share.properties.shareQuota).toBeGreaterThan(0);
    }
  });

  it('has the queues, tables and container the app uses (src/storage-names.ts)', () => {
    const names = (type: string) => ofType(type).map(lastSegment).sort();
    expect(names('Microsoft.Storage/storageAccounts/queueServices/queues')).toEqual(
      Object.values(QUEUES).sort(),
    );
    expect(names('Microsoft.Storage/storageAccounts/tableServices/tables')).toEqual(
      Object.values(TABLES).sort(),
    );
    const containers = ofType('Microsoft.Storage/storageAccounts/blobServices/containers');
    expect(containers.map(lastSegment)).toEqual([STATE_CONTAINER]);
    expect(containers[0].properties.publicAccess).toBe('None');
  });
});

describe('function app', () => {
  it('runs the container image on Linux on a plan that can run custom containers', () => {
    expect(site.kind).toBe('functionapp,linux,container');
    expect(site.properties.siteConfig.linuxFxVersion).toMatch(/^DOCKER\|[^|\s]+$/);
    expect(site.properties.serverFarmId).toBe(plan.id);
    expect(plan.properties.reserved).toBe(true);
    expect(plan.sku.tier).not.toMatch(/^(Dynamic|FlexConsumption)$/);
    for (const sku of template.parameters.planSku.allowedValues) expect(sku).toMatch(/^(EP[1-3]|[BSP]\w+)$/);
    const elastic = plan.sku.tier === 'ElasticPremium';
    expect(plan.kind).toBe(elastic ? 'elastic' : 'linux');
    expect(site.properties.siteConfig.alwaysOn).toBe(!elastic); // the Elastic Premium plan has no always-on
  });

  it('has a system-assigned identity, HTTPS only, FTP off, TLS 1.2', () => {
    expect(site.identity).toEqual({ type: 'SystemAssigned' });
    expect(site.properties.httpsOnly).toBe(true);
    expect(site.properties.siteConfig).toMatchObject({ ftpsState: 'Disabled', minTlsVersion: '1.2' });
    const ftp = ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies').find(
      (r) => r.name === `${site.name}/ftp`,
    );
    expect(ftp?.properties.allow).toBe(false);
  });

  it('mounts only shares that are created, workspaces at /workspace, nothing at /tmp or /home', () => {
    expect(mounts).toHaveLength(2);
    for (const mount of mounts) {
      expect(mount.type).toBe('AzureFiles');
      expect(mount.accountName).toBe(storage.name);
      expect(sharesCreated.map(lastSegment)).toContain(mount.shareName);
      expect(mount.mountPath).toMatch(/^\/[^/]/);
      expect(mount.mountPath).not.toMatch(/^\/(tmp|home)(\/|$)/);
      expect(mount.accessKey).toMatch(
        /^\[listKeys\('.*\/storageAccounts\/[^']+', '[^']+'\)\.keys\[[01]\]\.value\]$/,
      );
    }
    expect(mounts.find((m) => m.shareName === 'workspaces')?.mountPath).toBe('/workspace');
    expect(new Set(mounts.map((m) => m.mountPath)).size).toBe(mounts.length);
  });

  it('lets the Static Web App call the API from the browser', () => {
    const [origin] = site.properties.siteConfig.cors.allowedOrigins;
    expect(origin).toContain(`/staticSites/${staticSite.name}'`);
    expect(origin).toMatch(/^\[format\('https:\/\/\{0\}'/);
  });
});

describe('app settings', () => {
  it('are applied once, after every role assignment exists', () => {
    expect(settingsResource).toBeDefined();
    const roleModule = Object.values(template.resources).find((r: Json) => r.name === 'role-assignments');
    const settingsModule = Object.values(template.resources).find(
      (r: Json) => r.name === 'app-settings',
    ) as Json;
    expect(roleModule).toBeDefined();
    expect(JSON.stringify(settingsModule.dependsOn)).toContain("'role-assignments'");
  });

  it('has the platform settings and identity-based host storage (no account key)', () => {
    expect(settings).toMatchObject({
      FUNCTIONS_EXTENSION_VERSION: '~4',
      FUNCTIONS_WORKER_RUNTIME: 'node',
      WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false',
      AzureWebJobsStorage__accountName: storage.name,
      WORKSPACE_BACKEND: 'azure-files',
    });
    expect(settings.AzureWebJobsStorage).toBeUndefined();
    expect(settings.WEBSITE_CONTENTAZUREFILECONNECTIONSTRING).toBeUndefined();
    for (const value of Object.values(settings))
      expect(value).not.toMatch(/AccountKey=|listKeys|SharedAccessSignature/i);
  });

  it('has every setting src/config.ts reads in Azure', () => {
    const expected = SETTING_NAMES.filter((name) => !(name in NOT_IN_AZURE));
    expect(Object.keys(settings)).toEqual(
      expect.arrayContaining([...expected, 'APPLICATIONINSIGHTS_CONNECTION_STRING']),
    );
    for (const name of Object.keys(NOT_IN_AZURE)) expect(settings[name], name).toBeUndefined();
  });

  it('load with loadConfig() into Azure Files over the identity, on the created share', () => {
    const config = loadConfig(resolvedSettings());
    expect(config.workspace).toMatchObject({
      backend: 'azure-files',
      share: 'workspaces',
      url: `https://${storage.name}.file.core.windows.net`,
    });
    expect(sharesCreated.map(lastSegment)).toContain(
      config.workspace.backend === 'azure-files' && config.workspace.share,
    );
    expect(config.storage).toMatchObject({
      kind: 'identity',
      queueUrl: `https://${storage.name}.queue.core.windows.net`,
    });
    expect(config.sync.tempDir).toBe(mounts.find((m) => m.shareName === 'tmp')?.mountPath);
    expect(config.sync.allowLocalRepos).toBe(false);
    expect(config.github.webhookSecret).toBe('resolved-from-key-vault-GITHUB_WEBHOOK_SECRET');
  });

  it('hold the GitHub secrets only as Key Vault references to secrets the vault gets', () => {
    const secretNames = ofType('Microsoft.KeyVault/vaults/secrets').map((r) => r.name);
    for (const name of ['GITHUB_WEBHOOK_SECRET', 'GITHUB_TOKEN']) {
      const match = KEY_VAULT_REFERENCE.exec(settings[name]);
      expect(match, `${name} = ${settings[name]}`).not.toBeNull();
      expect(match![1]).toBe(vault.name);
      expect(secretNames).toContain(`${vault.name}/${match![2]}`);
    }
    const references = Object.values(settings).filter((value) => KEY_VAULT_REFERENCE.test(value));
    expect(references).toHaveLength(2);
  });
});

describe('secrets', () => {
  it('live in an RBAC Key Vault with soft delete and purge protection, set from secure parameters', () => {
    expect(vault.properties).toMatchObject({
      enableRbacAuthorization: true,
      enableSoftDelete: true,
      enablePurgeProtection: true,
    });
    for (const secret of ofType('Microsoft.KeyVault/vaults/secrets')) {
      const parameter = /^\[parameters\('(\w+)'\)\]$/.exec(secret.properties.value)?.[1];
      expect(parameter, secret.name).toBeDefined();
      expect(template.parameters[parameter!].type).toBe('securestring');
    }
  });

  it('never appear in the snapshot, the compiled template or the parameters file', () => {
    const compiled = JSON.stringify(template);
    const parametersFile = readFileSync(join(root, 'infra', 'main.bicepparam'), 'utf8');
    for (const value of Object.values(context.secrets)) {
      expect(snapshotText).not.toContain(value);
      expect(compiled).not.toContain(value);
    }
    for (const [name, parameter] of Object.entries(template.parameters) as [string, Json][]) {
      if (parameter.type !== 'securestring') continue;
      expect(parametersFile).toMatch(new RegExp(`param ${name} = readEnvironmentVariable\\('\\w+'\\)`));
    }
  });

  it('are secure parameters wherever a parameter looks like one, and every parameter is described', () => {
    for (const t of templates(template)) {
      for (const [name, parameter] of Object.entries(t.parameters ?? {}) as [string, Json][]) {
        expect(parameter.metadata?.description, name).toBeTruthy();
        if (/(secret|token|password)$/i.test(name)) expect(parameter.type, name).toBe('securestring');
      }
    }
  });
});

describe('role assignments', () => {
  const assignments = ofType('Microsoft.Authorization/roleAssignments');
  const toApp = assignments.filter((a) =>
    runtimeProperty(site, 'identity.principalId', true).test(a.properties.principalId),
  );
  const roleIdsAt = (scope: Resource) =>
    toApp
      .filter((a) => a.id.startsWith(`${scope.id}/providers/`))
      .map((a) => a.properties.roleDefinitionId.split('/').at(-1));

  it('give the app’s identity the storage roles on the account and Secrets User on the vault', () => {
    expect(toApp).toHaveLength(assignments.length);
    expect(roleIdsAt(storage).sort()).toEqual(
      [
        ROLES['Storage Blob Data Owner'],
        ROLES['Storage Queue Data Contributor'],
        ROLES['Storage Table Data Contributor'],
        ROLES['Storage File Data Privileged Contributor'],
      ].sort(),
    );
    expect(roleIdsAt(vault)).toEqual([ROLES['Key Vault Secrets User']]);
  });

  it('are named with stable GUIDs and typed as service principals', () => {
    for (const a of assignments) {
      expect(a.name).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/);
      expect(a.properties.principalType).toBe('ServicePrincipal');
    }
    expect(new Set(assignments.map((a) => a.name)).size).toBe(assignments.length);
  });
});

describe('static web app', () => {
  it('is connected to the frontend repository with build properties and a secure token', () => {
    expect(staticSite.properties.repositoryUrl).toMatch(/^https:\/\/github\.com\/[^/]+\/[^/]+$/);
    expect(staticSite.properties.branch).toBeTruthy();
    const token = /^\[parameters\('(\w+)'\)\]$/.exec(staticSite.properties.repositoryToken)?.[1];
    expect(template.parameters[token!]?.type).toBe('securestring');
    expect(Object.keys(staticSite.properties.buildProperties).sort()).toEqual([
      'apiLocation',
      'appLocation',
      'outputLocation',
    ]);
  });
});

describe('portability', () => {
  it('has no hard-coded region or environment URL in the template', () => {
    for (const t of templates(template)) {
      for (const r of Object.values(t.resources ?? {}) as Json[]) {
        if (r.location !== undefined)
          expect(isExpression(r.location), `${r.type} location ${r.location}`).toBe(true);
      }
    }
    expect(JSON.stringify(template)).not.toMatch(/core\.windows\.net|azurewebsites\.net|vault\.azure\.net/);
    expect(storage.location).toBe(context.location);
  });
});

describe('outputs', () => {
  it('give the app host name, the webhook URL and the Static Web App URL', () => {
    expect(snapshot.outputs.webhookUrl).toMatch(/^\[format\('https:\/\/\{0\}\/api\/github\/webhook', /);
    expect(snapshot.outputs.webhookUrl).toMatch(runtimeProperty(site, 'defaultHostName'));
    expect(snapshot.outputs.functionAppHostName).toMatch(runtimeProperty(site, 'defaultHostName'));
    expect(snapshot.outputs.staticWebAppUrl).toMatch(/^\[format\('https:\/\/\{0\}', /);
    expect(snapshot.outputs.staticWebAppUrl).toMatch(runtimeProperty(staticSite, 'defaultHostname'));
  });

  it('contain no secret', () => {
    for (const t of templates(template)) {
      for (const [name, output] of Object.entries(t.outputs ?? {}) as [string, Json][]) {
        expect(output.type, name).not.toMatch(/^secure/);
        expect(JSON.stringify(output.value), name).not.toMatch(
          /listKeys|list\w*\(|ConnectionString|parameters\('(github\w*|frontendRepositoryToken|webhookSecret|token|repositoryToken)'\)/i,
        );
      }
    }
  });
});
