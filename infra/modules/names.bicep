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
@description('Where the shares are mounted in the container. Mounting at /tmp or under /home is unsupported (start-up can hang). The tmp share is scratch space for the workflows, not for clones.')
var mountPaths = {
  workspace: '/workspace'
  tmp: '/mnt/sync-tmp'
}

@export()
@description('Where sync clones repositories (SYNC_TEMP_DIR): the container\'s local disk. Git relies on file locks and makes many small writes, which App Service advises against on SMB mounts.')
var cloneScratchDir = '/tmp'

@export()
@description('Queues: sync jobs, their poison queue, and events for the workflow engine.')
var queueNames = ['workspace-sync', 'workspace-sync-poison', 'workspace-events']

@export()
@description('Tables: sync jobs (with their webhook dedupe markers), the repository connection and the audit log.')
var tableNames = ['SyncJobs', 'Connection', 'AuditLog']

@export()
@description('Blob containers: sync leases, edit locks and the manifest; ZIP backups of files a sync would destroy.')
var containerNames = {
  state: 'workspace-sync-state'
  backups: 'workspace-backups'
}

@export()
@description('Key Vault secrets the deployment writes and the app reads through Key Vault references (the app writes its own per-connection secrets beside them).')
var secretNames = {
  webhookSecret: 'github-webhook-secret'
  token: 'github-token'
}
