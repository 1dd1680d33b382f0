// Stores check every path themselves, so a caller that skipped parsing cannot reach outside the workspace.

import { InvalidPathError, invalidPathReason } from './paths.js';

export function assertValidPath(path: string): void {
  const reason = invalidPathReason(path);
  if (reason) throw new InvalidPathError(path, reason);
}
