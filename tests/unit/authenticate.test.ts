import { describe, expect, it } from 'vitest';
import { hasRole, requireRole, ROLES, type Actor, type Role } from '../../src/auth/actor.js';
import { authenticate, type AuthSettings } from '../../src/auth/authenticate.js';
import { AuthError } from '../../src/auth/errors.js';
import { loadConfig } from '../../src/config.js';

const OID = '9a0c3a5e-4f1d-4c1b-8d0e-2f6f5b7c8d9e';
const OBJECT_ID = 'http://schemas.microsoft.com/identity/claims/objectidentifier';

const encode = (principal: unknown) => Buffer.from(JSON.stringify(principal)).toString('base64');

/** An Entra ID user with the given app roles, as App Service authentication forwards it. */
const entraHeader = (...roles: Role[]) =>
  encode({
    auth_typ: 'aad',
    name_typ: 'name',
    role_typ: 'http://schemas.microsoft.com/ws/2008/06/identity/claims/role',
    claims: [
      { typ: OBJECT_ID, val: OID },
      { typ: 'name', val: 'Grace Hopper' },
      ...roles.map((val) => ({ typ: 'roles', val })),
    ],
  });

const DEV_READER = JSON.stringify({
  identityProvider: 'dev',
  userId: 'local-reader',
  userDetails: 'local reader',
  userRoles: ['authenticated', 'Workspace.Reader'],
});

/** A request's headers, looked up without regard to case as HttpRequest.headers does. */
const headers =
  (values: Record<string, string> = {}) =>
  (name: string) =>
    Object.entries(values).find(([key]) => key.toLowerCase() === name.toLowerCase())?.[1] ?? null;

function refusal(settings: AuthSettings, values: Record<string, string> = {}): AuthError {
  try {
    authenticate(settings, headers(values));
  } catch (error) {
    expect(error).toBeInstanceOf(AuthError);
    return error as AuthError;
  }
  throw new Error('expected the caller to be refused');
}

describe('AUTH_MODE=platform', () => {
  const on: AuthSettings = { mode: 'platform', platformAuthEnabled: true };
  const off: AuthSettings = { mode: 'platform', platformAuthEnabled: false };

  it('believes the principal while App Service authentication is on', () => {
    expect(authenticate(on, headers({ 'X-MS-CLIENT-PRINCIPAL': entraHeader('Workspace.Editor') }))).toEqual({
      id: OID,
      name: 'Grace Hopper',
      roles: ['Workspace.Editor'],
      provider: 'aad',
    });
  });

  it('refuses a spoofed admin principal when WEBSITE_AUTH_ENABLED is not True', () => {
    const spoofed = {
      'x-ms-client-principal': entraHeader('Workspace.Admin'),
      'x-ms-client-principal-id': OID,
      'x-ms-client-principal-name': 'Grace Hopper',
    };
    const error = refusal(off, spoofed);
    expect(error.code).toBe('UNAUTHENTICATED');
    expect(error.message).toMatch(/WEBSITE_AUTH_ENABLED/);
  });

  it.each([
    ['"true"', 'true', true],
    ['"True"', 'True', true],
    ['"False"', 'False', false],
    ['"1"', '1', false],
    ['unset', undefined, false],
  ])('reads WEBSITE_AUTH_ENABLED=%s as platform authentication %s', (_case, value, enabled) => {
    const config = loadConfig({
      AzureWebJobsStorage: 'UseDevelopmentStorage=true',
      WORKSPACE_BACKEND: 'local',
      WORKSPACE_PATH: '/tmp/ws',
      AUTH_MODE: 'platform',
      ...(value === undefined ? {} : { WEBSITE_AUTH_ENABLED: value }),
    });
    const header = { 'x-ms-client-principal': entraHeader('Workspace.Admin') };
    if (enabled) expect(authenticate(config.auth, headers(header)).id).toBe(OID);
    else expect(refusal(config.auth, header).code).toBe('UNAUTHENTICATED');
  });

  it('refuses a request without a principal, even one with the plain id and name headers', () => {
    const error = refusal(on);
    expect(error.code).toBe('UNAUTHENTICATED');
    // The message is what the person sees in the 401 body: it says what to do.
    expect(error.message).toMatch(/sign in/i);
    expect(
      refusal(on, { 'x-ms-client-principal-id': OID, 'x-ms-client-principal-name': 'Grace Hopper' }).code,
    ).toBe('UNAUTHENTICATED');
  });

  it('refuses a malformed principal, or one the id header contradicts', () => {
    expect(refusal(on, { 'x-ms-client-principal': 'not-base64!' }).code).toBe('INVALID_PRINCIPAL');
    expect(
      refusal(on, { 'x-ms-client-principal': entraHeader(), 'x-ms-client-principal-id': 'someone-else' })
        .code,
    ).toBe('INVALID_PRINCIPAL');
  });
});

