// Static Web App built from the frontend repository (Azure commits the build workflow to it).

@description('Name of the Static Web App.')
param name string

@description('Region of the Static Web App (the service exists in a few regions only).')
param location string

@description('Free or Standard.')
param sku string

@description('HTTPS URL of the frontend repository on GitHub.')
param repositoryUrl string

@description('Branch the site is built from.')
param branch string

@description('GitHub token allowed to add the build workflow and its secret to the repository.')
@secure()
param repositoryToken string

@description('Folder of the frontend source in the repository.')
param appLocation string

@description('Folder of the managed Functions API in the repository; empty for none.')
param apiLocation string

@description('Build output folder, relative to appLocation.')
param outputLocation string

@description('Tags put on the site.')
param tags object

resource site 'Microsoft.Web/staticSites@2024-04-01' = {
  name: name
  location: location
  tags: tags
  sku: { name: sku, tier: sku }
  properties: {
    // Without it the second deployment fails once the site has built ("Provider is invalid. Cannot change
    // the Provider", Azure/static-web-apps issues 495 and 575): the service records 'GitHub' after the
    // first build and refuses a request that leaves it out.
    provider: 'GitHub'
    repositoryUrl: repositoryUrl
    branch: branch
    repositoryToken: repositoryToken
    buildProperties: {
      appLocation: appLocation
      apiLocation: apiLocation
      outputLocation: outputLocation
    }
  }
}

@description('Default host name of the site.')
output defaultHostName string = site.properties.defaultHostname
