// Names several modules must agree on, defined once and imported where used: a share is mounted
// and configured by the same symbol that creates it. They match src/storage-names.ts
// (tests/static/infra.test.ts compares them).

@export()
@description('Azure Files shares: the synced workspace and scratch space for clones.')
var shareNames = {
  workspace: 'workspaces'
  tmp: 'tmp'
}

@export()
@description('Where the shares are mounted in the container. Mounting at /tmp or under /home is unsupported (start-up can hang).')
var mountPaths = {
  workspace: '/workspace'
  tmp: '/mnt/sync-tmp'
}

@export()
@description('Queues: sync jobs, their poison queue, and events for the workflow engine.')
var queueNames = ['workspace-sync', 'workspace-sync-poison', 'workspace-events']

@export()
@description('Tables: sync jobs (with their webhook dedupe markers) and the repository connection.')
var tableNames = ['SyncJobs', 'Connection']

@export()
@description('Blob container for sync leases, edit locks and the manifest.')
var stateContainerName = 'workspace-sync-state'

@export()
@description('Key Vault secrets the app reads through Key Vault references.')
var secretNames = {
  webhookSecret: 'github-webhook-secret'
  token: 'github-token'
}
