// Storage account for the Functions host (blobs/queues), the app's tables, queues and blob containers
// (state, backups), and the Azure Files shares: `workspaces` (the synced workspace) and `tmp` (scratch
// space for the workflows that run from the workspace).
import { containerNames, queueNames, shareNames, tableNames } from 'names.bicep'

@description('Storage account name (3-24 lowercase letters and digits).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the account.')
param location string

@description('Replication SKU, e.g. Standard_LRS or Standard_ZRS.')
param skuName string

@description('Access tier of both file shares: Hot, Cool or TransactionOptimized.')
param shareAccessTier string

@description('Quota of the workspaces share, in GiB.')
param workspaceShareQuotaGiB int

@description('Quota of the tmp share, in GiB.')
param tmpShareQuotaGiB int

@description('Tags put on the account.')
param tags object

resource account 'Microsoft.Storage/storageAccounts@2024-01-01' = {
  name: name
  location: location
  tags: tags
  kind: 'StorageV2'
  sku: { name: skuName }
  properties: {
    accessTier: 'Hot'
    supportsHttpsTrafficOnly: true
    minimumTlsVersion: 'TLS1_2'
    allowBlobPublicAccess: false
    // Shared keys stay enabled only because App Service share mounts authenticate with the account key;
    // the app itself (host, queues, tables, Azure Files REST) uses its managed identity.
    allowSharedKeyAccess: true
    defaultToOAuthAuthentication: true
    allowCrossTenantReplication: false
    publicNetworkAccess: 'Enabled'
  }
}

resource blobService 'Microsoft.Storage/storageAccounts/blobServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource containers 'Microsoft.Storage/storageAccounts/blobServices/containers@2024-01-01' = [
  for containerName in items(containerNames): {
    parent: blobService
    name: containerName.value
    properties: { publicAccess: 'None' }
  }
]

resource fileService 'Microsoft.Storage/storageAccounts/fileServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource workspaceShare 'Microsoft.Storage/storageAccounts/fileServices/shares@2024-01-01' = {
  parent: fileService
  name: shareNames.workspace
  properties: {
    accessTier: shareAccessTier
    shareQuota: workspaceShareQuotaGiB
    enabledProtocols: 'SMB'
  }
}

resource tmpShare 'Microsoft.Storage/storageAccounts/fileServices/shares@2024-01-01' = {
  parent: fileService
  name: shareNames.tmp
  properties: {
    accessTier: shareAccessTier
    shareQuota: tmpShareQuotaGiB
    enabledProtocols: 'SMB'
  }
}

resource queueService 'Microsoft.Storage/storageAccounts/queueServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource queues 'Microsoft.Storage/storageAccounts/queueServices/queues@2024-01-01' = [
  for queueName in queueNames: {
    parent: queueService
    name: queueName
  }
]

resource tableService 'Microsoft.Storage/storageAccounts/tableServices@2024-01-01' = {
  parent: account
  name: 'default'
}

resource tables 'Microsoft.Storage/storageAccounts/tableServices/tables@2024-01-01' = [
  for tableName in tableNames: {
    parent: tableService
    name: tableName
  }
]

@description('Name of the storage account.')
output accountName string = account.name
