// Names of the queues, tables and blob container the app uses; infra/ creates the same names
// (a test compares them), so they live in one place.

export const QUEUES = {
  sync: 'workspace-sync',
  syncPoison: 'workspace-sync-poison',
  events: 'workspace-events',
} as const;

export const TABLES = {
  jobs: 'SyncJobs',
  connection: 'Connection',
  audit: 'AuditLog',
} as const;

/** Blob container for sync leases, edit locks and the manifest (kept out of the workspace itself). */
export const STATE_CONTAINER = 'workspace-sync-state';

/** ZIPs of files a sync would have destroyed that git cannot give back (src/sync/backup.ts). */
export const BACKUP_CONTAINER = 'workspace-backups';

/** One app serves one workspace; its state is keyed by this id. */
export const WORKSPACE_ID = 'default';

/**
 * The sync's manifest blob in STATE_CONTAINER, which is also the workspace lease: only the lease
 * holder (the one running sync) may replace the manifest, and edits look at it before writing.
 */
export const WORKSPACE_LEASE_BLOB = `workspaces/${WORKSPACE_ID}/manifest.json`;
