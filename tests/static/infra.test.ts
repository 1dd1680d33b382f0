// Checks on the deployment `bicep snapshot` evaluates (infra/main.bicepparam in a fixed fake subscription;
// see tests/static/infra-snapshot.ts): what would break a deployment or the app in Azure, and what the
// original notes got wrong (share created as one name but mounted as another, a mount at /tmp, secrets in
// plain settings, clones on SMB, a Static Web App that cannot be redeployed).

import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { loadConfig, SETTING_NAMES } from '../../src/config.js';
import { QUEUES, STATE_CONTAINER, TABLES } from '../../src/storage-names.js';
import {
  cacheDir,
  infra,
  infraSkipReason,
  isExpression,
  lastSegment,
  root,
  runtimeProperty,
  templates,
  type Infra,
  type Json,
  type Resource,
} from './infra-snapshot.js';

const ROLES = {
  'Storage Blob Data Owner': 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b',
  'Storage Queue Data Contributor': '974c5e8b-45b9-4653-ba55-5f855dd0fb88',
  'Storage Table Data Contributor': '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3',
  'Storage File Data Privileged Contributor': '69566ab7-960f-475b-8e7c-b3118f30c6bd',
  'Key Vault Secrets Officer': 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7',
};
/** Settings src/config.ts knows that have no place in Azure, each with the reason. */
const NOT_IN_AZURE: Record<string, string> = {
  AzureWebJobsStorage: 'the identity form AzureWebJobsStorage__accountName replaces the connection string',
  WORKSPACE_PATH: 'only for WORKSPACE_BACKEND=local',
  WORKSPACE_FILES_CONNECTION: 'the app reaches Azure Files with its identity (WORKSPACE_FILES_URL)',
  SYNC_ALLOW_LOCAL_REPOS: 'dev and tests only',
  DEV_PRINCIPAL: 'AUTH_MODE=dev only, which the app refuses in Azure',
  LOCAL_SECRETS_PATH: 'the local secret store, for npm start only: Azure uses Key Vault',
};
/** Storage the issues name that src/storage-names.ts does not list yet (the app creates its own on start). */
const NAMED_BY_ISSUES = { tables: ['AuditLog'], containers: ['workspace-backups'] };
/** Values the platform sets in every App Service container (not app settings). */
const PLATFORM_ENV = { WEBSITE_INSTANCE_ID: 'instance-0', WEBSITE_HOSTNAME: 'app.example.net' };

/** An optional secret: a Key Vault reference when the secure parameter is given, else empty. */
const OPTIONAL_REFERENCE =
  /^\[if\(not\(empty\(parameters\('(\w+)'\)\)\), __bicep\.keyVaultReference\(parameters\('keyVaultName'\), variables\('secretNames'\)\.(\w+)\), ''\)\]$/;

function newestMtime(dir: string): number {
  return Math.max(
    ...readdirSync(dir, { withFileTypes: true }).map((entry) =>
      entry.isDirectory() ? newestMtime(join(dir, entry.name)) : statSync(join(dir, entry.name)).mtimeMs,
    ),
  );
}

