// Why a git operation failed, with a stable code the job record shows and a message that names
// the step, never a secret (callers redact before constructing one).

export type GitErrorCode = 'CLONE_FAILED' | 'REPOSITORY_UNREACHABLE';

export class GitError extends Error {
  constructor(
    readonly code: GitErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'GitError';
  }
}
