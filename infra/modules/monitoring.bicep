// Log Analytics workspace, the workspace-based Application Insights component the app reports to, and the
// operator's workbook over the app's telemetry. The workbook's Kusto queries are files under
// infra/workbook/queries/ (tests/static/infra-workbook.test.ts parses each one against the Application
// Insights schema), loaded here verbatim.

@description('Name of the Log Analytics workspace.')
param logAnalyticsName string

@description('Name of the Application Insights component.')
param appInsightsName string

@description('Azure region of both resources.')
param location string

@description('Days Log Analytics keeps data (30 is included in the price).')
@minValue(30)
@maxValue(730)
param retentionInDays int

@description('Tags put on every resource.')
param tags object

@description('Display name of the workbook in the portal.')
param workbookDisplayName string

// Workbook item types (Application-Insights-Workbooks schema): 1 text, 3 query, 9 parameters.
// A query item follows the TimeRange parameter, or looks back a fixed time when fixedDurationMs > 0.
// (A Bicep function cannot read variables, hence the parameter's name written out here and below.)
func queryItem(name string, title string, query string, visualization string, fixedDurationMs int) object => {
  type: 3
  name: name
  content: union(
    {
      version: 'KqlItem/1.0'
      title: title
      query: query
      queryType: 0 // Logs
      resourceType: 'microsoft.insights/components'
      size: 0
      visualization: visualization
    },
    fixedDurationMs > 0 ? { timeContext: { durationMs: fixedDurationMs } } : { timeContextFromParameter: 'TimeRange' }
  )
}

resource logAnalytics 'Microsoft.OperationalInsights/workspaces@2023-09-01' = {
  name: logAnalyticsName
  location: location
  tags: tags
  properties: {
    sku: { name: 'PerGB2018' }
    retentionInDays: retentionInDays
  }
}

resource appInsights 'Microsoft.Insights/components@2020-02-02' = {
  name: appInsightsName
  location: location
  tags: tags
  kind: 'web'
  properties: {
    Application_Type: 'web'
    WorkspaceResourceId: logAnalytics.id
  }
}

resource workbook 'Microsoft.Insights/workbooks@2023-06-01' = {
  // A workbook's name must be a GUID; derived from the component, it stays the same on every deployment.
  name: guid(appInsights.id, 'workspace-sync-operations')
  location: location
  tags: tags
  kind: 'shared'
  properties: {
    displayName: workbookDisplayName
    category: 'workbook'
    sourceId: appInsights.id
    serializedData: string({
      version: 'Notebook/1.0'
      items: [
        {
          type: 1
          name: 'intro'
          content: {
            json: '## workspace-sync\nSyncs, webhook deliveries and failures from the app\'s telemetry. Error codes and what to do: docs/operations.md.'
          }
        }
        {
          type: 9
          name: 'parameters'
          content: {
            version: 'KqlParameterItem/1.0'
            parameters: [
              {
                id: 'time-range'
                name: 'TimeRange'
                type: 4
                isRequired: true
                value: { durationMs: 86400000 }
                typeSettings: {
                  selectableValues: [
                    { durationMs: 3600000 }
                    { durationMs: 86400000 }
                    { durationMs: 604800000 }
                    { durationMs: 2592000000 }
                  ]
                }
              }
            ]
          }
        }
        // The connection changes rarely: this one looks back 90 days whatever the time range says.
        queryItem(
          'connection',
          'Current connection and last sync',
          loadTextContent('../workbook/queries/connection-and-last-sync.kql'),
          'table',
          7776000000
        )
        queryItem(
          'syncs-by-outcome',
          'Syncs by outcome',
          loadTextContent('../workbook/queries/syncs-by-outcome.kql'),
          'barchart',
          0
        )
        queryItem(
          'sync-duration',
          'Sync duration p50 / p95 (ms)',
          loadTextContent('../workbook/queries/sync-duration.kql'),
          'timechart',
          0
        )
        queryItem(
          'files-per-sync',
          'Files written per sync',
          loadTextContent('../workbook/queries/files-per-sync.kql'),
          'table',
          0
        )
        queryItem(
          'storage-load',
          'Bytes written and storage requests',
          loadTextContent('../workbook/queries/storage-load.kql'),
          'timechart',
          0
        )
        queryItem(
          'webhook-outcomes',
          'Webhook deliveries by outcome',
          loadTextContent('../workbook/queries/webhook-outcomes.kql'),
          'barchart',
          0
        )
        queryItem(
          'failed-jobs',
          'Failed jobs and their error codes',
          loadTextContent('../workbook/queries/failed-jobs.kql'),
          'table',
          0
        )
      ]
      fallbackResourceIds: [appInsights.id]
      '$schema': 'https://github.com/Microsoft/Application-Insights-Workbooks/blob/master/schema/workbook.json'
    })
  }
}

// No connection string output: consumers look the component up by name, so nothing key-like
// travels through deployment outputs (which anyone with read access to the deployment can see).
@description('Name of the Application Insights component.')
output appInsightsName string = appInsights.name

@description('Resource id of the operations workbook.')
output workbookId string = workbook.id
