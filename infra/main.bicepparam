// Parameters an operator edits (docs/deploy.md). Secrets are not written here: export them before deploying
//   export AUTH_CLIENT_ID=... FRONTEND_REPOSITORY_TOKEN=...   # required
//   export GITHUB_TOKEN=... GITHUB_WEBHOOK_SECRET=...         # optional defaults
// and run: az deployment group create -g <resource-group> --parameters infra/main.bicepparam
using './main.bicep'

param namePrefix = 'wsync'

// Public image pushed as described in docs/deploy.md ("Push the image"): an explicit version tag (or
// @sha256:<digest>), never :latest, so a redeploy is an explicit, reversible upgrade.
param containerImage = 'ghcr.io/your-org/workspace-sync:1.0.0'
param planSku = 'EP1'
param maximumElasticWorkerCount = 3

param storageSku = 'Standard_LRS'
param shareAccessTier = 'Hot'
param workspaceShareQuotaGiB = 100
param tmpShareQuotaGiB = 20
// Which account key the share mounts use; see "Rotating the storage key" in docs/deploy.md.
param mountStorageKey = 'key1'

param githubWebhookSecret = readEnvironmentVariable('GITHUB_WEBHOOK_SECRET', '')
param githubToken = readEnvironmentVariable('GITHUB_TOKEN', '')
param githubRepositoryUrl = ''
param githubBranch = 'main'
param githubHosts = 'github.com'
param githubApiUrl = 'https://api.github.com'
param publicBaseUrl = ''
param syncPollSchedule = '0 */5 * * * *'
param workspaceBackupKeep = 20

// Client id of the app registration made with infra/app-roles.json (docs/deploy.md, "Create the app
// registration", exports AUTH_CLIENT_ID). Not a secret, but it differs per environment.
param authClientId = readEnvironmentVariable('AUTH_CLIENT_ID')

param keyVaultPurgeProtection = true

param staticWebAppLocation = 'westeurope'
param staticWebAppSku = 'Free'
param frontendRepositoryUrl = 'https://github.com/your-org/workspace-sync-frontend'
param frontendBranch = 'main'
param frontendRepositoryToken = readEnvironmentVariable('FRONTEND_REPOSITORY_TOKEN')
param frontendAppLocation = '/'
param frontendApiLocation = ''
param frontendOutputLocation = 'dist'
