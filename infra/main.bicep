// workspace-sync: everything one `az deployment group create` needs — storage with the workspace share,
// queues and tables, Key Vault with the GitHub secrets, monitoring, the containerised function app with
// its mounts, identity and roles, and the Static Web App connected to the frontend repository.
targetScope = 'resourceGroup'

@description('Short prefix of every resource name: 2-9 lowercase letters or digits, starting with a letter.')
@minLength(2)
@maxLength(9)
param namePrefix string

@description('Region of every resource except the Static Web App. Defaults to the resource group\'s.')
param location string = resourceGroup().location

@description('Tags put on every resource.')
param tags object = {}

// Storage
@description('Replication of the storage account: Standard_LRS, Standard_ZRS, Standard_GRS or Standard_GZRS.')
@allowed(['Standard_LRS', 'Standard_ZRS', 'Standard_GRS', 'Standard_GZRS'])
param storageSku string = 'Standard_LRS'

@description('Access tier of the workspaces and tmp shares. Hot suits a workspace read and written all day.')
@allowed(['Hot', 'Cool', 'TransactionOptimized'])
param shareAccessTier string = 'Hot'

@description('Quota of the workspaces share in GiB.')
@minValue(1)
@maxValue(102400)
param workspaceShareQuotaGiB int = 100

@description('Quota of the tmp share (clones during sync) in GiB.')
@minValue(1)
@maxValue(102400)
param tmpShareQuotaGiB int = 20

@description('Storage account key the share mounts use (key1 or key2). To rotate a key, point the mounts at the other one, deploy, then regenerate the first.')
@allowed(['key1', 'key2'])
param mountStorageKey string = 'key1'

// Compute
@description('Container image the function app runs, without the DOCKER| prefix; must be pullable anonymously (public registry).')
param containerImage string

@description('Hosting plan SKU: EP1/EP2/EP3 (Elastic Premium) or Dedicated B1-B3, S1-S3, P0v3-P3v3. Consumption cannot run custom containers.')
@allowed(['EP1', 'EP2', 'EP3', 'B1', 'B2', 'B3', 'S1', 'S2', 'S3', 'P0v3', 'P1v3', 'P2v3', 'P3v3'])
param planSku string = 'EP1'

@description('Most instances an Elastic Premium plan may scale out to (ignored on Dedicated plans).')
@minValue(1)
@maxValue(100)
param maximumElasticWorkerCount int = 3

// GitHub and sync
@description('HMAC secret GitHub signs webhook deliveries with (put the same value in the GitHub webhook). Stored in Key Vault.')
@secure()
@minLength(20)
param githubWebhookSecret string

@description('GitHub token the app reads the synced repository with (for a public repository any token with public read access; it also lifts the anonymous rate limit). Stored in Key Vault.')
@secure()
@minLength(1)
param githubToken string

@description('Repository the app connects to at start-up; empty leaves it unconnected (connect later with PUT /api/github/connection).')
param githubRepositoryUrl string = ''

@description('Branch of githubRepositoryUrl to keep the workspace equal to.')
param githubBranch string = 'main'

@description('Globs sync neither writes nor deletes, comma-separated; empty keeps the app default (.git/**,.github/**).')
param syncExclude string = ''

@description('Parallel storage operations during a sync (1-256).')
@minValue(1)
@maxValue(256)
param syncConcurrency int = 16

// Key Vault
@description('Purge protection on the Key Vault. Recommended for production; once on it cannot be turned off.')
param keyVaultPurgeProtection bool = true

@description('Days a deleted Key Vault or secret can be recovered (7-90).')
@minValue(7)
@maxValue(90)
param keyVaultSoftDeleteRetentionInDays int = 90

// Monitoring
@description('Days Log Analytics keeps logs and telemetry (30-730).')
@minValue(30)
@maxValue(730)
param logRetentionInDays int = 30

// Static Web App
@description('Region of the Static Web App; the service runs in a few regions only (e.g. westeurope, eastus2, centralus, westus2, eastasia).')
param staticWebAppLocation string

@description('Static Web App plan: Free or Standard.')
@allowed(['Free', 'Standard'])
param staticWebAppSku string = 'Free'

@description('HTTPS URL of the frontend repository on GitHub.')
param frontendRepositoryUrl string

@description('Branch of the frontend repository the site is built from.')
param frontendBranch string = 'main'

@description('GitHub token with repo and workflow scope on the frontend repository; Azure uses it once to add the build workflow.')
@secure()
param frontendRepositoryToken string

