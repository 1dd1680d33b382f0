// The Files emulator authorizes requests as strictly as the service, so that a signing or
// URL-encoding bug in a hand-built request (the lean write path of issue 13 §6) fails here rather
// than in production. Clients are the real ones: @azure/storage-file-share, and for hand-built
// requests @azure/core-rest-pipeline's createEmptyPipeline signed by @azure/storage-common's
// storageSharedKeyCredentialPolicy. References:
// [shared-key] https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key
// [oauth-rest] https://learn.microsoft.com/azure/storage/files/authorize-oauth-rest
// Recorded error bodies are cited in tests/support/files-emulator/auth.ts.

import {
  createDefaultHttpClient,
  createEmptyPipeline,
  createHttpHeaders,
  createPipelineRequest,
  type PipelineOptions,
  type PipelineRequest,
  type PipelineResponse,
  tlsPolicy,
} from '@azure/core-rest-pipeline';
import { storageSharedKeyCredentialPolicy } from '@azure/storage-common';
import {
  RestError,
  ShareServiceClient,
  StorageSharedKeyCredential,
  type ShareClientOptions,
} from '@azure/storage-file-share';
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/dev/azurite.js';
import { startFilesEmulator, type FilesEmulator } from '../support/files-emulator/index.js';
import { createTestPki, type TestPki } from '../support/keyvault-emulator/certificate.js';
import { TestCredential } from '../support/keyvault-emulator/testCredential.js';

const TOKEN = 'emulator-managed-identity-token';
const NO_RETRY = { retryOptions: { maxTries: 1 } };

let plain: FilesEmulator;
let secure: FilesEmulator;
let pki: TestPki;
/** Pipeline options that trust the test CA: core-rest-pipeline's `tlsOptions`, passed through by the storage SDK. */
let trustCa: ShareClientOptions & PipelineOptions;

beforeAll(async () => {
  pki = await createTestPki();
  [plain, secure] = await Promise.all([
    startFilesEmulator(),
    startFilesEmulator({ tls: pki, bearerToken: TOKEN }),
  ]);
  trustCa = { ...NO_RETRY, tlsOptions: { ca: pki.ca } };
});
afterAll(() => Promise.all([plain?.stop(), secure?.stop()]));

/** The error a client call rejects with (fails the test if it resolves). */
async function rejection(call: Promise<unknown>): Promise<RestError> {
  const error = await call.then(
    () => expect.fail('the call was accepted'),
    (error: unknown) => error,
  );
  expect(error).toBeInstanceOf(RestError);
  return error as RestError;
}

const httpClient = createDefaultHttpClient();

/**
 * A hand-built request through createEmptyPipeline, signed with the account key by
 * storageSharedKeyCredentialPolicy unless an Authorization header is given; `afterSigning` changes
 * the request between signing and sending.
 */
function send(
  url: string,
  headers: Record<string, string>,
  options: { method?: 'PUT' | 'GET'; afterSigning?: (request: PipelineRequest) => void; ca?: string } = {},
): Promise<PipelineResponse> {
  const pipeline = createEmptyPipeline();
  // createPipelineRequest drops `tlsSettings`; the policy is how core-rest-pipeline sets them.
  if (options.ca) pipeline.addPolicy(tlsPolicy({ ca: options.ca }));
  if (!headers.authorization) {
    pipeline.addPolicy(
      storageSharedKeyCredentialPolicy({
        accountName: DEV_ACCOUNT,
        accountKey: Buffer.from(DEV_KEY, 'base64'),
      }),
      { phase: 'Sign' },
    );
  }
  const { afterSigning } = options;
  if (afterSigning) {
    pipeline.addPolicy(
      { name: 'afterSigning', sendRequest: (request, next) => (afterSigning(request), next(request)) },
      { afterPhase: 'Sign' },
    );
  }
  const request = createPipelineRequest({
    url,
    method: options.method ?? 'PUT',
    headers: createHttpHeaders(headers),
    allowInsecureConnection: url.startsWith('http:'),
  });
  return pipeline.sendRequest(httpClient, request);
}

/** The lean write path's Create File: PUT on the file's URL with x-ms-type and x-ms-content-length. */
const CREATE_FILE = { 'x-ms-version': '2025-05-05', 'x-ms-type': 'file', 'x-ms-content-length': '0' };

/** [shared-key]: 403 AuthenticationFailed, the service's message, and the detail saying why. */
function expectAuthenticationFailed(response: PipelineResponse, detail: string): void {
  expect(response.status).toBe(403);
  expect(response.headers.get('x-ms-error-code')).toBe('AuthenticationFailed');
  expect(response.bodyAsText).toContain(
    '<Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\n',
  );
  expect(response.bodyAsText).toContain(`<AuthenticationErrorDetail>${detail}`);
}

