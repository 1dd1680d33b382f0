// Records the sync flow keeps in Table Storage and the messages it puts on queues.

export type JobTrigger = 'push' | 'connect' | 'manual' | 'poll';
export type JobStatus = 'queued' | 'running' | 'succeeded' | 'failed' | 'skipped';

export interface JobCounts {
  added: number;
  updated: number;
  deleted: number;
  unchanged: number;
  skipped: number;
}

export interface SkippedPath {
  path: string;
  reason: string;
}

export interface SyncJob {
  id: string;
  trigger: JobTrigger;
  status: JobStatus;
  repositoryUrl: string;
  branch: string;
  /** The commit the trigger named (push `after`); the sync itself takes the branch head at run time. */
  commitRequested?: string;
  commitSynced?: string;
  counts?: JobCounts;
  /** At most SKIPPED_PATHS_CAP entries; skippedTotal has the full number. */
  skippedPaths?: SkippedPath[];
  skippedTotal?: number;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  attempt: number;
  error?: { code: string; message: string };
  deliveryId?: string;
  /** The backup of files the sync would have destroyed that git cannot give back (src/sync/backup.ts). */
  backupId?: string;
  /** Who asked: the signed-in user (connect, manual), or the GitHub sender's login (push). */
  requestedBy?: ActorRef;
}

export const SKIPPED_PATHS_CAP = 100;

/** Who did something: the signed-in user (or key, or GitHub sender), never a secret. */
export interface ActorRef {
  id: string;
  name: string;
}

/** The repository webhook as the app manages it. */
export interface ConnectionWebhook {
  /** active: made by the app; manual: must be made by hand (see `instructions`); missing/failing: read from GitHub. */
  status: 'active' | 'manual' | 'missing' | 'failing';
  id?: number;
  url?: string;
  /** For `manual`: why, and exactly what to create. */
  instructions?: string;
}

export interface Connection {
  repositoryUrl: string;
  branch: string;
  /** True while the workspace follows the repository (and is read-only for editors). */
  enabled: boolean;
  createdAt: string;
  updatedAt: string;
  createdBy?: ActorRef;
  updatedBy?: ActorRef;
  /** Where the token comes from: given at connect time (secret store) or GITHUB_TOKEN; none for public repos. */
  tokenSource?: 'connection' | 'setting';
  /** When GitHub says the token expires (ISO 8601). */
  tokenExpiresAt?: string;
  webhook?: ConnectionWebhook;
  lastSyncCommit?: string;
  lastSyncTime?: string;
  lastSyncDurationMs?: number;
  lastSyncStatus?: JobStatus;
  lastSyncError?: string;
}

/** The JSON body of a `workspace-sync` queue message (base64-encoded on the queue, as host.json expects). */
export interface SyncMessage {
  jobId: string;
  trigger: JobTrigger;
  commit?: string;
}

/** Messages on `workspace-events`, so the workflow engine reloads. */
export type WorkspaceEvent =
  | {
      type: 'synced';
      jobId: string;
      commit: string;
      added: number;
      updated: number;
      deleted: number;
      /** Who asked for the sync (requestedBy of the job), when known. */
      by?: ActorRef;
    }
  | { type: 'edited'; path: string; action: 'write' | 'delete'; by?: ActorRef };
