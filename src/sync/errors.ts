// Why a sync failed, as the job record shows it: a stable code and a message that names the
// path or the step, never a secret.

export type SyncErrorCode =
  | 'NOT_CONNECTED'
  | 'REPOSITORY_UNREACHABLE'
  | 'BRANCH_NOT_FOUND'
  | 'CLONE_FAILED'
  | 'STORAGE_ERROR'
  | 'LEASE_LOST'
  | 'SCRATCH_SPACE_LOW'
  | 'SCRATCH_SPACE_EXHAUSTED'
  | 'SYNC_FAILED';

export class SyncError extends Error {
  constructor(
    readonly code: SyncErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'SyncError';
  }
}
