// `git ls-remote` for one branch: the cheap question asked before any clone ("what is the head
// now?") and the reachability check when a repository is connected.

import { failureDetail, gitClient } from './client.js';
import { GitError } from './errors.js';
import type { GitAuth } from './gitAuth.js';

const LS_REMOTE_TIMEOUT_MS = 30_000;

/** The commit the branch points at, or undefined when the repository has no such branch. */
export async function lsRemoteHead(
  repositoryUrl: string,
  branch: string,
  auth: GitAuth,
  { timeoutMs = LS_REMOTE_TIMEOUT_MS }: { timeoutMs?: number } = {},
): Promise<string | undefined> {
  const ref = `refs/heads/${branch}`;
  const deadline = AbortSignal.timeout(timeoutMs);
  let stdout: string;
  try {
    stdout = await gitClient(auth, { signal: deadline }).listRemote(['--heads', '--', repositoryUrl, ref]);
  } catch (error) {
    const detail = deadline.aborted ? `no answer within ${timeoutMs / 1000} s` : failureDetail(error, auth);
    throw new GitError('REPOSITORY_UNREACHABLE', `git ls-remote failed: ${detail}`);
  }
  const line = stdout.split('\n').find((l) => l.endsWith(`\t${ref}`));
  return line?.split('\t')[0];
}
