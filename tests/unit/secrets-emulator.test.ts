// The Key Vault emulator at the HTTP level, against the REST reference: the bearer challenge,
// each operation's status and body shape (validated by schemas written from the reference's
// definitions), soft-delete and purge, and the errors Key Vault sends. The store's own tests
// cover it through the SDK.

import { Ajv } from 'ajv';
import { request } from 'node:https';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  API_VERSIONS,
  startKeyVaultEmulator,
  type KeyVaultEmulator,
} from '../support/keyvault-emulator/index.js';
import {
  deletedSecretBundle,
  keyVaultError,
  recoveredBundle,
  secretBundle,
  secretListResult,
} from '../support/keyvault-emulator/schemas.js';

interface Answer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: unknown;
}

const ajv = new Ajv({ allErrors: true, strict: true });
const shapes = {
  secretBundle: ajv.compile(secretBundle),
  recoveredBundle: ajv.compile(recoveredBundle),
  deletedSecretBundle: ajv.compile(deletedSecretBundle),
  secretListResult: ajv.compile(secretListResult),
  keyVaultError: ajv.compile(keyVaultError),
};

function expectShape(shape: keyof typeof shapes, body: unknown): void {
  const valid = shapes[shape](body);
  expect(shapes[shape].errors ?? [], `${shape}: ${JSON.stringify(body)}`).toEqual([]);
  expect(valid).toBe(true);
}

let emulator: KeyVaultEmulator;
const name = 'emu';

beforeAll(async () => {
  emulator = await startKeyVaultEmulator({ deletionLagReads: 1, purgeLagWrites: 1, retentionDays: 7 });
});
afterAll(() => emulator.stop());

/** One HTTPS request to the emulator, trusting only its test CA. */
function call(
  method: string,
  path: string,
  options: {
    body?: unknown;
    token?: string | null;
    apiVersion?: string | null;
    vault?: KeyVaultEmulator;
  } = {},
): Promise<Answer> {
  const vault = options.vault ?? emulator;
  const apiVersion = options.apiVersion === undefined ? '7.5' : options.apiVersion;
  const url = new URL(`${vault.url}${path}`);
  if (apiVersion !== null) url.searchParams.set('api-version', apiVersion);
  const token = options.token === undefined ? vault.acceptedToken : options.token;
  const payload = options.body === undefined ? undefined : JSON.stringify(options.body);
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method,
        ca: vault.ca,
        headers: {
          ...(token !== null ? { authorization: `Bearer ${token}` } : {}),
          ...(payload !== undefined ? { 'content-type': 'application/json' } : {}),
        },
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            body: text ? JSON.parse(text) : undefined,
          });
        });
      },
    );
    req.on('error', reject);
    req.end(payload);
  });
}

async function expectError(answer: Answer, status: number, code: string, inner?: string): Promise<string> {
  expect(answer.status).toBe(status);
  expectShape('keyVaultError', answer.body);
  const { error } = answer.body as {
    error: { code: string; message: string; innererror?: { code: string } };
  };
  expect(error.code).toBe(code);
  expect(error.innererror?.code).toBe(inner);
  return error.message;
}

const setSecret = (secretName: string, value: string) =>
  call('PUT', `/secrets/${secretName}`, { body: { value } });