describe('Shared Key', () => {
  let service: ShareServiceClient;
  beforeAll(async () => {
    service = ShareServiceClient.fromConnectionString(plain.connectionString, NO_RETRY);
    await service.getShareClient('signed').create();
  });

  // [shared-key] CanonicalizedResource: the encoded path as received, and the URL-decoded query.
  it('accepts the right key for names that need encoding, and for a paged listing with query parameters', async () => {
    const directory = service.getShareClient('signed').getDirectoryClient('dir with space %25 + # ü');
    await directory.create();
    const names = ['a b.txt', '100%.txt', 'c+d.txt', 'hash#tag.txt', 'ünïcödé 文件.txt', '1+1=2 & more.txt'];
    for (const name of names) {
      // Two metadata names that an ordinal sort and the service's sort order differently (a1 < a_
      // by code unit, a_ < a1 for the service), so the canonical header order is exercised too.
      await directory.getFileClient(name).create(3, { metadata: { a_: 'x', a1: 'y' } });
    }
    const listed: string[] = [];
    const pages = directory
      .listFilesAndDirectories({
        prefix: '',
        includeTimestamps: true,
        includeEtag: true,
        includeAttributes: true,
      })
      .byPage({ maxPageSize: 2 });
    for await (const page of pages) listed.push(...page.segment.fileItems.map((file) => file.name));
    expect(listed.sort()).toEqual([...names].sort());
    const prefixed = await directory.listFilesAndDirectories({ prefix: 'ünï' }).byPage().next();
    expect(prefixed.value.segment.fileItems.map((file: { name: string }) => file.name)).toEqual([
      'ünïcödé 文件.txt',
    ]);
    // "?" is signed and verified like any other character; the name rules refuse it afterwards
    // (400 InvalidResourceName, not 403), which shows the signature was accepted.
    const refused = await rejection(directory.getFileClient('why?.txt').create(1));
    expect([refused.statusCode, refused.code]).toEqual([400, 'InvalidResourceName']);
  });

  it('refuses a wrong key with 403 AuthenticationFailed and the service message', async () => {
    const wrongKey = new StorageSharedKeyCredential(DEV_ACCOUNT, randomBytes(64).toString('base64'));
    const stranger = new ShareServiceClient(plain.url, wrongKey, NO_RETRY);
    const error = await rejection(stranger.getShareClient('signed').getProperties());
    // A HEAD answer has no body, so the SDK has the code from x-ms-error-code.
    expect([error.statusCode, error.code]).toEqual([403, 'AuthenticationFailed']);
    const created = await rejection(stranger.getShareClient('never').create());
    // This SDK's RestError message is generic; the service's message is in the body.
    expect([created.statusCode, created.code]).toEqual([403, 'AuthenticationFailed']);
    expect(created.response?.bodyAsText).toContain(
      '<Message>Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.\n',
    );
    expect(created.response?.bodyAsText).toContain(
      '<AuthenticationErrorDetail>The MAC signature found in the HTTP request',
    );
    expect(await service.getShareClient('never').exists()).toBe(false);
  });

  it('accepts a hand-built Create File signed by storageSharedKeyCredentialPolicy', async () => {
    const response = await send(`${plain.url}/signed/hand%20built%2B.txt`, CREATE_FILE);
    expect(response.status).toBe(201);
    const file = service.getShareClient('signed').rootDirectoryClient.getFileClient('hand built+.txt');
    expect((await file.getProperties()).contentLength).toBe(0);
  });

  it('refuses a request whose path, encoding or query changed after signing', async () => {
    const url = `${plain.url}/signed/%61-original.txt`;
    const renamed = await send(url, CREATE_FILE, {
      afterSigning: (request) => void (request.url = request.url.replace('-original', '-changed')),
    });
    expectAuthenticationFailed(renamed, 'The MAC signature found in the HTTP request');
    // The detail gives the string the server signed: the path as it arrived.
    expect(renamed.bodyAsText).toContain(`/${DEV_ACCOUNT}/${DEV_ACCOUNT}/signed/%61-changed.txt'`);
    // The same file, spelt without the escape: the path is signed as encoded, so this is refused too.
    const reencoded = await send(url, CREATE_FILE, {
      afterSigning: (request) => void (request.url = request.url.replace('%61', 'a')),
    });
    expectAuthenticationFailed(reencoded, 'The MAC signature found in the HTTP request');
    const requeried = await send(url, CREATE_FILE, {
      afterSigning: (request) => void (request.url = `${request.url}?timeout=30`),
    });
    expectAuthenticationFailed(requeried, 'The MAC signature found in the HTTP request');
    const root = service.getShareClient('signed').rootDirectoryClient;
    for (const name of ['a-original.txt', 'a-changed.txt']) {
      expect(await root.getFileClient(name).exists()).toBe(false);
    }
  });

  // [shared-key] "Specify the Date header": a request older than 15 minutes is refused.
  it('refuses a request dated more than 15 minutes ago, and one without a date', async () => {
    const old = new Date(Date.now() - 16 * 60_000).toUTCString();
    const stale = await send(`${plain.url}/signed/stale.txt`, CREATE_FILE, {
      afterSigning: (request) => request.headers.set('x-ms-date', old),
    });
    expectAuthenticationFailed(stale, `Request date header too old: '${old}'`);
    const undated = await send(`${plain.url}/signed/undated.txt`, CREATE_FILE, {
      afterSigning: (request) => request.headers.delete('x-ms-date'),
    });
    expectAuthenticationFailed(undated, 'Request date header not specified');
  });
});

