// Linux Functions app running the public container image on an Elastic Premium or Dedicated plan
// (custom containers do not run on Consumption), with the two shares mounted.
// App settings are applied separately (app-settings.bicep) once the identity holds its roles.
import { mountPaths, shareNames } from 'names.bicep'

@description('Name of the hosting plan.')
param planName string

@description('Name of the function app (also its host name prefix).')
param appName string

@description('Azure region of the plan and the app.')
param location string

@description('Plan SKU: EP1-EP3 (Elastic Premium) or a Dedicated Linux SKU such as B1, S1, P1v3.')
param planSku string

@description('Most instances an Elastic Premium plan scales out to (ignored on Dedicated).')
param maximumElasticWorkerCount int

@description('Container image the app runs, e.g. ghcr.io/org/workspace-sync:1.0.0 (pulled anonymously).')
param containerImage string

@description('Name of the storage account holding the shares.')
param storageAccountName string

@description('Storage account key the share mounts authenticate with; switch it to rotate the other one without downtime.')
@allowed(['key1', 'key2'])
param mountKeyName string

@description('Origins allowed to call the API from a browser (the Static Web App).')
param corsAllowedOrigins string[]

@description('Tags put on the plan and the app.')
param tags object

var isElasticPremium = startsWith(planSku, 'EP')
// listKeys() returns key1 then key2.
var mountKeyIndex = mountKeyName == 'key1' ? 0 : 1
var skuTiers = {
  EP: 'ElasticPremium'
  B: 'Basic'
  S: 'Standard'
  P: 'PremiumV3'
}

resource storage 'Microsoft.Storage/storageAccounts@2024-01-01' existing = {
  name: storageAccountName
}

resource plan 'Microsoft.Web/serverfarms@2024-04-01' = {
  name: planName
  location: location
  tags: tags
  kind: isElasticPremium ? 'elastic' : 'linux'
  sku: {
    name: planSku
    tier: isElasticPremium ? skuTiers.EP : skuTiers[substring(planSku, 0, 1)]
  }
  properties: {
    reserved: true // Linux
    maximumElasticWorkerCount: isElasticPremium ? maximumElasticWorkerCount : null
  }
}

resource app 'Microsoft.Web/sites@2024-04-01' = {
  name: appName
  location: location
  tags: tags
  kind: 'functionapp,linux,container'
  identity: { type: 'SystemAssigned' }
  properties: {
    serverFarmId: plan.id
    httpsOnly: true
    clientAffinityEnabled: false
    siteConfig: {
      linuxFxVersion: 'DOCKER|${containerImage}'
      alwaysOn: !isElasticPremium // Elastic Premium keeps instances warm itself and has no always-on
      minimumElasticInstanceCount: isElasticPremium ? 1 : null
      ftpsState: 'Disabled'
      minTlsVersion: '1.2'
      scmMinTlsVersion: '1.2'
      http20Enabled: true
      healthCheckPath: '/api/health'
      cors: { allowedOrigins: corsAllowedOrigins }
      // Mounts authenticate with the account key (the platform offers nothing else);
      // this is the only place the key is used.
      azureStorageAccounts: {
        workspaces: {
          type: 'AzureFiles'
          accountName: storage.name
          shareName: shareNames.workspace
          mountPath: mountPaths.workspace
          accessKey: storage.listKeys().keys[mountKeyIndex].value
        }
        tmp: {
          type: 'AzureFiles'
          accountName: storage.name
          shareName: shareNames.tmp
          mountPath: mountPaths.tmp
          accessKey: storage.listKeys().keys[mountKeyIndex].value
        }
      }
    }
  }
  resource ftpPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'ftp'
    properties: { allow: false }
  }
  resource scmPublishing 'basicPublishingCredentialsPolicies' = {
    name: 'scm'
    properties: { allow: false }
  }
}

@description('Default host name of the function app.')
output defaultHostName string = app.properties.defaultHostName

@description('Object id of the app\'s system-assigned identity.')
output principalId string = app.identity.principalId