describe.skipIf(infraSkipReason)('infra (bicep snapshot)', () => {
  let I: Infra;
  let storage: Resource, site: Resource, plan: Resource, vault: Resource, staticSite: Resource;
  let settings: Record<string, string>;
  let sharesCreated: Resource[];
  let mounts: Json[];

  beforeAll(() => {
    I = infra();
    storage = I.single('Microsoft.Storage/storageAccounts');
    site = I.single('Microsoft.Web/sites');
    plan = I.single('Microsoft.Web/serverfarms');
    vault = I.single('Microsoft.KeyVault/vaults');
    staticSite = I.single('Microsoft.Web/staticSites');
    settings = siteConfig('appsettings')?.properties ?? {};
    sharesCreated = I.ofType('Microsoft.Storage/storageAccounts/fileServices/shares').filter((share) =>
      share.name.startsWith(`${storage.name}/`),
    );
    mounts = Object.values(site.properties.siteConfig.azureStorageAccounts ?? {});
  });

  const siteConfig = (name: string) =>
    I.ofType('Microsoft.Web/sites/config').find((r) => r.name === `${site.name}/${name}`);
  const secretNames = () => I.ofType('Microsoft.KeyVault/vaults/secrets').map((r) => r.name);

  /**
   * The settings as the app would read them in Azure: optional Key Vault references resolved (or, with
   * `withoutOptionalSecrets`, empty, as when the secure parameter is not given), values known only after
   * deployment as placeholders. Any other unevaluated expression fails, so nothing slips through unchecked.
   */
  function resolvedSettings(withoutOptionalSecrets = false): Record<string, string> {
    const resolved = Object.entries(settings).map(([name, value]) => {
      if (OPTIONAL_REFERENCE.test(value)) {
        return [name, withoutOptionalSecrets ? '' : `resolved-from-key-vault-${name}`];
      }
      if (!isExpression(value)) return [name, value];
      if (runtimeProperty(storage, 'primaryEndpoints.file').test(value)) {
        return [name, `https://${storage.name}.file.core.windows.net/`];
      }
      if (runtimeProperty(vault, 'vaultUri').test(value))
        return [name, `https://${vault.name}.vault.azure.net/`];
      if (value.includes('/Microsoft.Insights/components/') && value.endsWith('.ConnectionString]')) {
        return [name, 'InstrumentationKey=00000000-0000-0000-0000-000000000000'];
      }
      throw new Error(`setting ${name} has an unexpected runtime value: ${value}`);
    });
    return { ...PLATFORM_ENV, ...Object.fromEntries(resolved) };
  }

  describe('snapshot', () => {
    it('is current (newer than everything under infra/) and has no diagnostics', () => {
      expect(statSync(join(cacheDir, 'main.snapshot.json')).mtimeMs).toBeGreaterThanOrEqual(
        newestMtime(join(root, 'infra')),
      );
      expect(I.snapshot.diagnostics).toEqual([]);
    });

    it('derives names from the prefix and the resource group, within each service’s limits', () => {
      const suffix = storage.name.slice(-13);
      for (const r of [storage, site, plan, vault, staticSite]) expect(r.name).toContain(suffix.slice(0, 10));
      expect(storage.name).toMatch(/^[a-z0-9]{3,24}$/);
      expect(vault.name).toMatch(/^[a-zA-Z](?!.*--)[a-zA-Z0-9-]{1,22}[a-zA-Z0-9]$/);
    });

    it('refuses a name prefix with capitals, a hyphen, a leading digit or over 9 characters', () => {
      expect(Object.keys(I.rejectedPrefixes).sort()).toEqual(
        ['hyphen', 'leading digit', 'too long', 'uppercase'].sort(),
      );
      for (const [rule, { namePrefix, status, output }] of Object.entries(I.rejectedPrefixes)) {
        expect(status, `${rule}: ${output}`).not.toBe(0);
        expect(output, rule).toMatch(
          rule === 'too long'
            ? /maximum allowable length is 9/
            : new RegExp(
                `namePrefix "${namePrefix}" must be 2-9 lowercase letters or digits, starting with a letter`,
              ),
        );
      }
    });

    it('deploys a pinned image, never :latest', () => {
      const image = site.properties.siteConfig.linuxFxVersion.replace(/^DOCKER\|/, '');
      expect(image).toMatch(/^[^:@\s]+(:[\w][\w.-]{0,127}|@sha256:[0-9a-f]{64})$/);
      expect(image).not.toMatch(/:latest$/);
      expect(image).toMatch(/:\d+\.\d+\.\d+$|@sha256:/);
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

    it('has the queues, tables and containers the app uses (src/storage-names.ts and the issues)', () => {
      const names = (type: string) => I.ofType(type).map(lastSegment).sort();
      const union = (...lists: string[][]) => [...new Set(lists.flat())].sort();
      expect(names('Microsoft.Storage/storageAccounts/queueServices/queues')).toEqual(
        Object.values(QUEUES).sort(),
      );
      expect(names('Microsoft.Storage/storageAccounts/tableServices/tables')).toEqual(
        union(Object.values(TABLES), NAMED_BY_ISSUES.tables),
      );
      expect(names('Microsoft.Storage/storageAccounts/blobServices/containers')).toEqual(
        union([STATE_CONTAINER], NAMED_BY_ISSUES.containers),
      );
      for (const container of I.ofType('Microsoft.Storage/storageAccounts/blobServices/containers'))
        expect(container.properties.publicAccess).toBe('None');
    });
  });

  describe('function app', () => {
    it('runs the container image on Linux on a plan that can run custom containers', () => {
      expect(site.kind).toBe('functionapp,linux,container');
      expect(site.properties.siteConfig.linuxFxVersion).toMatch(/^DOCKER\|[^|\s]+$/);
      expect(site.properties.serverFarmId).toBe(plan.id);
      expect(plan.properties.reserved).toBe(true);
      expect(plan.sku.tier).not.toMatch(/^(Dynamic|FlexConsumption)$/);
      for (const sku of I.template.parameters.planSku.allowedValues)
        expect(sku).toMatch(/^(EP[1-3]|[BSP]\w+)$/);
      const elastic = plan.sku.tier === 'ElasticPremium';
      expect(plan.kind).toBe(elastic ? 'elastic' : 'linux');
      expect(site.properties.siteConfig.alwaysOn).toBe(!elastic); // the Elastic Premium plan has no always-on
    });

    it('has a system-assigned identity, HTTPS only, FTP off, TLS 1.2', () => {
      expect(site.identity).toEqual({ type: 'SystemAssigned' });
      expect(site.properties.httpsOnly).toBe(true);
      expect(site.properties.siteConfig).toMatchObject({ ftpsState: 'Disabled', minTlsVersion: '1.2' });
      const ftp = I.ofType('Microsoft.Web/sites/basicPublishingCredentialsPolicies').find(
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

  describe('App Service Authentication (authsettingsV2)', () => {
    it('requires an Entra ID token, answers 401, and lets only the webhook and health through', () => {
      const auth = siteConfig('authsettingsV2');
      expect(auth, 'authsettingsV2').toBeDefined();
      expect(auth!.properties.platform.enabled).toBe(true);
      expect(auth!.properties.globalValidation).toEqual({
        requireAuthentication: true,
        unauthenticatedClientAction: 'Return401',
        excludedPaths: ['/api/github/webhook', '/api/health'],
      });
      expect(auth!.properties.httpSettings.requireHttps).toBe(true);
    });

    it('trusts the app registration given as parameters, with the tenant’s v2.0 issuer', () => {
      const aad = siteConfig('authsettingsV2')!.properties.identityProviders.azureActiveDirectory;
      const clientId = I.context.environment.AUTH_CLIENT_ID;
      expect(aad.enabled).toBe(true);
      expect(aad.registration.clientId).toBe(clientId);
      // environment() is left for the deployment to evaluate: https://login.microsoftonline.com/ in Azure.
      expect(aad.registration.openIdIssuer).toBe(
        `[format('{0}{1}/v2.0', environment().authentication.loginEndpoint, '${I.context.tenantId}')]`,
      );
      expect(aad.validation.allowedAudiences).toEqual([`api://${clientId}`]);
      expect(I.template.parameters.authClientId.type).toBe('string');
      expect(I.template.parameters.authTenantId.defaultValue).toBe('[tenant().tenantId]');
    });

    it('is the mode the app is told to use', () => {
      expect(settings.AUTH_MODE).toBe('platform');
    });
  });

  describe('app roles manifest (infra/app-roles.json)', () => {
    const manifest = () => JSON.parse(readFileSync(join(root, 'infra', 'app-roles.json'), 'utf8')) as Json[];

    it('defines Reader, Editor and Admin for users and applications, with fixed unique ids', () => {
      const roles = manifest();
      expect(roles.map((r) => r.value)).toEqual(['Workspace.Reader', 'Workspace.Editor', 'Workspace.Admin']);
      for (const role of roles) {
        expect(role.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
        expect(role.allowedMemberTypes).toEqual(['User', 'Application']);
        expect(role.isEnabled).toBe(true);
        expect(role.displayName).toBeTruthy();
        expect(role.description).toBeTruthy();
      }
      expect(new Set(roles.map((r) => r.id)).size).toBe(roles.length);
    });
  });

  describe('app settings', () => {
    it('are applied once, after every role assignment exists', () => {
      expect(siteConfig('appsettings')).toBeDefined();
      const modules = Object.values(I.template.resources) as Json[];
      expect(modules.find((r) => r.name === 'role-assignments')).toBeDefined();
      const settingsModule = modules.find((r) => r.name === 'app-settings');
      expect(JSON.stringify(settingsModule.dependsOn)).toContain("'role-assignments'");
    });

    it('have the platform settings and identity-based host storage (no account key)', () => {
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

    it('have every setting src/config.ts reads in Azure, with the documented defaults', () => {
      const expected = SETTING_NAMES.filter((name) => !(name in NOT_IN_AZURE));
      expect(Object.keys(settings)).toEqual(
        expect.arrayContaining([...expected, 'APPLICATIONINSIGHTS_CONNECTION_STRING']),
      );
      for (const name of Object.keys(NOT_IN_AZURE)) expect(settings[name], name).toBeUndefined();
      expect(settings).toMatchObject({
        SYNC_POLL_SCHEDULE: '0 */5 * * * *',
        GITHUB_HOSTS: 'github.com',
        GITHUB_API_URL: 'https://api.github.com',
        PUBLIC_BASE_URL: '',
        WORKSPACE_BACKUP_KEEP: '20',
      });
      expect(settings.KEY_VAULT_URL).toMatch(runtimeProperty(vault, 'vaultUri'));
    });

    it('put git clones on the container’s local disk, not on a share mount', () => {
      const tempDir = settings.SYNC_TEMP_DIR;
      expect(tempDir).toBe('/tmp');
      for (const mount of mounts) {
        expect(`${tempDir}/`.startsWith(`${mount.mountPath}/`), mount.mountPath).toBe(false);
        expect(`${mount.mountPath}/`.startsWith(`${tempDir}/`), mount.mountPath).toBe(false);
      }
      // The tmp share stays mounted for the workflows.
      expect(mounts.find((m) => m.shareName === 'tmp')?.mountPath).toBe('/mnt/sync-tmp');
    });

    it('load with loadConfig() in Azure into Azure Files over the identity, Key Vault and platform auth', () => {
      const config = loadConfig(resolvedSettings());
      expect(config.inAzure).toBe(true);
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
      expect(config.secrets.keyVaultUrl).toBe(`https://${vault.name}.vault.azure.net`);
      expect(config.auth.mode).toBe('platform');
      expect(config.sync).toMatchObject({ tempDir: '/tmp', allowLocalRepos: false, backupKeep: 20 });
      expect(config.sync.pollSchedule).toBe('0 */5 * * * *');
      expect(config.github.webhookSecret).toBe('resolved-from-key-vault-GITHUB_WEBHOOK_SECRET');
      expect(config.github.token).toBe('resolved-from-key-vault-GITHUB_TOKEN');
    });

    it('load without the optional GitHub token and webhook secret', () => {
      const config = loadConfig(resolvedSettings(true));
      expect(config.github.token).toBeUndefined();
      expect(config.github.webhookSecret).toBeUndefined();
    });

    it('hold the optional GitHub secrets only as Key Vault references to secrets made with them', () => {
      const byName: Record<string, string> = {
        GITHUB_WEBHOOK_SECRET: 'githubWebhookSecret',
        GITHUB_TOKEN: 'githubToken',
      };
      const secretNamesVariable = I.template.variables?.secretNames ?? findVariable('secretNames');
      for (const [setting, parameter] of Object.entries(byName)) {
        const match = OPTIONAL_REFERENCE.exec(settings[setting]);
        expect(match, `${setting} = ${settings[setting]}`).not.toBeNull();
        expect(match![1]).toBe(parameter);
        const secretName = secretNamesVariable[match![2]];
        expect(secretNames()).toContain(`${vault.name}/${secretName}`);
        const secret = I.ofType('Microsoft.KeyVault/vaults/secrets').find((s) =>
          s.name.endsWith(`/${secretName}`),
        )!;
        expect(secret.condition, secretName).toMatch(/^\[not\(empty\(/); // made only when given
        expect(I.template.parameters[parameter]).toMatchObject({ type: 'securestring', defaultValue: '' });
      }
      const references = Object.values(settings).filter((value) =>
        /keyVaultReference|@Microsoft\.KeyVault/.test(value),
      );
      expect(references).toHaveLength(2);
    });
  });

  /** A variable of one of the nested templates (imports are copied into each module that uses them). */
  function findVariable(name: string): Json {
    const found = templates(I.template).find((t) => t.variables?.[name] !== undefined);
    if (!found) throw new Error(`no template defines ${name}`);
    return found.variables[name];
  }

  describe('secrets', () => {
    it('live in an RBAC Key Vault with soft delete and purge protection, set from secure parameters', () => {
      expect(vault.properties).toMatchObject({
        enableRbacAuthorization: true,
        enableSoftDelete: true,
        enablePurgeProtection: true,
      });
      for (const t of templates(I.template)) {
        for (const r of Object.values(t.resources ?? {}) as Json[]) {
          if (r.type !== 'Microsoft.KeyVault/vaults/secrets') continue;
          const parameter = /^\[parameters\('(\w+)'\)\]$/.exec(r.properties.value)?.[1];
          expect(parameter, r.name).toBeDefined();
          expect(t.parameters[parameter!].type).toBe('securestring');
        }
      }
    });

    it('never appear in the snapshot, the compiled template or the parameters file', () => {
      const snapshotText = JSON.stringify(I.snapshot);
      const compiled = JSON.stringify(I.template);
      const parametersFile = readFileSync(join(root, 'infra', 'main.bicepparam'), 'utf8');
      for (const value of Object.values(I.context.secrets)) {
        expect(snapshotText).not.toContain(value);
        expect(compiled).not.toContain(value);
      }
      for (const [name, parameter] of Object.entries(I.template.parameters) as [string, Json][]) {
        if (parameter.type !== 'securestring') continue;
        expect(parametersFile).toMatch(
          new RegExp(`param ${name} = readEnvironmentVariable\\('\\w+'(, '')?\\)`),
        );
      }
    });

    it('are secure parameters wherever a parameter looks like one, and every parameter is described', () => {
      for (const t of templates(I.template)) {
        for (const [name, parameter] of Object.entries(t.parameters ?? {}) as [string, Json][]) {
          expect(parameter.metadata?.description, name).toBeTruthy();
          if (/(secret|token|password)$/i.test(name)) expect(parameter.type, name).toBe('securestring');
        }
      }
    });
  });

  describe('role assignments', () => {
    const toApp = () =>
      I.ofType('Microsoft.Authorization/roleAssignments').filter((a) =>
        runtimeProperty(site, 'identity.principalId', true).test(a.properties.principalId),
      );
    const roleIdsAt = (scope: Resource) =>
      toApp()
        .filter((a) => a.id.startsWith(`${scope.id}/providers/`))
        .map((a) => a.properties.roleDefinitionId.split('/').at(-1));

    it('give the app’s identity the storage roles on the account and Secrets Officer on the vault', () => {
      expect(toApp()).toHaveLength(I.ofType('Microsoft.Authorization/roleAssignments').length);
      expect(roleIdsAt(storage).sort()).toEqual(
        [
          ROLES['Storage Blob Data Owner'],
          ROLES['Storage Queue Data Contributor'],
          ROLES['Storage Table Data Contributor'],
          ROLES['Storage File Data Privileged Contributor'],
        ].sort(),
      );
      // The app sets and deletes each connection's secrets; Officer includes reading them (Key Vault references).
      expect(roleIdsAt(vault)).toEqual([ROLES['Key Vault Secrets Officer']]);
    });

    it('are named with stable GUIDs and typed as service principals', () => {
      const assignments = I.ofType('Microsoft.Authorization/roleAssignments');
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
      expect(I.template.parameters[token!]?.type).toBe('securestring');
      expect(Object.keys(staticSite.properties.buildProperties).sort()).toEqual([
        'apiLocation',
        'appLocation',
        'outputLocation',
      ]);
    });

    it('names its provider, so a second deployment after the first build does not fail', () => {
      // Without it: "Provider is invalid. Cannot change the Provider" (Azure/static-web-apps issues 495, 575).
      expect(staticSite.properties.provider).toBe('GitHub');
    });
  });

  describe('portability', () => {
    it('has no hard-coded region or environment URL in the template', () => {
      for (const t of templates(I.template)) {
        for (const r of Object.values(t.resources ?? {}) as Json[]) {
          if (r.location !== undefined)
            expect(isExpression(r.location), `${r.type} location ${r.location}`).toBe(true);
        }
      }
      expect(JSON.stringify(I.template)).not.toMatch(
        /core\.windows\.net|azurewebsites\.net|vault\.azure\.net|login\.microsoftonline\.com/,
      );
      expect(storage.location).toBe(I.context.location);
    });
  });

  describe('outputs', () => {
    it('give the app host name, the webhook URL, the Static Web App URL and the workbook', () => {
      const { outputs } = I.snapshot;
      expect(outputs.webhookUrl).toMatch(/^\[format\('https:\/\/\{0\}\/api\/github\/webhook', /);
      expect(outputs.webhookUrl).toMatch(runtimeProperty(site, 'defaultHostName'));
      expect(outputs.functionAppHostName).toMatch(runtimeProperty(site, 'defaultHostName'));
      expect(outputs.staticWebAppUrl).toMatch(/^\[format\('https:\/\/\{0\}', /);
      expect(outputs.staticWebAppUrl).toMatch(runtimeProperty(staticSite, 'defaultHostname'));
      expect(outputs.workbookId).toBe(I.single('Microsoft.Insights/workbooks').id);
    });

    it('contain no secret', () => {
      for (const t of templates(I.template)) {
        for (const [name, output] of Object.entries(t.outputs ?? {}) as [string, Json][]) {
          expect(output.type, name).not.toMatch(/^secure/);
          expect(JSON.stringify(output.value), name).not.toMatch(
            /listKeys|list\w*\(|ConnectionString|parameters\('(github\w*|frontendRepositoryToken|webhookSecret|token|repositoryToken)'\)/i,
          );
        }
      }
    });
  });
});
