// Parameters an operator edits. Secrets are not written here: export them before deploying
//   export GITHUB_WEBHOOK_SECRET=... GITHUB_TOKEN=... FRONTEND_REPOSITORY_TOKEN=...
// and run: az deployment group create -g <resource-group> --parameters infra/main.bicepparam
using './main.bicep'

param namePrefix = 'wsync'

// Public image pushed as described in docs/deploy.md ("Push the image").
param containerImage = 'ghcr.io/your-org/workspace-sync:latest'
param planSku = 'EP1'
param maximumElasticWorkerCount = 3

param storageSku = 'Standard_LRS'
param shareAccessTier = 'Hot'
param workspaceShareQuotaGiB = 100
param tmpShareQuotaGiB = 20
// Which account key the share mounts use; see "Rotating the storage key" in docs/deploy.md.
param mountStorageKey = 'key1'

param githubWebhookSecret = readEnvironmentVariable('GITHUB_WEBHOOK_SECRET')
param githubToken = readEnvironmentVariable('GITHUB_TOKEN')
param githubRepositoryUrl = ''
param githubBranch = 'main'

param keyVaultPurgeProtection = true

param staticWebAppLocation = 'westeurope'
param staticWebAppSku = 'Free'
param frontendRepositoryUrl = 'https://github.com/your-org/workspace-sync-frontend'
param frontendBranch = 'main'
param frontendRepositoryToken = readEnvironmentVariable('FRONTEND_REPOSITORY_TOKEN')
param frontendAppLocation = '/'
param frontendApiLocation = ''
param frontendOutputLocation = 'dist'
