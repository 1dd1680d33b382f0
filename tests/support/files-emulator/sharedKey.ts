// Shared Key verification as the service does it, from "Authorize with Shared Key"
// (https://learn.microsoft.com/rest/api/storageservices/authorize-with-shared-key), the
// Blob/Queue/File string-to-sign for version 2015-02-21 and later. The server computes the
// HMAC-SHA256 of the string-to-sign it builds from the request AS RECEIVED, so a client that signs
// a different path, query or header set than it sends is refused, as the real service refuses it.

import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';

/** What the string-to-sign is built from: the request as it arrived. */
export interface SignedRequest {
  method: string;
  /** The request target exactly as received (`req.url`): encoded path and query. */
  rawUrl: string;
  headers: IncomingHttpHeaders;
}

/** The standard headers signed in this order, one per line ([shared-key], "Blob, Queue, and File services"). */
const SIGNED_HEADERS = [
  'content-encoding',
  'content-language',
  'content-length',
  'content-md5',
  'content-type',
  'date',
  'if-modified-since',
  'if-match',
  'if-none-match',
  'if-unmodified-since',
  'range',
] as const;

const headerValue = (headers: IncomingHttpHeaders, name: string) => {
  const value = headers[name];
  return Array.isArray(value) ? value.join(',') : (value ?? '');
};

export function stringToSign(request: SignedRequest, account: string): string {
  const lines = SIGNED_HEADERS.map((name) => {
    const value = headerValue(request.headers, name);
    // "In version 2015-02-21 and later ... if Content-Length is zero, set it to an empty string."
    return name === 'content-length' && value === '0' ? '' : value;
  });
  return (
    [request.method.toUpperCase(), ...lines].join('\n') +
    '\n' +
    canonicalizedHeaders(request.headers) +
    canonicalizedResource(request.rawUrl, account)
  );
}

/**
 * CanonicalizedHeaders: every x-ms-* header, name lowercased, sorted, linear whitespace in the value
 * folded to one space and trimmed, `name:value\n` each.
 */
function canonicalizedHeaders(headers: IncomingHttpHeaders): string {
  return Object.keys(headers)
    .filter((name) => name.startsWith('x-ms-'))
    .map((name) => ({ name, key: sortKey(name) }))
    .sort((a, b) => compare(a.key, b.key) || compare(a.name, b.name))
    .map(({ name }) => `${name}:${headerValue(headers, name).replace(/\s+/g, ' ').trim()}\n`)
    .join('');
}

/**
 * The service sorts header names as .NET's culture-aware (en-US) comparison does, not by code unit;
 * @azure/storage-common imitates it (utils/SharedKeyComparator, "We need to imitate .Net
 * culture-aware sorting, which is used in storage service"). Its effect on header-name characters:
 * '-' and "'" are ignored unless all else is equal; other punctuation sorts before digits, digits
 * before letters. So `x-ms-meta-a_` comes before `x-ms-meta-a1`, unlike an ordinal sort.
 * The key spells a name in those weights, one character each, so keys compare as plain strings
 * (a key that is a prefix of another sorts first); names equal by key then compare ordinally.
 */
const PUNCTUATION_ORDER = '!#$%&*.^_`|~+';
function sortWeight(char: string): number {
  if (char >= 'a' && char <= 'z') return 300 + char.charCodeAt(0);
  if (char >= '0' && char <= '9') return 200 + char.charCodeAt(0);
  const punctuation = PUNCTUATION_ORDER.indexOf(char);
  return punctuation >= 0 ? 100 + punctuation : char.charCodeAt(0);
}

function sortKey(name: string): string {
  let key = '';
  for (const char of name) if (char !== '-' && char !== "'") key += String.fromCharCode(sortWeight(char));
  return key;
}

const compare = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

/**
 * CanonicalizedResource: `/account` and the encoded URI path as received (path-style URLs name the
 * account again: `/devstoreaccount1/devstoreaccount1/share/...`), then each query parameter as
 * `\nname:value`: names lowercased and sorted, names and values URL-decoded, the values of a
 * repeated parameter sorted and comma-joined.
 */
function canonicalizedResource(rawUrl: string, account: string): string {
  const queryAt = rawUrl.indexOf('?');
  const path = queryAt < 0 ? rawUrl : rawUrl.slice(0, queryAt);
  const values = new Map<string, string[]>();
  for (const pair of queryAt < 0 ? [] : rawUrl.slice(queryAt + 1).split('&')) {
    if (pair === '') continue;
    const equals = pair.indexOf('=');
    const name = decodeURIComponent(equals < 0 ? pair : pair.slice(0, equals)).toLowerCase();
    const value = equals < 0 ? '' : decodeURIComponent(pair.slice(equals + 1));
    values.set(name, [...(values.get(name) ?? []), value]);
  }
  const query = [...values.keys()]
    .sort()
    .map((name) => `\n${name}:${values.get(name)!.sort().join(',')}`)
    .join('');
  return `/${account}${path || '/'}${query}`;
}

/** Whether `signature` (base64, from the Authorization header) is the HMAC of `text`, compared in constant time. */
export function signatureMatches(text: string, signature: string, accountKey: Buffer): boolean {
  // Compared as base64 text: decoding first would let stray characters in the header pass.
  const expected = Buffer.from(createHmac('sha256', accountKey).update(text, 'utf8').digest('base64'));
  const sent = Buffer.from(signature);
  // The length is no secret (44 characters for any HMAC-SHA256); the characters are.
  return sent.length === expected.length && timingSafeEqual(sent, expected);
}
