// Key Vault in RBAC mode: the optional deployment-time GitHub secrets (read through Key Vault references),
// and the per-connection token and webhook secret the app itself sets and deletes.
import { secretNames } from 'names.bicep'

@description('Key Vault name (3-24 letters, digits and hyphens).')
@minLength(3)
@maxLength(24)
param name string

@description('Azure region of the vault.')
param location string

@description('Turn on purge protection. It cannot be turned off again; deleted vaults then stay for the retention period.')
param enablePurgeProtection bool

@description('Days a deleted vault or secret can be recovered (7-90).')
@minValue(7)
@maxValue(90)
param softDeleteRetentionInDays int

@description('HMAC secret for webhooks made by hand; empty stores none.')
@secure()
param webhookSecret string

@description('Default GitHub token (a token given when connecting wins); empty stores none.')
@secure()
param token string

@description('Tags put on the vault.')
param tags object

resource vault 'Microsoft.KeyVault/vaults@2024-11-01' = {
  name: name
  location: location
  tags: tags
  properties: {
    tenantId: tenant().tenantId
    sku: { family: 'A', name: 'standard' }
    enableRbacAuthorization: true
    enableSoftDelete: true
    softDeleteRetentionInDays: softDeleteRetentionInDays
    // The API rejects an explicit false; leaving the property out is how "off" is said.
    enablePurgeProtection: enablePurgeProtection ? true : null
    publicNetworkAccess: 'Enabled'
  }
}

resource webhookSecretEntry 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(webhookSecret)) {
  parent: vault
  name: secretNames.webhookSecret
  properties: { value: webhookSecret, contentType: 'text/plain' }
}

resource tokenSecretEntry 'Microsoft.KeyVault/vaults/secrets@2024-11-01' = if (!empty(token)) {
  parent: vault
  name: secretNames.token
  properties: { value: token, contentType: 'text/plain' }
}

@description('Name of the vault.')
output name string = vault.name
