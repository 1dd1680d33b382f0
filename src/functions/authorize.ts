// The one door every HTTP function except the webhook and /health goes through: who is calling
// (src/auth/authenticate.ts, by AUTH_MODE) and whether their role is enough. Refusals are logged
// with the caller, route and role needed; they change nothing, so they are not audited.

import type { HttpHandler, HttpRequest, HttpResponseInit, InvocationContext } from '@azure/functions';
import { requireRole, type Actor, type Role } from '../auth/actor.js';
import { authenticate } from '../auth/authenticate.js';
import { AuthError, type AuthErrorCode } from '../auth/errors.js';
import { getConfig, type AuthMode } from '../config.js';
import { errorResponse } from './http.js';

export type AuthorizedHandler = (
  request: HttpRequest,
  context: InvocationContext,
  actor: Actor,
) => Promise<HttpResponseInit>;

const STATUS: Record<AuthErrorCode, number> = {
  UNAUTHENTICATED: 401,
  INVALID_PRINCIPAL: 401,
  FORBIDDEN: 403,
};

/**
 * With keys, the Functions host checks a function key before the handler runs; otherwise the
 * platform's (or the dev) principal is the lock and the host lets every request through.
 */
export function authLevelFor(mode: AuthMode): 'function' | 'anonymous' {
  return mode === 'keys' ? 'function' : 'anonymous';
}

export function authorized(role: Role, handler: AuthorizedHandler): HttpHandler {
  return async (request, context) => {
    let actor: Actor | undefined;
    try {
      actor = authenticate(getConfig().auth, (name) => request.headers.get(name));
      requireRole(actor, role);
    } catch (error) {
      if (!(error instanceof AuthError)) throw error;
      context.warn('Request refused', {
        code: error.code,
        actor: actor ? `${actor.id} (${actor.name}, ${actor.provider})` : 'none',
        route: `${request.method} ${new URL(request.url).pathname}`,
        neededRole: role,
      });
      return errorResponse(STATUS[error.code], error.code, error.message);
    }
    return handler(request, context, actor);
  };
}
