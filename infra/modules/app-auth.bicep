// App Service Authentication ("Easy Auth") with Microsoft Entra ID in front of the function app: the
// platform validates every caller's token and passes the principal (with its app roles) to the app in
// x-ms-client-principal. Unauthenticated API calls get 401, not a login redirect; the GitHub webhook (locked
// by its HMAC) and the health probe (which carries no token) stay anonymous.

@description('Name of the function app.')
param appName string

@description('Application (client) id of the Entra app registration that defines the Workspace.* roles.')
param clientId string

@description('Entra tenant id the app registration lives in.')
param tenantId string

@description('Paths the platform lets through without a token.')
param excludedPaths string[]

resource app 'Microsoft.Web/sites@2024-04-01' existing = {
  name: appName
}

resource auth 'Microsoft.Web/sites/config@2024-04-01' = {
  parent: app
  name: 'authsettingsV2'
  properties: {
    platform: { enabled: true }
    globalValidation: {
      requireAuthentication: true
      unauthenticatedClientAction: 'Return401'
      excludedPaths: excludedPaths
    }
    identityProviders: {
      azureActiveDirectory: {
        enabled: true
        registration: {
          clientId: clientId
          // v2.0 issuer of the tenant; environment() keeps the login host right in every cloud.
          openIdIssuer: '${environment().authentication.loginEndpoint}${tenantId}/v2.0'
        }
        validation: {
          // v2 tokens carry the client id as audience (accepted by default); v1 tokens the app id URI.
          allowedAudiences: ['api://${clientId}']
        }
      }
    }
    login: { tokenStore: { enabled: false } } // an API with bearer tokens keeps no session
    httpSettings: { requireHttps: true }
  }
}
