// A small Azure Key Vault (secrets) emulator for tests: HTTPS on 127.0.0.1 with a certificate
// signed by a CA made at start-up, the bearer challenge, and the secret operations the store uses
// (set, get, versions, delete, get/purge/recover deleted) with soft-delete as Key Vault does it.
// In-memory; counts and a log of requests (never bodies: they hold secret values); injectable
// faults. See docs/secrets.md.

import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { createTestPki } from './certificate.js';
import { operationOf, route, type Operation, type Reply } from './router.js';
import { KeyVaultServiceError, Vault, type VaultBehaviour } from './state.js';

export type { Operation } from './router.js';

/**
 * api-version values the emulator answers: the ones @azure/keyvault-secrets can send
 * (SecretClientOptions.serviceVersion; 4.12 defaults to 2026-04-01). Secret shapes did not change
 * between them for the operations emulated here.
 */
export const API_VERSIONS = ['7.0', '7.1', '7.2', '7.3', '7.4', '7.5', '7.6', '2025-07-01', '2026-04-01'];

/** The audience Key Vault names in its challenge; clients ask for `${resource}/.default`. */
export const KEY_VAULT_RESOURCE = 'https://vault.azure.net';

export interface KeyVaultEmulatorOptions extends Partial<VaultBehaviour> {
  /** Tenant named in the challenge's authorization URI. */
  tenantId?: string;
  /** The only bearer token accepted; a test credential hands it out. */
  acceptedToken?: string;
}

export interface Fault {
  operation: Operation;
  status: number;
  code: string;
  message: string;
  /** How many matching requests fail (default 1). */
  times?: number;
}

export interface LoggedRequest {
  operation: Operation;
  method: string;
  path: string;
  apiVersion: string | null;
  /** The Authorization header's scheme and whether it matched, never the token itself. */
  authorization: 'none' | 'accepted' | 'rejected';
  status: number;
}

export interface KeyVaultEmulator {
  /** https://127.0.0.1:<port>: what KEY_VAULT_URL would be. */
  url: string;
  /** PEM of the CA that signed the server certificate: pass it as SecretClient `tlsOptions.ca`. */
  ca: string;
  tenantId: string;
  acceptedToken: string;
  /** Every request so far, in order. */
  readonly requests: LoggedRequest[];
  /** Requests per operation so far. */
  count(operation: Operation): number;
  /** Fails the next matching requests with the given Key Vault error. */
  injectFault(fault: Fault): void;
  stop(): Promise<void>;
}

export async function startKeyVaultEmulator(
  options: KeyVaultEmulatorOptions = {},
): Promise<KeyVaultEmulator> {
  const pki = await createTestPki();
  const tenantId = options.tenantId ?? '72f988bf-0000-4000-8000-00000000d0c5';
  const acceptedToken = options.acceptedToken ?? `test-token-${randomUUID()}`;
  const vault = new Vault({
    retentionDays: options.retentionDays ?? 90,
    purgeProtection: options.purgeProtection ?? false,
    deletionLagReads: options.deletionLagReads ?? 1,
    purgeLagWrites: options.purgeLagWrites ?? 1,
  });
  const requests: LoggedRequest[] = [];
  const faults: Fault[] = [];
  let url = '';

  // Authentication, requests and responses: an unauthenticated request gets 401 and a Bearer
  // challenge naming the tenant's authority and the Key Vault resource.
  // https://learn.microsoft.com/azure/key-vault/general/authentication-requests-and-responses
  // The body is as recorded (AKV10000, recording_can_delete_a_secret.json).
  const challenge = `Bearer authorization="https://login.microsoftonline.com/${tenantId}", resource="${KEY_VAULT_RESOURCE}"`;

  function authorize(header: string | undefined): LoggedRequest['authorization'] {
    if (!header) return 'none';
    const [scheme, token] = header.split(' ');
    return scheme?.toLowerCase() === 'bearer' && token === acceptedToken ? 'accepted' : 'rejected';
  }

  function handle(req: IncomingMessage, res: ServerResponse, body: string): void {
    const parsed = new URL(req.url ?? '/', 'https://127.0.0.1');
    const segments = parsed.pathname.split('/').slice(1).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    const operation = operationOf(method, segments);
    const apiVersion = parsed.searchParams.get('api-version');
    const authorization = authorize(req.headers.authorization);
    const headers: Record<string, string> = {};
    let reply: Reply;
    try {
      if (authorization !== 'accepted') {
        headers['www-authenticate'] = challenge;
        throw new KeyVaultServiceError(
          401,
          'Unauthorized',
          authorization === 'none'
            ? 'AKV10000: Request is missing a Bearer or PoP token.'
            : 'The bearer token was not issued for this vault.',
        );
      }
      if (!apiVersion || !API_VERSIONS.includes(apiVersion)) {
        throw new KeyVaultServiceError(
          400,
          'BadParameter',
          `The api-version '${apiVersion ?? ''}' is not supported.`,
        );
      }
      const fault = takeFault(operation);
      if (fault) throw new KeyVaultServiceError(fault.status, fault.code, fault.message);
      reply = route(vault, operation, { method, segments, query: parsed.searchParams, body, vaultUrl: url });
    } catch (error) {
      if (!(error instanceof KeyVaultServiceError)) throw error;
      const inner = error.innerCode ? { innererror: { code: error.innerCode } } : {};
      reply = {
        status: error.status,
        body: { error: { code: error.code, message: error.message, ...inner } },
      };
    }
    requests.push({
      operation,
      method,
      path: parsed.pathname,
      apiVersion,
      authorization,
      status: reply.status,
    });
    send(req, res, reply, headers);
  }

  function takeFault(operation: Operation): Fault | undefined {
    const index = faults.findIndex((fault) => fault.operation === operation);
    if (index < 0) return undefined;
    const fault = faults[index]!;
    const left = (fault.times ?? 1) - 1;
    if (left > 0) faults[index] = { ...fault, times: left };
    else faults.splice(index, 1);
    return fault;
  }

  const server = createServer({ key: pki.key, cert: pki.cert }, (req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      try {
        handle(req, res, Buffer.concat(chunks).toString('utf8'));
      } catch {
        res.destroy();
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  url = `https://127.0.0.1:${(server.address() as AddressInfo).port}`;

  return {
    url,
    ca: pki.ca,
    tenantId,
    acceptedToken,
    requests,
    count: (operation) => requests.filter((request) => request.operation === operation).length,
    injectFault: (fault) => void faults.push(fault),
    stop: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function send(req: IncomingMessage, res: ServerResponse, reply: Reply, extra: Record<string, string>): void {
  const headers: Record<string, string> = {
    'cache-control': 'no-cache',
    'x-ms-request-id': randomUUID(),
    'x-ms-keyvault-service-version': '1.9.0.0-emulator',
    ...extra,
  };
  const clientRequestId = req.headers['x-ms-client-request-id'];
  if (typeof clientRequestId === 'string') headers['x-ms-client-request-id'] = clientRequestId;
  if (reply.body === undefined) {
    res.writeHead(reply.status, { ...headers, 'content-length': '0' }).end();
    return;
  }
  const text = JSON.stringify(reply.body);
  res
    .writeHead(reply.status, {
      ...headers,
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
    })
    .end(text);
}
