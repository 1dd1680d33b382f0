// The caller as domain code sees it: who (id, name), what they may do (roles), and which identity
// provider vouched for them. Never the header it came from.

import { AuthError } from './errors.js';

/** Entra app roles (infra/app-roles.json); each includes the ones before it. */
export const ROLES = ['Workspace.Reader', 'Workspace.Editor', 'Workspace.Admin'] as const;
export type Role = (typeof ROLES)[number];

export interface Actor {
  id: string;
  name: string;
  roles: Role[];
  /** `aad`, `github`, … for a signed-in user; `key` for a function-key caller; `dev` locally. */
  provider: string;
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}

/** Admin includes Editor, which includes Reader. */
export function hasRole(actor: Actor, needed: Role): boolean {
  const rank = ROLES.indexOf(needed);
  return actor.roles.some((role) => ROLES.indexOf(role) >= rank);
}

export function requireRole(actor: Actor, needed: Role): void {
  if (!hasRole(actor, needed)) {
    throw new AuthError('FORBIDDEN', `This needs the ${needed} role (or one that includes it)`);
  }
}
