// The client principal as Azure sends it. Shapes: "Work with user identities in Azure App Service
// authentication" (Decode the client principal header: auth_typ, name_typ, role_typ, claims of
// {typ, val}, claims after the default mapping) and "Accessing user information in Azure Static
// Web Apps" (Client principal data: identityProvider, userId, userDetails, userRoles, claims).
// The GitHub principal carries what the GitHub provider's mapping gives: the numeric user id as
// nameidentifier, the display name as the name claim, and urn:github:* claims.

import { describe, expect, it } from 'vitest';
import { AuthError } from '../../src/auth/errors.js';
import {
  actorFromPrincipalHeader,
  actorFromPrincipalJson,
  MAX_PRINCIPAL_HEADER_CHARS,
} from '../../src/auth/principal.js';
import { LOCAL_ADMIN_PRINCIPAL } from '../../src/dev/settings.js';

const OID = '5b5450db-eb26-4c1a-981c-ba1d25f0483d';
const URI = {
  objectId: 'http://schemas.microsoft.com/identity/claims/objectidentifier',
  nameIdentifier: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/nameidentifier',
  name: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/name',
  email: 'http://schemas.xmlsoap.org/ws/2005/05/identity/claims/emailaddress',
  role: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
  tenant: 'http://schemas.microsoft.com/identity/claims/tenantid',
};

const encode = (principal: unknown) => Buffer.from(JSON.stringify(principal), 'utf8').toString('base64');

/** An Entra ID sign-in through App Service authentication, as the platform forwards it. */
function entraPrincipal(roles: string[], extra: { typ: string; val: string }[] = []) {
  return {
    auth_typ: 'aad',
    name_typ: URI.email,
    role_typ: URI.role,
    claims: [
      { typ: 'aud', val: '3f2b7c1e-7d0a-4c55-9f5e-1a2b3c4d5e6f' },
      { typ: 'iss', val: 'https://login.microsoftonline.com/72f988bf-86f1-41af-91ab-2d7cd011db47/v2.0' },
      { typ: URI.email, val: 'ada@contoso.com' },
      { typ: 'name', val: 'Ada Lovelace' },
      { typ: URI.objectId, val: OID },
      { typ: 'preferred_username', val: 'ada@contoso.com' },
      { typ: URI.nameIdentifier, val: 'AAAAAAAAAAAAAAAAAAAAAIkzqFVrSaSaFHy782bbtaQ' },
      { typ: URI.tenant, val: '72f988bf-86f1-41af-91ab-2d7cd011db47' },
      ...roles.map((val) => ({ typ: 'roles', val })),
      { typ: 'ver', val: '2.0' },
      ...extra,
    ],
  };
}

const githubPrincipal = {
  auth_typ: 'github',
  name_typ: URI.name,
  role_typ: URI.role,
  claims: [
    { typ: URI.nameIdentifier, val: '583231' },
    { typ: URI.name, val: 'The Octocat' },
    { typ: 'urn:github:login', val: 'octocat' },
    { typ: 'urn:github:type', val: 'User' },
  ],
};

const staticWebAppPrincipal = {
  identityProvider: 'aad',
  userId: 'd75b260a64504067bfc5b2905e3b8182',
  userDetails: 'ada@contoso.com',
  userRoles: ['anonymous', 'authenticated', 'Workspace.Reader'],
};

