// Reads the client principal the platform puts in `x-ms-client-principal` (base64 JSON), in the
// two shapes Azure sends:
//
// - App Service / Functions authentication ("Easy Auth"): `{auth_typ, name_typ, role_typ,
//   claims: [{typ, val}]}`, claims after the platform's default claims mapping (so Entra's `oid`
//   arrives as http://schemas.microsoft.com/identity/claims/objectidentifier, GitHub's user id as
//   the nameidentifier claim). Source: "Work with user identities in Azure App Service
//   authentication", section "Decode the client principal header",
//   https://learn.microsoft.com/azure/app-service/configure-authentication-user-identities
// - Static Web Apps (linked backend, managed functions): `{identityProvider, userId, userDetails,
//   userRoles, claims?}`. Source: "Accessing user information in Azure Static Web Apps", section
//   "Client principal data", https://learn.microsoft.com/azure/static-web-apps/user-information
//
// Only roles this app defines are kept (SWA also lists `anonymous` and `authenticated`).
// Whether the header can be trusted at all is authenticate.ts's decision, not this module's.

import { isRole, type Actor, type Role } from './actor.js';
import { AuthError } from './errors.js';

/** Past this the header is refused unread: the platform's principals are a few KB at most. */
export const MAX_PRINCIPAL_HEADER_CHARS = 16 * 1024;

const CLAIM = {
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
} as const;
/** Entra's object id first: it is the same user in every app, unlike the pairwise `sub`. */
const ID_CLAIMS = [CLAIM.objectId, 'oid', CLAIM.nameIdentifier];
const NAME_CLAIMS = ['name', 'preferred_username'];
/** Entra app roles arrive as `roles` claims, or under the role type the principal names. */
const ROLE_CLAIMS = ['roles', CLAIM.role];

/** The platform's plain-text headers, which may only confirm what the principal says. */
export interface PrincipalCrossCheck {
  id?: string | null;
  name?: string | null;
}

interface Claim {
  typ: string;
  val: string;
}

/** What a principal says, plus every value the platform's id and name headers may carry. */
interface ParsedPrincipal {
  actor: Actor;
  ids: string[];
  names: string[];
}

function invalid(why: string): AuthError {
  return new AuthError('INVALID_PRINCIPAL', `The client principal is not valid: ${why}`);
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function knownRoles(values: string[]): Role[] {
  return [...new Set(values.filter(isRole))];
}

function claimsOf(value: unknown): Claim[] {
  if (value === undefined) return [];
  if (!Array.isArray(value)) throw invalid('claims is not an array');
  return value.map((claim) => {
    if (!isObject(claim) || typeof claim.typ !== 'string' || typeof claim.val !== 'string') {
      throw invalid('a claim is not {typ, val} with string values');
    }
    return { typ: claim.typ, val: claim.val };
  });
}

/** The values of the claims of the given types, in the order of the types. */
function claimValues(claims: Claim[], types: (string | undefined)[]): string[] {
  return types.flatMap((typ) => (typ ? claims.filter((c) => c.typ === typ && c.val).map((c) => c.val) : []));
}

function fromEasyAuth(principal: Record<string, unknown>): ParsedPrincipal {
  const claims = claimsOf(principal.claims);
  const ids = claimValues(claims, ID_CLAIMS);
  if (ids.length === 0) throw invalid('it names no user id (objectidentifier, oid or nameidentifier claim)');
  const nameTyp = typeof principal.name_typ === 'string' ? principal.name_typ : undefined;
  const roleTyp = typeof principal.role_typ === 'string' ? principal.role_typ : undefined;
  const id = ids[0];
  return {
    actor: {
      id,
      name: claimValues(claims, [nameTyp, ...NAME_CLAIMS])[0] ?? id,
      roles: knownRoles(claimValues(claims, [roleTyp, ...ROLE_CLAIMS])),
      provider: typeof principal.auth_typ === 'string' && principal.auth_typ ? principal.auth_typ : 'unknown',
    },
    ids,
    names: claims.map((c) => c.val),
  };
}

function fromStaticWebApp(principal: Record<string, unknown>): ParsedPrincipal {
  const { userId, userDetails, userRoles, identityProvider } = principal;
  if (typeof userId !== 'string' || !userId) throw invalid('userId is missing');
  if (
    userRoles !== undefined &&
    !(Array.isArray(userRoles) && userRoles.every((r) => typeof r === 'string'))
  ) {
    throw invalid('userRoles is not an array of strings');
  }
  // A custom provider's claims (SWA "claims") may carry the app roles as `roles` claims.
  const claims = claimsOf(principal.claims);
  const name = typeof userDetails === 'string' && userDetails ? userDetails : userId;
  return {
    actor: {
      id: userId,
      name,
      roles: knownRoles([
        ...((userRoles as string[] | undefined) ?? []),
        ...claimValues(claims, ROLE_CLAIMS),
      ]),
      provider: typeof identityProvider === 'string' && identityProvider ? identityProvider : 'unknown',
    },
    ids: [userId],
    names: [name, ...claims.map((c) => c.val)],
  };
}

function fromPrincipal(value: unknown): ParsedPrincipal {
  if (!isObject(value)) throw invalid('it is not a JSON object');
  if ('userId' in value || 'identityProvider' in value) return fromStaticWebApp(value);
  if ('auth_typ' in value || 'claims' in value) return fromEasyAuth(value);
  throw invalid('it is neither an App Service nor a Static Web Apps principal');
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    throw invalid('it is not JSON');
  }
}

const UTF8 = new TextDecoder('utf-8', { fatal: true });

function withoutPadding(text: string): string {
  let end = text.length;
  while (end > 0 && text[end - 1] === '=') end--;
  return text.slice(0, end);
}

function decodeBase64Utf8(header: string): string {
  // Buffer.from(…, 'base64') skips characters it does not know; a principal is either exact or
  // refused, so the bytes must encode back to the header (cheaper than a regular expression).
  const bytes = Buffer.from(header, 'base64');
  if (!header || withoutPadding(bytes.toString('base64')) !== withoutPadding(header)) {
    throw invalid('it is not base64');
  }
  try {
    return UTF8.decode(bytes);
  } catch {
    throw invalid('it is not UTF-8 text');
  }
}

/**
 * The actor an `x-ms-client-principal` header names. The platform's `x-ms-client-principal-id`
 * and `-name` headers, when present, must agree with it; they never stand in for it.
 */
export function actorFromPrincipalHeader(header: string, crossCheck: PrincipalCrossCheck = {}): Actor {
  if (header.length > MAX_PRINCIPAL_HEADER_CHARS) {
    throw invalid(`the header is over ${MAX_PRINCIPAL_HEADER_CHARS} characters`);
  }
  const { actor, ids, names } = fromPrincipal(parseJson(decodeBase64Utf8(header.trim())));
  if (crossCheck.id && !ids.includes(crossCheck.id)) {
    throw invalid('x-ms-client-principal-id does not match the principal');
  }
  if (crossCheck.name && !names.includes(crossCheck.name)) {
    throw invalid('x-ms-client-principal-name does not match the principal');
  }
  return actor;
}

/** The actor a principal given as plain JSON names (DEV_PRINCIPAL: either shape). */
export function actorFromPrincipalJson(json: string): Actor {
  return fromPrincipal(parseJson(json)).actor;
}
