// workspace-sync: everything one `az deployment group create` needs — storage with the workspace share,
// queues, tables and containers, Key Vault for the GitHub secrets, monitoring with the operations workbook,
// the containerised function app with its mounts, identity, roles and App Service Authentication, and the
// Static Web App connected to the frontend repository.
targetScope = 'resourceGroup'

@description('Short prefix of every resource name: 2-9 lowercase letters or digits, starting with a letter (the storage account name allows nothing else).')
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
@description('Container image the function app runs, without the DOCKER| prefix, with a version tag or a digest (not :latest); must be pullable anonymously (public registry).')
param containerImage string

@description('Hosting plan SKU: EP1/EP2/EP3 (Elastic Premium) or Dedicated B1-B3, S1-S3, P0v3-P3v3. Consumption cannot run custom containers.')
@allowed(['EP1', 'EP2', 'EP3', 'B1', 'B2', 'B3', 'S1', 'S2', 'S3', 'P0v3', 'P1v3', 'P2v3', 'P3v3'])
param planSku string = 'EP1'

@description('Most instances an Elastic Premium plan may scale out to (ignored on Dedicated plans).')
@minValue(1)
@maxValue(100)
param maximumElasticWorkerCount int = 3

// GitHub and sync
@description('Optional HMAC secret for a webhook made by hand (at least 20 characters); the app generates and stores a secret for each webhook it creates itself. Empty stores none. Stored in Key Vault.')
@secure()
param githubWebhookSecret string = ''

@description('Optional default GitHub token, used when a connection is made without one (a token given when connecting wins and is kept in Key Vault by the app). Empty stores none. Stored in Key Vault.')
@secure()
param githubToken string = ''

@description('Hosts a repository may live on and a token may be sent to, comma-separated (GitHub Enterprise Server: its host name).')
param githubHosts string = 'github.com'

@description('GitHub REST API base URL (GitHub Enterprise Server: https://<host>/api/v3).')
param githubApiUrl string = 'https://api.github.com'

@description('Public base URL of the API for the webhook the app creates (a custom domain or a front door); empty means https://<default host name>.')
param publicBaseUrl string = ''

@description('NCRONTAB schedule (seconds first) of the timer that polls the branch head, so a push whose webhook never arrived is still synced; off disables it.')
param syncPollSchedule string = '0 */5 * * * *'

@description('How many workspace backups (ZIPs of files a sync would have destroyed) are kept; the oldest go first.')
@minValue(1)
@maxValue(1000)
param workspaceBackupKeep int = 20

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

// Identity (App Service Authentication with Microsoft Entra ID)
@description('Application (client) id of the Entra app registration with the Workspace.Reader/Editor/Admin roles (docs/deploy.md, "Create the app registration").')
@minLength(36)
@maxLength(36)
param authClientId string

@description('Entra tenant of the app registration. Defaults to the tenant of the deployment.')
param authTenantId string = tenant().tenantId

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

@description('Display name of the operations workbook in the portal.')
param workbookDisplayName string = 'workspace-sync operations'

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

// Bicep has no regular expressions: a prefix is valid when its first character is a letter and none is
// outside [a-z0-9]. fail() stops the deployment (and `bicep snapshot`) before anything is created.
var lowercaseLetters = 'abcdefghijklmnopqrstuvwxyz'
var prefixCharacters = map(range(0, length(namePrefix)), i => substring(namePrefix, i, 1))
var prefixIsValid = contains(lowercaseLetters, substring(namePrefix, 0, 1)) && empty(filter(
  prefixCharacters,
  c => !contains('${lowercaseLetters}0123456789', c)
))
var prefix = prefixIsValid
  ? namePrefix
  : fail('namePrefix "${namePrefix}" must be 2-9 lowercase letters or digits, starting with a letter')

// Optional, but when given it must be long enough to resist guessing.
var webhookSecretIsValid = empty(githubWebhookSecret) || length(githubWebhookSecret) >= 20

// The platform lets these through without a token: the webhook is locked by its HMAC, and the health
// probe carries no token (it says nothing secret).
var anonymousPaths = ['/api/github/webhook', '/api/health']

var suffix = uniqueString(resourceGroup().id)
// Names are known before deployment, so modules get them from here (not from other modules' outputs)
// and ordering comes from dependsOn: What-If and `bicep snapshot` can then evaluate everything.
var names = {
  storage: '${prefix}st${suffix}'
  keyVault: take('${prefix}-kv-${suffix}', 24)
  logAnalytics: '${prefix}-log-${suffix}'
  appInsights: '${prefix}-appi-${suffix}'
  plan: '${prefix}-plan-${suffix}'
  app: '${prefix}-func-${suffix}'
  staticWebApp: '${prefix}-swa-${suffix}'
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
    workbookDisplayName: workbookDisplayName
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
    webhookSecret: webhookSecretIsValid
      ? githubWebhookSecret
      : fail('githubWebhookSecret must be empty or at least 20 characters')
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

module auth 'modules/app-auth.bicep' = {
  name: 'app-auth'
  dependsOn: [functionApp]
  params: {
    appName: names.app
    clientId: authClientId
    tenantId: authTenantId
    excludedPaths: anonymousPaths
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
    webhookSecretStored: !empty(githubWebhookSecret)
    tokenStored: !empty(githubToken)
    appInsightsName: names.appInsights
    githubRepositoryUrl: githubRepositoryUrl
    githubBranch: githubBranch
    githubHosts: githubHosts
    githubApiUrl: githubApiUrl
    publicBaseUrl: publicBaseUrl
    syncExclude: syncExclude
    syncConcurrency: syncConcurrency
    syncPollSchedule: syncPollSchedule
    workspaceBackupKeep: workspaceBackupKeep
  }
}

@description('Host name of the function app; the API is at https://<host>/api/.')
output functionAppHostName string = functionApp.outputs.defaultHostName

@description('Payload URL of the GitHub webhook (the app creates the hook itself when connecting; this is for one made by hand).')
output webhookUrl string = 'https://${functionApp.outputs.defaultHostName}/api/github/webhook'

@description('URL of the Static Web App serving the frontend.')
output staticWebAppUrl string = 'https://${staticWebApp.outputs.defaultHostName}'

@description('Name of the function app (for az functionapp commands).')
output functionAppName string = names.app

@description('Name of the storage account (for key rotation).')
output storageAccountName string = names.storage

@description('Name of the Key Vault holding the GitHub secrets (for secret rotation).')
output keyVaultName string = names.keyVault

@description('Resource id of the operations workbook (Azure portal: Monitor, Workbooks).')
output workbookId string = monitoring.outputs.workbookId
