// `git ls-remote` for one branch: the cheap question asked before any clone ("what is the head
// now?") and the reachability check when a repository is connected.

import { execFile } from 'node:child_process';
import { GitError } from './errors.js';
import { gitEnv, redact, type GitAuth } from './gitAuth.js';

const LS_REMOTE_TIMEOUT_MS = 30_000;

/** The commit the branch points at, or undefined when the repository has no such branch. */
export function lsRemoteHead(
  repositoryUrl: string,
  branch: string,
  auth: GitAuth,
): Promise<string | undefined> {
  const args = ['ls-remote', '--heads', '--', repositoryUrl, `refs/heads/${branch}`];
  return new Promise((resolve, reject) => {
    execFile(
      'git',
      args,
      { env: gitEnv(auth), timeout: LS_REMOTE_TIMEOUT_MS, maxBuffer: 1024 * 1024 },
      (error, stdout, stderr) => {
        if (error) {
          const detail = (stderr || error.message).trim().split('\n').slice(-3).join(' ');
          reject(new GitError('REPOSITORY_UNREACHABLE', `git ls-remote failed: ${redact(detail, auth)}`));
          return;
        }
        const line = stdout.split('\n').find((l) => l.endsWith(`\trefs/heads/${branch}`));
        resolve(line?.split('\t')[0]);
      },
    );
  });
}
