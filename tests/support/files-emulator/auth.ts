// Request authorization as the File service checks it: Shared Key with the signature verified
// (sharedKey.ts), or an OAuth bearer token under the Azure Files "OAuth over REST" rules
// (https://learn.microsoft.com/azure/storage/files/authorize-oauth-rest). Error codes, messages and
// AuthenticationErrorDetail texts are the service's own, as recorded in the SDK recordings and
// issues cited at each.

import { timingSafeEqual } from 'node:crypto';
import { DEV_ACCOUNT } from '../../../src/dev/azurite.js';
import { signatureMatches, stringToSign, type SignedRequest } from './sharedKey.js';
import { ServiceError } from './state.js';

/** What a request addresses: the bearer rules differ between files/directories and shares/the service. */
export type Scope = 'service' | 'share' | 'file';

export interface AuthPolicy {
  accountKey: Buffer;
  /** The one bearer token accepted; without it every bearer token is refused as invalid. */
  bearerToken?: string;
}

export interface AuthRequest extends SignedRequest {
  /** The account named by the URL path. */
  accountName: string;
  scope: Scope;
}

/** The tenant the emulated account lives in, as its 401 challenge names it. */
export const EMULATOR_TENANT_ID = '00000000-0000-4000-8000-0000000000e1';

/** "Request date header too old": a request more than 15 minutes old is refused ([shared-key], "Specify the Date header"). */
const MAX_REQUEST_AGE_MS = 15 * 60_000;
/** Files OAuth: file and directory operations from 2022-11-02, share and service ones from 2024-11-04 ([oauth-rest], "Limitations"; version-2024-11-04). */
const OAUTH_FILE_VERSION = '2022-11-02';
const OAUTH_SHARE_VERSION = '2024-11-04';

export function authenticate(request: AuthRequest, policy: AuthPolicy): void {
  const authorization = request.headers.authorization;
  if (!authorization) {
    throw new ServiceError(
      401,
      'NoAuthenticationInformation',
      'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.',
    );
  }
  if (authorization.startsWith('Bearer ')) return bearer(request, authorization.slice(7), policy);
  const sharedKey = /^SharedKey ([^:]+):(.+)$/.exec(authorization);
  if (!sharedKey) throw authenticationFailed('Authentication scheme is not supported.');
  if (request.accountName !== DEV_ACCOUNT || sharedKey[1] !== DEV_ACCOUNT) {
    throw authenticationFailed(`The account ${sharedKey[1]} does not serve this endpoint.`);
  }
  checkDate(request);
  const text = canonicalText(request);
  if (text === undefined || !signatureMatches(text, sharedKey[2]!, policy.accountKey)) {
    // The service names the signature it got and the string it signed, so a client can find what it
    // signed differently (recorded body quoted in Azure/azure-sdk-for-js and Azurite issues).
    throw authenticationFailed(
      `The MAC signature found in the HTTP request '${sharedKey[2]}' is not the same as any computed signature. Server used following string to sign: '${text ?? ''}'.`,
    );
  }
}

/** The string-to-sign, or undefined when the URL's escapes do not decode (nothing can match it). */
function canonicalText(request: AuthRequest): string | undefined {
  try {
    return stringToSign(request, DEV_ACCOUNT);
  } catch (error) {
    if (error instanceof URIError) return undefined;
    throw error;
  }
}

/** 403 AuthenticationFailed, the service's answer to any Shared Key request it cannot verify. */
function authenticationFailed(detail: string): ServiceError {
  const error = new ServiceError(
    403,
    'AuthenticationFailed',
    'Server failed to authenticate the request. Make sure the value of Authorization header is formed correctly including the signature.',
  );
  error.details = { AuthenticationErrorDetail: detail };
  return error;
}

/** x-ms-date wins over Date when both are sent ([shared-key], "Specify the Date header"). */
function checkDate(request: AuthRequest): void {
  const sent = request.headers['x-ms-date'] ?? request.headers.date;
  if (sent === undefined) throw authenticationFailed('Request date header not specified');
  const time = Date.parse(String(sent));
  // The service's wording for an unparsable date is not recorded; this one is the emulator's.
  if (Number.isNaN(time)) throw authenticationFailed(`Request date header is not a valid date: '${sent}'.`);
  if (time < Date.now() - MAX_REQUEST_AGE_MS) {
    throw authenticationFailed(`Request date header too old: '${new Date(time).toUTCString()}'`);
  }
}

function bearer(request: AuthRequest, token: string, policy: AuthPolicy): void {
  const version = String(request.headers['x-ms-version'] ?? '');
  // Recorded as 403 with this detail for a bearer token on a version without OAuth
  // (Azure/azure-storage-azcopy#78, microsoft/AzureStorageExplorer#3586).
  if (version < OAUTH_FILE_VERSION) {
    throw authenticationFailed('Authentication scheme Bearer is not supported in this version.');
  }
  if (!policy.bearerToken || !sameText(token, policy.bearerToken)) throw invalidToken();
  if (request.scope !== 'file' && version < OAUTH_SHARE_VERSION) {
    // Recorded for Create Share at 2022-11-02 (azure-sdk-for-js storage-file-share recordings,
    // Azure/azure-sdk-for-net#44505).
    throw new ServiceError(
      409,
      'FileOAuthManagementApiRestrictedToSrp',
      'This API does not support bearer tokens. For OAuth, use the Storage Resource Provider APIs instead. Learn more: https://aka.ms/azurefiles/restapi.',
    );
  }
  // "x-ms-file-request-intent: Required if Authorization header specifies an OAuth token.
  // Acceptable value is backup." (Create File, Set File Properties, ...). Without it: 400
  // MissingRequiredHeader naming the header (Azure/azure-sdk-for-net#36365,
  // Azure/azure-powershell#24157).
  const intent = request.headers['x-ms-file-request-intent'];
  if (request.scope === 'file' && intent === undefined) {
    const error = new ServiceError(
      400,
      'MissingRequiredHeader',
      "An HTTP header that's mandatory for this request is not specified.",
    );
    error.details = { HeaderName: 'x-ms-file-request-intent' };
    throw error;
  }
  // The reference names no code for another value; InvalidHeaderValue is the common REST code for it.
  if (intent !== undefined && String(intent).toLowerCase() !== 'backup') {
    const error = new ServiceError(
      400,
      'InvalidHeaderValue',
      'The value for one of the HTTP headers is not in the correct format.',
    );
    error.details = { HeaderName: 'x-ms-file-request-intent', HeaderValue: String(intent) };
    throw error;
  }
}

/**
 * 401 InvalidAuthenticationInfo with a Bearer challenge naming the tenant and the storage resource,
 * as recorded for a token the service rejects (azure-sdk-for-js storage recordings; Azure/AzureStor#119).
 */
function invalidToken(): ServiceError {
  const error = new ServiceError(
    401,
    'InvalidAuthenticationInfo',
    'Server failed to authenticate the request. Please refer to the information in the www-authenticate header.',
  );
  error.headers = {
    'WWW-Authenticate': `Bearer authorization_uri=https://login.microsoftonline.com/${EMULATOR_TENANT_ID}/oauth2/authorize resource_id=https://storage.azure.com`,
  };
  error.details = { AuthenticationErrorDetail: 'Signature validation failed. Signature is invalid.' };
  return error;
}

function sameText(a: string, b: string): boolean {
  const [x, y] = [Buffer.from(a), Buffer.from(b)];
  return x.length === y.length && timingSafeEqual(x, y);
}
