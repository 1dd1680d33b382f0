// Who is calling, by AUTH_MODE (DESIGN.md "HTTP contract", issue 12 "Identity"):
//
// - platform: App Service authentication validated the caller and put the principal in
//   `x-ms-client-principal`. The platform strips that header from outside requests only while
//   authentication is on, so it is believed only when WEBSITE_AUTH_ENABLED=True; otherwise anyone
//   could have written it, and every caller is refused.
// - keys: the Functions host has already checked a function key (authLevel 'function'). A key
//   stands for no person, so every holder is one admin actor.
// - dev (`npm start` only; config.ts refuses it in Azure): the request's header if it has one,
//   else DEV_PRINCIPAL, else nobody.

import type { AuthMode } from '../config.js';
import type { Actor } from './actor.js';
import { AuthError } from './errors.js';
import { actorFromPrincipalHeader, actorFromPrincipalJson } from './principal.js';

export interface AuthSettings {
  mode: AuthMode;
  /** WEBSITE_AUTH_ENABLED=True. */
  platformAuthEnabled: boolean;
  /** A client principal as JSON (either shape); AUTH_MODE=dev only. */
  devPrincipal?: string;
}

/** Reads a request header by name (case-insensitive), null when absent. */
export type HeaderReader = (name: string) => string | null;

/** Every function-key caller (a fresh object each time, so no handler can change the next one's). */
export function functionKeyActor(): Actor {
  return { id: 'function-key', name: 'function key', roles: ['Workspace.Admin'], provider: 'key' };
}

function fromHeaders(header: HeaderReader): Actor | undefined {
  const principal = header('x-ms-client-principal');
  if (!principal) return undefined;
  return actorFromPrincipalHeader(principal, {
    id: header('x-ms-client-principal-id'),
    name: header('x-ms-client-principal-name'),
  });
}

function nobody(why: string): AuthError {
  return new AuthError('UNAUTHENTICATED', why);
}

export function authenticate(settings: AuthSettings, header: HeaderReader): Actor {
  switch (settings.mode) {
    case 'keys':
      return functionKeyActor();
    case 'platform': {
      if (!settings.platformAuthEnabled) {
        throw nobody(
          'App Service authentication is off (WEBSITE_AUTH_ENABLED is not True), so no caller can be trusted',
        );
      }
      const actor = fromHeaders(header);
      if (!actor) throw nobody('Sign in first: the request carries no client principal');
      return actor;
    }
    case 'dev': {
      const actor =
        fromHeaders(header) ??
        (settings.devPrincipal ? actorFromPrincipalJson(settings.devPrincipal) : undefined);
      if (!actor) {
        throw nobody('No x-ms-client-principal header and no DEV_PRINCIPAL setting: nobody is signed in');
      }
      return actor;
    }
  }
}
