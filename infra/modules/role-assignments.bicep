// Data-plane roles the app's managed identity needs: the Functions host and the app use blobs
// (leases, manifest), queues and tables without keys; Azure Files over REST with OAuth needs the
// privileged file role. On the vault the app both reads (Key Vault references) and writes (each
// connection's token and webhook secret, set and deleted by the app): Key Vault Secrets Officer, which
// includes everything Secrets User allows.

@description('Object id of the app\'s managed identity.')
param principalId string

@description('Resource id of the app; makes the assignment names stable per app.')
param appId string

@description('Name of the storage account the roles apply to.')
param storageAccountName string

@description('Name of the Key Vault the secrets role applies to.')
param keyVaultName string

// Built-in role definition ids (the same in every tenant).
var storageRoles = {
  blobDataOwner: 'b7e6dc6d-f1e8-4753-8033-0f276bb0955b' // Storage Blob Data Owner
  queueDataContributor: '974c5e8b-45b9-4653-ba55-5f855dd0fb88' // Storage Queue Data Contributor
  tableDataContributor: '0a9a7e1f-b9d0-4cc4-a60d-0319b160aaa3' // Storage Table Data Contributor
  fileDataPrivilegedContributor: '69566ab7-960f-475b-8e7c-b3118f30c6bd' // Storage File Data Privileged Contributor
}
var keyVaultSecretsOfficer = 'b86a8fe4-44ce-4948-aee5-eccb2c155cd7' // Key Vault Secrets Officer

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' existing = {
  name: keyVaultName
}

resource storageAssignments 'Microsoft.Authorization/roleAssignments@2022-04-01' = [
  for role in items(storageRoles): {
    name: guid(storage.id, appId, role.value)
    scope: storage
    properties: {
      principalId: principalId
      principalType: 'ServicePrincipal'
      roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', role.value)
      description: 'workspace-sync ${role.key}'
    }
  }
]

resource secretsOfficer 'Microsoft.Authorization/roleAssignments@2022-04-01' = {
  name: guid(vault.id, appId, keyVaultSecretsOfficer)
  scope: vault
  properties: {
    principalId: principalId
    principalType: 'ServicePrincipal'
    roleDefinitionId: subscriptionResourceId('Microsoft.Authorization/roleDefinitions', keyVaultSecretsOfficer)
    description: 'workspace-sync Key Vault references and connection secrets'
  }
}
