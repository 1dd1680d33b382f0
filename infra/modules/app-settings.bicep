// The function app's settings (every one src/config.ts reads), applied after the role assignments
// so the first start already resolves the Key Vault references and reaches storage with its identity.
// Secrets appear only as Key Vault references.
import { cloneScratchDir, secretNames, shareNames } from 'names.bicep'

@description('Name of the function app.')
param appName string

@description('Storage account for the Functions host, queues, tables and the workspace share.')
param storageAccountName string

@description('Key Vault holding the GitHub secrets; the app also keeps each connection\'s secrets there.')
param keyVaultName string

@description('Whether the vault holds a webhook secret for hooks made by hand (GITHUB_WEBHOOK_SECRET).')
param webhookSecretStored bool

@description('Whether the vault holds a default GitHub token (GITHUB_TOKEN).')
param tokenStored bool

@description('Application Insights component the app reports to.')
param appInsightsName string

@description('Repository connected at start-up; empty leaves the app unconnected (connect later over the API).')
param githubRepositoryUrl string

@description('Branch of githubRepositoryUrl to sync.')
param githubBranch string

@description('Globs neither written nor deleted by sync, comma-separated; empty keeps the app default.')
param syncExclude string

@description('Parallel storage operations during a sync.')
param syncConcurrency int

@description('NCRONTAB schedule of the poll timer (six fields, seconds first), or off.')
param syncPollSchedule string

@description('Hosts a repository may live on and a token may be sent to, comma-separated.')
param githubHosts string

@description('GitHub REST API base URL.')
param githubApiUrl string

@description('Public base URL of the app for the webhook; empty means https://<default host name>.')
param publicBaseUrl string

@description('How many workspace backups are kept.')
param workspaceBackupKeep int

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

func keyVaultReference(vault string, secret string) string =>
  '@Microsoft.KeyVault(VaultName=${vault};SecretName=${secret})'

// Every key is always present (an empty value reads as unset in src/config.ts), so the settings are one
// literal object that `bicep snapshot` evaluates key by key.
resource appSettings 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'appsettings'
  properties: {
    FUNCTIONS_EXTENSION_VERSION: '~4'
    FUNCTIONS_WORKER_RUNTIME: 'node'
    // The image carries the code; the platform must not mount its own storage over /home.
    WEBSITES_ENABLE_APP_SERVICE_STORAGE: 'false'
    // Identity-based host storage: no account key for the Functions host.
    AzureWebJobsStorage__accountName: storageAccountName
    APPLICATIONINSIGHTS_CONNECTION_STRING: appInsights.properties.ConnectionString
    WORKSPACE_BACKEND: 'azure-files'
    WORKSPACE_SHARE: shareNames.workspace
    // The app reaches Azure Files over REST with its managed identity; the mount is for the workflow engine.
    WORKSPACE_FILES_URL: storage.properties.primaryEndpoints.file
    // The secret store the app writes connection secrets to; in Azure the app refuses to start without it.
    KEY_VAULT_URL: vault.properties.vaultUri
    // App Service Authentication (authsettingsV2 in app-auth.bicep) validates callers and sets the principal.
    AUTH_MODE: 'platform'
    GITHUB_WEBHOOK_SECRET: webhookSecretStored ? keyVaultReference(keyVaultName, secretNames.webhookSecret) : ''
    GITHUB_TOKEN: tokenStored ? keyVaultReference(keyVaultName, secretNames.token) : ''
    GITHUB_REPOSITORY_URL: githubRepositoryUrl
    GITHUB_BRANCH: empty(githubRepositoryUrl) ? '' : githubBranch
    GITHUB_HOSTS: githubHosts
    GITHUB_API_URL: githubApiUrl
    PUBLIC_BASE_URL: publicBaseUrl
    SYNC_EXCLUDE: syncExclude
    SYNC_CONCURRENCY: string(syncConcurrency)
    SYNC_POLL_SCHEDULE: syncPollSchedule
    // Clones on the container's local disk: git's lock files and many small writes do not belong on SMB.
    SYNC_TEMP_DIR: cloneScratchDir
    WORKSPACE_BACKUP_KEEP: string(workspaceBackupKeep)
  }
}