describe('HTTPS and OAuth', () => {
  it('serves HTTPS that a client trusting the test CA accepts, and no other client', async () => {
    expect(secure.url).toMatch(/^https:\/\/127\.0\.0\.1:\d+\/devstoreaccount1$/);
    expect(secure.connectionString).toContain('DefaultEndpointsProtocol=https;');
    const trusting = ShareServiceClient.fromConnectionString(secure.connectionString, trustCa);
    await trusting.getShareClient('over-tls').create();
    expect(await trusting.getShareClient('over-tls').exists()).toBe(true);
    const untrusting = ShareServiceClient.fromConnectionString(secure.connectionString, NO_RETRY);
    const error = await rejection(untrusting.getShareClient('over-tls').getProperties());
    expect(error.code).toBe('UNABLE_TO_VERIFY_LEAF_SIGNATURE');
  });

  // [oauth-rest]: a bearer token with x-ms-file-request-intent: backup, version 2022-11-02 and later.
  it('accepts the bearer token with the backup intent for file operations', async () => {
    const credential = new TestCredential(TOKEN);
    const client = new ShareServiceClient(secure.url, credential, {
      ...trustCa,
      fileRequestIntent: 'backup',
    });
    const share = client.getShareClient('oauth');
    await share.create();
    const file = share.rootDirectoryClient.getFileClient('by identity.txt');
    await file.create(5);
    await file.uploadRange(Buffer.from('hello'), 0, 5);
    expect((await file.downloadToBuffer()).toString()).toBe('hello');
    expect(credential.requests[0]?.scopes).toEqual(['https://storage.azure.com/.default']);
  });

  it('refuses a file operation without the intent: 400 MissingRequiredHeader', async () => {
    const client = new ShareServiceClient(secure.url, new TestCredential(TOKEN), trustCa);
    // Share operations take a bearer token without intent from version 2024-11-04 (the SDK sends a later one).
    await client.getShareClient('no-intent').create();
    const file = client.getShareClient('no-intent').rootDirectoryClient.getFileClient('x.txt');
    const error = await rejection(file.create(1));
    expect([error.statusCode, error.code]).toEqual([400, 'MissingRequiredHeader']);
    const raw = await send(
      `${secure.url}/no-intent/x.txt`,
      { ...CREATE_FILE, authorization: `Bearer ${TOKEN}` },
      {
        ca: pki.ca,
      },
    );
    expect(raw.status).toBe(400);
    expect(raw.bodyAsText).toContain('<HeaderName>x-ms-file-request-intent</HeaderName>');
  });

  it('refuses share operations before 2024-11-04 and any bearer request before 2022-11-02', async () => {
    const bearer = { authorization: `Bearer ${TOKEN}`, 'x-ms-file-request-intent': 'backup' };
    const share = await send(
      `${secure.url}/legacy?restype=share`,
      { ...bearer, 'x-ms-version': '2022-11-02' },
      {
        ca: pki.ca,
      },
    );
    expect([share.status, share.headers.get('x-ms-error-code')]).toEqual([
      409,
      'FileOAuthManagementApiRestrictedToSrp',
    ]);
    const old = await send(
      `${secure.url}/oauth/old.txt`,
      { ...CREATE_FILE, ...bearer, 'x-ms-version': '2021-12-02' },
      {
        ca: pki.ca,
      },
    );
    expect(old.status).toBe(403);
    expect(old.bodyAsText).toContain(
      '<AuthenticationErrorDetail>Authentication scheme Bearer is not supported in this version.</AuthenticationErrorDetail>',
    );
    const current = await send(
      `${secure.url}/oauth/current.txt`,
      { ...CREATE_FILE, ...bearer, 'x-ms-version': '2022-11-02' },
      {
        ca: pki.ca,
      },
    );
    expect(current.status).toBe(201);
  });

  it('refuses a wrong bearer token: 401 InvalidAuthenticationInfo with a Bearer challenge', async () => {
    const client = new ShareServiceClient(secure.url, new TestCredential('not-the-token'), {
      ...trustCa,
      fileRequestIntent: 'backup',
    });
    const error = await rejection(
      client.getShareClient('oauth').rootDirectoryClient.getFileClient('z').create(1),
    );
    expect([error.statusCode, error.code]).toEqual([401, 'InvalidAuthenticationInfo']);
    expect(error.response?.headers.get('www-authenticate')).toMatch(
      /^Bearer authorization_uri=https:\/\/login\.microsoftonline\.com\/[^/]+\/oauth2\/authorize resource_id=https:\/\/storage\.azure\.com$/,
    );
  });
});
