// A repository connected, re-pointed or disconnected: the connection.changed event that the
// workbook's "current connection" view and the token-expiry alert read.

import { event } from './telemetry.js';

export type ConnectionAction = 'connected' | 'updated' | 'disconnected';

export interface ConnectionDimensions {
  /** owner/name, never the URL (which could carry credentials). */
  repository?: string;
  branch?: string;
  /**
   * When the GitHub token expires, if GitHub said: its `github-authentication-token-expiration`
   * response header ("2026-04-26 16:44:21 -0700") parses as it is.
   */
  tokenExpiresAt?: Date | string;
  /** The first sync a connect queued. */
  jobId?: string;
}

export function connectionChanged(action: ConnectionAction, dimensions: ConnectionDimensions = {}): void {
  const { tokenExpiresAt, ...rest } = dimensions;
  const expires = tokenExpiresAt === undefined ? undefined : new Date(tokenExpiresAt);
  event('connection.changed', {
    action,
    ...rest,
    // ISO 8601, which todatetime() in the alert query reads; a date that does not parse is left out.
    tokenExpiresAt: expires && !Number.isNaN(expires.getTime()) ? expires.toISOString() : undefined,
  });
}