describe('AUTH_MODE=keys', () => {
  const keys: AuthSettings = { mode: 'keys', platformAuthEnabled: false };
  const keyActor: Actor = {
    id: 'function-key',
    name: 'function key',
    roles: ['Workspace.Admin'],
    provider: 'key',
  };

  it('makes every caller (the host checked the key) the one admin, whatever principal it sends', () => {
    expect(authenticate(keys, headers())).toEqual(keyActor);
    expect(authenticate(keys, headers({ 'x-ms-client-principal': entraHeader() }))).toEqual(keyActor);
  });

  it('hands each caller its own actor, so no handler can change the next one', () => {
    authenticate(keys, headers()).roles.pop();
    expect(authenticate(keys, headers()).roles).toEqual(['Workspace.Admin']);
  });
});

describe('AUTH_MODE=dev', () => {
  const dev: AuthSettings = { mode: 'dev', platformAuthEnabled: false, devPrincipal: DEV_READER };

  it("lets the request's own principal win over DEV_PRINCIPAL", () => {
    const actor = authenticate(dev, headers({ 'x-ms-client-principal': entraHeader('Workspace.Admin') }));
    expect(actor).toMatchObject({ id: OID, roles: ['Workspace.Admin'] });
  });

  it('falls back to DEV_PRINCIPAL in the Static Web Apps shape', () => {
    expect(authenticate(dev, headers())).toEqual({
      id: 'local-reader',
      name: 'local reader',
      roles: ['Workspace.Reader'],
      provider: 'dev',
    });
  });

  it('falls back to DEV_PRINCIPAL in the App Service shape', () => {
    const devPrincipal = JSON.stringify({
      auth_typ: 'aad',
      claims: [
        { typ: 'oid', val: OID },
        { typ: 'roles', val: 'Workspace.Editor' },
      ],
    });
    expect(authenticate({ ...dev, devPrincipal }, headers())).toMatchObject({
      id: OID,
      roles: ['Workspace.Editor'],
    });
  });

  it('refuses a caller with neither a header nor DEV_PRINCIPAL', () => {
    const error = refusal({ mode: 'dev', platformAuthEnabled: false });
    expect(error.code).toBe('UNAUTHENTICATED');
    // The developer reading the 401 learns which setting is missing.
    expect(error.message).toMatch(/DEV_PRINCIPAL/);
  });

  it('refuses a malformed header rather than falling back to DEV_PRINCIPAL', () => {
    expect(refusal(dev, { 'x-ms-client-principal': '{"userId":"x"}' }).code).toBe('INVALID_PRINCIPAL');
  });
});

describe('roles', () => {
  const actor = (...roles: Role[]): Actor => ({ id: 'u', name: 'u', roles, provider: 'aad' });

  it.each([
    [[], []],
    [['Workspace.Reader'], ['Workspace.Reader']],
    [['Workspace.Editor'], ['Workspace.Reader', 'Workspace.Editor']],
    [['Workspace.Admin'], ['Workspace.Reader', 'Workspace.Editor', 'Workspace.Admin']],
    [
      ['Workspace.Reader', 'Workspace.Admin'],
      ['Workspace.Reader', 'Workspace.Editor', 'Workspace.Admin'],
    ],
  ] as [Role[], Role[]][])('an actor with %j may act as %j and nothing more', (held, granted) => {
    expect(ROLES.filter((needed) => hasRole(actor(...held), needed))).toEqual(granted);
  });

  it('refuses the wrong role with FORBIDDEN, naming the role needed', () => {
    let error: unknown;
    try {
      requireRole(actor('Workspace.Reader'), 'Workspace.Editor');
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(AuthError);
    expect(error).toMatchObject({ code: 'FORBIDDEN', message: expect.stringContaining('Workspace.Editor') });
  });
});