function refusal(run: () => unknown): AuthError {
  try {
    run();
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected the principal to be refused');
}

describe('App Service authentication (Easy Auth) principals', () => {
  it('reads an Entra ID user: object id, name from name_typ, app roles from roles claims', () => {
    expect(actorFromPrincipalHeader(encode(entraPrincipal(['Workspace.Editor'])))).toEqual({
      id: OID,
      name: 'ada@contoso.com',
      roles: ['Workspace.Editor'],
      provider: 'aad',
    });
  });

  it('reads roles given under role_typ, keeps each once and drops roles this app does not define', () => {
    const principal = entraPrincipal(
      ['Workspace.Reader', 'Finance.Approver'],
      [
        { typ: URI.role, val: 'Workspace.Admin' },
        { typ: URI.role, val: 'Workspace.Reader' },
      ],
    );
    expect(actorFromPrincipalHeader(encode(principal)).roles).toEqual([
      'Workspace.Admin',
      'Workspace.Reader',
    ]);
  });

  it('takes the short oid claim, and name or preferred_username when there is no name_typ claim', () => {
    const principal = {
      auth_typ: 'aad',
      claims: [
        { typ: 'oid', val: OID },
        { typ: 'preferred_username', val: 'svc@contoso.com' },
      ],
    };
    expect(actorFromPrincipalHeader(encode(principal))).toMatchObject({ id: OID, name: 'svc@contoso.com' });
  });

  it('gives a principal without a roles claim no roles (signed in, allowed nothing)', () => {
    expect(actorFromPrincipalHeader(encode(entraPrincipal([])))).toMatchObject({ id: OID, roles: [] });
  });

  it('reads a GitHub sign-in: numeric user id from nameidentifier, display name, provider github', () => {
    expect(actorFromPrincipalHeader(encode(githubPrincipal))).toEqual({
      id: '583231',
      name: 'The Octocat',
      roles: [],
      provider: 'github',
    });
  });

  it('reads a principal without auth_typ, naming its provider unknown', () => {
    const principal = { claims: [{ typ: 'oid', val: OID }] };
    expect(actorFromPrincipalHeader(encode(principal))).toEqual({
      id: OID,
      name: OID,
      roles: [],
      provider: 'unknown',
    });
  });

  it('refuses a principal that names no user id', () => {
    const principal = { ...githubPrincipal, claims: [{ typ: URI.name, val: 'The Octocat' }] };
    expect(refusal(() => actorFromPrincipalHeader(encode(principal))).code).toBe('INVALID_PRINCIPAL');
  });

  it.each([
    ['claims that are not an array', { auth_typ: 'aad', claims: { typ: 'oid', val: OID } }],
    ['a claim value that is not a string', { auth_typ: 'aad', claims: [{ typ: 'oid', val: 10000 }] }],
    ['a claim that is a bare string', { auth_typ: 'aad', claims: ['Workspace.Admin'] }],
    ['a claim that is null', { auth_typ: 'aad', claims: [{ typ: 'oid', val: OID }, null] }],
    [
      'a claim type that is not a string',
      {
        auth_typ: 'aad',
        claims: [
          { typ: 'oid', val: OID },
          { typ: 7, val: 'Workspace.Admin' },
        ],
      },
    ],
  ])('refuses %s', (_case, principal) => {
    expect(refusal(() => actorFromPrincipalHeader(encode(principal))).code).toBe('INVALID_PRINCIPAL');
  });
});

describe('Static Web Apps principals', () => {
  it('reads userId, userDetails, identityProvider and the app roles among userRoles', () => {
    expect(actorFromPrincipalHeader(encode(staticWebAppPrincipal))).toEqual({
      id: 'd75b260a64504067bfc5b2905e3b8182',
      name: 'ada@contoso.com',
      roles: ['Workspace.Reader'],
      provider: 'aad',
    });
  });

  it('gives a principal with only the built-in roles no roles', () => {
    const principal = { ...staticWebAppPrincipal, userRoles: ['anonymous', 'authenticated'] };
    expect(actorFromPrincipalHeader(encode(principal)).roles).toEqual([]);
  });

  it.each([
    [
      'identityProvider, naming its provider unknown',
      { userId: 'u1', userDetails: 'a reader', userRoles: ['Workspace.Reader'] },
      { id: 'u1', name: 'a reader', roles: ['Workspace.Reader'], provider: 'unknown' },
    ],
    [
      'userRoles, taking the roles of its roles claims',
      { identityProvider: 'dev', userId: 'u2', claims: [{ typ: 'roles', val: 'Workspace.Editor' }] },
      { id: 'u2', name: 'u2', roles: ['Workspace.Editor'], provider: 'dev' },
    ],
  ])('reads a principal without %s', (_case, principal, actor) => {
    expect(actorFromPrincipalHeader(encode(principal))).toEqual(actor);
  });

  it('reads roles a custom provider gives as claims, as the local admin principal of npm start does', () => {
    expect(actorFromPrincipalJson(LOCAL_ADMIN_PRINCIPAL)).toEqual({
      id: 'local-admin',
      name: 'local admin',
      roles: ['Workspace.Admin'],
      provider: 'dev',
    });
  });

  it.each([
    ['no userId', { identityProvider: 'github', userDetails: 'octocat', userRoles: [] }],
    ['an empty userId', { ...staticWebAppPrincipal, userId: '' }],
    ['userRoles that is not a list of strings', { ...staticWebAppPrincipal, userRoles: 'Workspace.Admin' }],
    [
      'userRoles with a value that is not a string',
      { ...staticWebAppPrincipal, userRoles: ['Workspace.Admin', 42] },
    ],
    [
      'no userId, even with an object id among its claims',
      { identityProvider: 'aad', userDetails: 'ada@contoso.com', claims: [{ typ: 'oid', val: OID }] },
    ],
  ])('refuses %s', (_case, principal) => {
    expect(refusal(() => actorFromPrincipalHeader(encode(principal))).code).toBe('INVALID_PRINCIPAL');
  });
});

describe('header encoding', () => {
  it('reads a header without its base64 padding, or with whitespace around it', () => {
    // HTTP field values exclude the whitespace around them (RFC 9110, section 5.5).
    const padded = encode(staticWebAppPrincipal);
    expect(padded).toMatch(/[^=]=+$/);
    const actor = actorFromPrincipalHeader(padded);
    expect(actorFromPrincipalHeader(padded.replace(/=+$/, ''))).toEqual(actor);
    expect(actorFromPrincipalHeader(` \t${padded}\r\n`)).toEqual(actor);
  });
});

describe('malformed headers', () => {
  const base64 = (bytes: Buffer | string) => Buffer.from(bytes).toString('base64');

  it.each([
    ['characters outside base64', 'eyJ1c2VySWQiOiJ4In0=!!'],
    ['a percent-encoded value', '%7B%22userId%22%3A%22x%22%7D'],
    ['a length base64 cannot have', 'eyJ1c'],
    ['plain JSON, not encoded', JSON.stringify(staticWebAppPrincipal)],
    ['base64 of text that is not JSON', base64('not json')],
    ['base64 of bytes that are not UTF-8', base64(Buffer.from([0xff, 0xfe, 0x7b, 0x7d]))],
    ['base64 of a JSON array', base64('[1, 2]')],
    ['base64 of JSON null', base64('null')],
    ['base64 of a JSON string', base64('"Workspace.Admin"')],
    ['base64 of a JSON number', base64('42')],
    ['base64 of JSON true', base64('true')],
    ['base64 of an object of neither shape', base64('{"sub":"x","roles":["Workspace.Admin"]}')],
  ])('refuses %s with INVALID_PRINCIPAL and never repeats the header', (_case, header) => {
    const error = refusal(() => actorFromPrincipalHeader(header));
    expect(error.code).toBe('INVALID_PRINCIPAL');
    expect(error.message).not.toContain(header);
  });

  it(`refuses a header over ${MAX_PRINCIPAL_HEADER_CHARS} characters unread, and reads one at the limit`, () => {
    const principal = (filler: number) =>
      entraPrincipal(['Workspace.Admin'], [{ typ: 'groups', val: 'g'.repeat(filler) }]);
    // Base64 turns every 3 bytes into 4 characters: JSON of 3/4 the limit encodes to the limit exactly.
    const filler = (MAX_PRINCIPAL_HEADER_CHARS * 3) / 4 - JSON.stringify(principal(0)).length;
    const fits = encode(principal(filler));
    const tooBig = encode(principal(filler + 1));
    expect(fits.length).toBe(MAX_PRINCIPAL_HEADER_CHARS);
    expect(tooBig.length).toBeGreaterThan(MAX_PRINCIPAL_HEADER_CHARS);
    expect(actorFromPrincipalHeader(fits).roles).toEqual(['Workspace.Admin']);
    const error = refusal(() => actorFromPrincipalHeader(tooBig));
    expect(error.code).toBe('INVALID_PRINCIPAL');
    expect(error.message).toMatch(/16384/);
  });

  it('refuses malformed DEV_PRINCIPAL JSON the same way', () => {
    expect(refusal(() => actorFromPrincipalJson('{"userId":')).code).toBe('INVALID_PRINCIPAL');
  });
});

describe("the platform's id and name headers", () => {
  const header = encode(entraPrincipal(['Workspace.Reader']));

  it('are accepted when they agree with the principal', () => {
    expect(actorFromPrincipalHeader(header, { id: OID, name: 'ada@contoso.com' }).id).toBe(OID);
    expect(actorFromPrincipalHeader(encode(githubPrincipal), { id: '583231', name: 'octocat' }).id).toBe(
      '583231',
    );
  });

  it('are accepted when they agree with a Static Web Apps principal', () => {
    const principal = { ...staticWebAppPrincipal, claims: [{ typ: 'preferred_username', val: 'ada' }] };
    const crossChecks = [
      { id: principal.userId, name: principal.userDetails },
      { id: principal.userId, name: 'ada' },
    ];
    for (const crossCheck of crossChecks) {
      expect(actorFromPrincipalHeader(encode(principal), crossCheck).id).toBe(principal.userId);
    }
  });

  it.each([
    ['an id', { id: '00000000-0000-0000-0000-000000000000' }],
    ['a name', { name: 'mallory@contoso.com' }],
  ])('refuse the principal when they name someone else (%s)', (_case, crossCheck) => {
    expect(refusal(() => actorFromPrincipalHeader(header, crossCheck)).code).toBe('INVALID_PRINCIPAL');
  });
});
