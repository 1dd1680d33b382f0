// The one way this app runs git for commands that answer once (clone, rev-parse, ls-tree,
// ls-remote): simple-git with our environment — hooks and prompts off, no system or global
// config, the token as a header (gitAuth.ts). Streamed blob reads are the exception; see
// blobReader.ts.

import { simpleGit, type SimpleGit } from 'simple-git';
import { gitEnv, redact, type GitAuth } from './gitAuth.js';

export function gitClient(
  auth: GitAuth,
  options: { baseDir?: string; signal?: AbortSignal } = {},
): SimpleGit {
  const env = gitEnv(auth);
  return simpleGit({
    baseDir: options.baseDir,
    abort: options.signal,
    // The environment is ours, not caller input: it turns hooks and prompts off and carries the
    // token as a header, which simple-git's guards would otherwise refuse.
    allowEnvironment: Object.keys(env),
    unsafe: {
      allowUnsafeAskPass: true,
      allowUnsafeConfigPaths: true,
      allowUnsafeConfigEnvCount: true,
      allowUnsafeHooksPath: true,
      allowUnsafeProtocolOverride: true,
    },
  }).env(env);
}

/** The last lines of a git failure (git puts the reason last), with every form of the token removed. */
export function failureDetail(error: unknown, auth: GitAuth): string {
  const text = error instanceof Error ? error.message : String(error);
  return redact(text.trim().split('\n').slice(-3).join(' '), auth);
}