@description('Folder of the frontend source in its repository.')
param frontendAppLocation string = '/'

@description('Folder of a managed Functions API in the frontend repository; empty for none.')
param frontendApiLocation string = ''

@description('Build output folder, relative to frontendAppLocation.')
param frontendOutputLocation string = 'dist'

var suffix = uniqueString(resourceGroup().id)
// Names are known before deployment, so modules get them from here (not from other modules' outputs)
// and ordering comes from dependsOn: What-If and `bicep snapshot` can then evaluate everything.
var names = {
  storage: toLower('${namePrefix}st${suffix}')
  keyVault: take('${namePrefix}-kv-${suffix}', 24)
  logAnalytics: '${namePrefix}-log-${suffix}'
  appInsights: '${namePrefix}-appi-${suffix}'
  plan: '${namePrefix}-plan-${suffix}'
  app: '${namePrefix}-func-${suffix}'
  staticWebApp: '${namePrefix}-swa-${suffix}'
}

module storage 'modules/storage.bicep' = {
  name: 'storage'
  params: {
    name: names.storage
    location: location
    skuName: storageSku
    shareAccessTier: shareAccessTier
    workspaceShareQuotaGiB: workspaceShareQuotaGiB
    tmpShareQuotaGiB: tmpShareQuotaGiB
    tags: tags
  }
}

module monitoring 'modules/monitoring.bicep' = {
  name: 'monitoring'
  params: {
    logAnalyticsName: names.logAnalytics
    appInsightsName: names.appInsights
    location: location
    retentionInDays: logRetentionInDays
    tags: tags
  }
}

module keyVault 'modules/keyvault.bicep' = {
  name: 'key-vault'
  params: {
    name: names.keyVault
    location: location
    enablePurgeProtection: keyVaultPurgeProtection
    softDeleteRetentionInDays: keyVaultSoftDeleteRetentionInDays
    webhookSecret: githubWebhookSecret
    token: githubToken
    tags: tags
  }
}

module staticWebApp 'modules/static-web-app.bicep' = {
  name: 'static-web-app'
  params: {
    name: names.staticWebApp
    location: staticWebAppLocation
    sku: staticWebAppSku
    repositoryUrl: frontendRepositoryUrl
    branch: frontendBranch
    repositoryToken: frontendRepositoryToken
    appLocation: frontendAppLocation
    apiLocation: frontendApiLocation
    outputLocation: frontendOutputLocation
    tags: tags
  }
}

module functionApp 'modules/function-app.bicep' = {
  name: 'function-app'
  dependsOn: [storage] // the shares it mounts
  params: {
    planName: names.plan
    appName: names.app
    location: location
    planSku: planSku
    maximumElasticWorkerCount: maximumElasticWorkerCount
    containerImage: containerImage
    storageAccountName: names.storage
    mountKeyName: mountStorageKey
    corsAllowedOrigins: ['https://${staticWebApp.outputs.defaultHostName}']
    tags: tags
  }
}

module roles 'modules/role-assignments.bicep' = {
  name: 'role-assignments'
  dependsOn: [storage, keyVault]
  params: {
    principalId: functionApp.outputs.principalId
    appId: resourceId('Microsoft.Web/sites', names.app)
    storageAccountName: names.storage
    keyVaultName: names.keyVault
  }
}

// Last, so the app's first start with these settings already has its roles.
module appSettings 'modules/app-settings.bicep' = {
  name: 'app-settings'
  dependsOn: [functionApp, roles, monitoring]
  params: {
    appName: names.app
    storageAccountName: names.storage
    keyVaultName: names.keyVault
    appInsightsName: names.appInsights
    githubRepositoryUrl: githubRepositoryUrl
    githubBranch: githubBranch
    syncExclude: syncExclude
    syncConcurrency: syncConcurrency
  }
}

@description('Host name of the function app; the API is at https://<host>/api/.')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Payload URL to paste into the GitHub webhook settings (content type application/json).')
output webhookUrl string = 'https://${functionApp.outputs.defaultHostName}/api/github/webhook'

@description('URL of the Static Web App serving the frontend.')
output staticWebAppUrl string = 'https://${staticWebApp.outputs.defaultHostName}'

@description('Name of the function app (for az functionapp commands).')
output functionAppName string = names.app

@description('Name of the storage account (for key rotation).')
output storageAccountName string = names.storage

@description('Name of the Key Vault holding the GitHub secrets (for secret rotation).')
output keyVaultName string = names.keyVault