describe('key vault emulator', () => {
  it('challenges a request without a token with 401 and the Bearer authority and resource', async () => {
    const answer = await call('GET', '/secrets/any/', { token: null });
    const message = await expectError(answer, 401, 'Unauthorized');
    expect(message).toBe('AKV10000: Request is missing a Bearer or PoP token.');
    expect(answer.headers['www-authenticate']).toBe(
      `Bearer authorization="https://login.microsoftonline.com/${emulator.tenantId}", resource="https://vault.azure.net"`,
    );
  });

  it('rejects a token it did not issue with the same challenge', async () => {
    const answer = await call('GET', '/secrets/any/', { token: 'forged' });
    await expectError(answer, 401, 'Unauthorized');
    expect(answer.headers['www-authenticate']).toMatch(
      /^Bearer authorization="https:\/\/login\.microsoftonline\.com\//,
    );
  });

  it('answers every api-version the SDK can send and refuses a missing or unknown one', async () => {
    for (const apiVersion of API_VERSIONS) {
      expect((await call('GET', '/secrets/missing/', { apiVersion })).status).toBe(404);
    }
    await expectError(await call('GET', '/secrets/missing/', { apiVersion: null }), 400, 'BadParameter');
    await expectError(
      await call('GET', '/secrets/missing/', { apiVersion: '1999-01-01' }),
      400,
      'BadParameter',
    );
  });

  it('sets a secret: 200 SecretBundle with a 32-hex version in the id', async () => {
    const answer = await setSecret(name, 'one');
    expect(answer.status).toBe(200);
    expectShape('secretBundle', answer.body);
    const bundle = answer.body as { value: string; id: string; attributes: Record<string, unknown> };
    expect(bundle.value).toBe('one');
    expect(bundle.id).toMatch(new RegExp(`^${emulator.url}/secrets/${name}/[0-9a-f]{32}$`));
    expect(bundle.attributes).toMatchObject({
      enabled: true,
      recoveryLevel: 'CustomizedRecoverable+Purgeable',
      recoverableDays: 7,
    });
  });

  it('gets the current version (empty version segment) and any older version by id', async () => {
    const first = (await setSecret(`${name}-v`, 'old')).body as { id: string };
    await setSecret(`${name}-v`, 'new');
    const current = await call('GET', `/secrets/${name}-v/`);
    expectShape('secretBundle', current.body);
    expect((current.body as { value: string }).value).toBe('new');
    const old = await call('GET', new URL(first.id).pathname);
    expect((old.body as { value: string }).value).toBe('old');
    const message = await expectError(
      await call('GET', `/secrets/${name}-v/${'0'.repeat(32)}`),
      404,
      'SecretNotFound',
    );
    expect(message).toContain(`${name}-v/${'0'.repeat(32)}`);
  });

  it('answers 404 SecretNotFound for a name it does not hold, with the recorded message', async () => {
    const message = await expectError(await call('GET', '/secrets/never-set/'), 404, 'SecretNotFound');
    expect(message).toMatch(/^A secret with \(name\/id\) never-set was not found in this key vault\./);
  });

  it('lists versions newest first, without values, paged by maxresults with a nextLink', async () => {
    const versioned = `${name}-list`;
    for (const value of ['a', 'b', 'c']) await setSecret(versioned, value);
    const all = await call('GET', `/secrets/${versioned}/versions`);
    expectShape('secretListResult', all.body);
    const listed = all.body as { value: { id: string }[]; nextLink: string | null };
    expect(listed.value).toHaveLength(3);
    expect(listed.nextLink).toBeNull();
    const newest = (await call('GET', new URL(listed.value[0]!.id).pathname)).body as { value: string };
    expect(newest.value).toBe('c');

    const ids: string[] = [];
    let next: string | null = `/secrets/${versioned}/versions?maxresults=2`;
    while (next) {
      const page: Answer = await call(
        'GET',
        next.startsWith('http') ? next.slice(emulator.url.length) : next,
        {
          apiVersion: next.startsWith('http') ? null : '7.5',
        },
      );
      expectShape('secretListResult', page.body);
      const body = page.body as { value: { id: string }[]; nextLink: string | null };
      ids.push(...body.value.map((item) => item.id));
      next = body.nextLink;
    }
    expect(ids).toEqual(listed.value.map((item) => item.id));
    await expectError(await call('GET', `/secrets/${versioned}/versions?maxresults=26`), 400, 'BadParameter');
  });

  it('soft-deletes: DeletedSecretBundle, 404 until the deletion completes, 409 on reuse, purge frees the name', async () => {
    const doomed = `${name}-del`;
    await setSecret(doomed, 'secret');
    const deleted = await call('DELETE', `/secrets/${doomed}`);
    expect(deleted.status).toBe(200);
    expectShape('deletedSecretBundle', deleted.body);
    const bundle = deleted.body as Record<string, unknown>;
    expect(bundle.value).toBeUndefined();
    expect(bundle.recoveryId).toBe(`${emulator.url}/deletedsecrets/${doomed}`);
    expect(bundle.scheduledPurgeDate).toBe((bundle.deletedDate as number) + 7 * 86_400);

    await expectError(await call('GET', `/secrets/${doomed}/`), 404, 'SecretNotFound');
    expect(await expectError(await call('GET', `/deletedsecrets/${doomed}`), 404, 'SecretNotFound')).toBe(
      `Deleted Secret not found: ${doomed}`,
    );
    const visible = await call('GET', `/deletedsecrets/${doomed}`);
    expect(visible.status).toBe(200);
    expectShape('deletedSecretBundle', visible.body);

    await expectError(await setSecret(doomed, 'again'), 409, 'Conflict', 'ObjectIsDeletedButRecoverable');
    const purged = await call('DELETE', `/deletedsecrets/${doomed}`);
    expect(purged.status).toBe(204);
    expect(purged.body).toBeUndefined();
    await expectError(await call('GET', `/deletedsecrets/${doomed}`), 404, 'SecretNotFound');
    // Purging completes after the 204: the name is still busy for a moment.
    await expectError(await setSecret(doomed, 'again'), 409, 'Conflict', 'ObjectIsBeingDeleted');
    expect((await setSecret(doomed, 'again')).status).toBe(200);
  });

  it('refuses a purge while the deletion is still completing', async () => {
    const early = `${name}-early`;
    await setSecret(early, 'secret');
    await call('DELETE', `/secrets/${early}`);
    await expectError(
      await call('DELETE', `/deletedsecrets/${early}`),
      409,
      'Conflict',
      'ObjectIsBeingDeleted',
    );
  });

  it('recovers a deleted secret with all its versions', async () => {
    const back = `${name}-rec`;
    await setSecret(back, 'v1');
    await setSecret(back, 'v2');
    await call('DELETE', `/secrets/${back}`);
    await call('GET', `/deletedsecrets/${back}`); // the deletion-lag read
    const recovered = await call('POST', `/deletedsecrets/${back}/recover`);
    expect(recovered.status).toBe(200);
    expectShape('recoveredBundle', recovered.body);
    expect((recovered.body as { value?: string }).value).toBeUndefined();
    expect(((await call('GET', `/secrets/${back}/`)).body as { value: string }).value).toBe('v2');
    expect(
      ((await call('GET', `/secrets/${back}/versions`)).body as { value: unknown[] }).value,
    ).toHaveLength(2);
  });

  it('refuses a disabled secret with 403 Forbidden / SecretDisabled', async () => {
    await call('PUT', `/secrets/${name}-off`, { body: { value: 'x', attributes: { enabled: false } } });
    const message = await expectError(
      await call('GET', `/secrets/${name}-off/`),
      403,
      'Forbidden',
      'SecretDisabled',
    );
    expect(message).toBe('Operation get is not allowed on a disabled secret.');
  });

  it('answers bad names with 400 BadParameter and unknown routes with 405', async () => {
    const message = await expectError(await setSecret('bad_name', 'x'), 400, 'BadParameter');
    expect(message).toBe('The request URI contains an invalid name: bad_name');
    await expectError(await setSecret('x'.repeat(128), 'x'), 400, 'BadParameter');
    await expectError(await call('PUT', '/secrets/', { body: { value: 'x' } }), 405, 'MethodNotAllowed');
    await expectError(await call('PUT', `/secrets/${name}`, { body: { notValue: 1 } }), 400, 'BadParameter');
  });

  it('refuses purges in a vault with purge protection', async () => {
    const vault = await startKeyVaultEmulator({ purgeProtection: true, deletionLagReads: 0 });
    try {
      await call('PUT', '/secrets/kept', { body: { value: 'x' }, vault });
      const deleted = (await call('DELETE', '/secrets/kept', { vault })).body as {
        attributes: { recoveryLevel: string };
      };
      expect(deleted.attributes.recoveryLevel).toBe('Recoverable');
      const message = await expectError(
        await call('DELETE', '/deletedsecrets/kept', { vault }),
        403,
        'Forbidden',
      );
      expect(message).toMatch(/^Operation "purge" is not allowed because purge protection is enabled/);
    } finally {
      await vault.stop();
    }
  });

  it('logs requests without bodies or tokens and counts them per operation', async () => {
    const vault = await startKeyVaultEmulator();
    try {
      await call('PUT', '/secrets/logged', { body: { value: 'logged value' }, vault });
      await call('GET', '/secrets/logged/', { vault });
      expect(vault.requests).toEqual([
        {
          operation: 'setSecret',
          method: 'PUT',
          path: '/secrets/logged',
          apiVersion: '7.5',
          authorization: 'accepted',
          status: 200,
        },
        {
          operation: 'getSecret',
          method: 'GET',
          path: '/secrets/logged/',
          apiVersion: '7.5',
          authorization: 'accepted',
          status: 200,
        },
      ]);
      expect([vault.count('setSecret'), vault.count('getSecret'), vault.count('deleteSecret')]).toEqual([
        1, 1, 0,
      ]);
    } finally {
      await vault.stop();
    }
  });
});
