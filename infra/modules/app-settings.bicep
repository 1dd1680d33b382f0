// The function app's settings (every one src/config.ts reads), applied after the role assignments
// so the first start already resolves the Key Vault references and reaches storage with its identity.
// Secrets appear only as Key Vault references.
import { mountPaths, secretNames, shareNames } from 'names.bicep'

@description('Name of the function app.')
param appName string

@description('Storage account for the Functions host, queues, tables and the workspace share.')
param storageAccountName string

@description('Key Vault holding the GitHub secrets.')
param keyVaultName string

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

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' existing = {
  name: appInsightsName
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
    GITHUB_WEBHOOK_SECRET: keyVaultReference(keyVaultName, secretNames.webhookSecret)
    GITHUB_TOKEN: keyVaultReference(keyVaultName, secretNames.token)
    GITHUB_REPOSITORY_URL: githubRepositoryUrl
    GITHUB_BRANCH: empty(githubRepositoryUrl) ? '' : githubBranch
    SYNC_EXCLUDE: syncExclude
    SYNC_CONCURRENCY: string(syncConcurrency)
    SYNC_TEMP_DIR: mountPaths.tmp
  }
}
