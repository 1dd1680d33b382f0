// The SMB properties every file and directory carries, set from the x-ms-file-* request headers of
// Create File / Create Directory / Set File Properties and returned by them and by Get File
// Properties, as in https://learn.microsoft.com/rest/api/storageservices/create-file and
// https://learn.microsoft.com/rest/api/storageservices/get-file-properties. Shapes follow the
// recordings (fileclient/recording_rename__replaceifexists_eq_false.json): a file created with
// attributes "None" reports "Archive"; times carry seven fractional digits; ids are decimal strings.

import { createHash } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ServiceError } from './state.js';

export interface SmbProperties {
  attributes: string;
  created: Date;
  lastWrite: Date;
  changed: Date;
  permissionKey: string;
}

/** The keys the service hands out for the default ("inherit") descriptors, as recorded. */
const INHERITED_KEY = {
  file: '584053819618422708*11581588750433322810',
  directory: '14438882940201373875*11581588750433322810',
};

/** Timestamps the REST API writes as ISO 8601 with seven fractional digits. */
export const isoTime = (date: Date) => date.toISOString().replace(/\.(\d{3})Z$/, '.$10000Z');

const invalid = (name: string) =>
  new ServiceError(400, 'InvalidHeaderValue', `The value for ${name} is not valid.`);

/** "now", "preserve" (keep `previous`), or an ISO 8601 time. */
function timeHeader(headers: IncomingHttpHeaders, name: string, previous: Date | undefined, now: Date): Date {
  const value = headers[name]?.toString();
  if (value === undefined || value.toLowerCase() === 'preserve') return previous ?? now;
  if (value.toLowerCase() === 'now') return now;
  const parsed = new Date(value);
  if (Number.isNaN(parsed.getTime())) throw invalid(name);
  return parsed;
}

function attributesHeader(
  headers: IncomingHttpHeaders,
  kind: 'file' | 'directory',
  previous?: string,
): string {
  const value = headers['x-ms-file-attributes']?.toString();
  if (value === undefined || value.toLowerCase() === 'preserve')
    return previous ?? (kind === 'file' ? 'Archive' : 'Directory');
  const given = value
    .split('|')
    .map((name) => name.trim())
    .filter((name) => name && name.toLowerCase() !== 'none');
  if (kind === 'directory' && !given.includes('Directory')) given.unshift('Directory');
  if (kind === 'file' && given.length === 0) given.push('Archive');
  return given.join(' | ');
}

function permissionKeyOf(
  headers: IncomingHttpHeaders,
  kind: 'file' | 'directory',
  previous?: string,
): string {
  const key = headers['x-ms-file-permission-key']?.toString();
  if (key) return key;
  const permission = headers['x-ms-file-permission']?.toString();
  if (!permission || permission.toLowerCase() === 'preserve') return previous ?? INHERITED_KEY[kind];
  if (permission.toLowerCase() === 'inherit') return INHERITED_KEY[kind];
  const digest = createHash('sha256').update(permission).digest();
  return `${digest.readBigUInt64BE(0)}*${digest.readBigUInt64BE(8)}`;
}

/** Properties from the request headers; on an update, anything not given is kept. */
export function smbFromHeaders(
  headers: IncomingHttpHeaders,
  kind: 'file' | 'directory',
  previous?: SmbProperties,
): SmbProperties {
  const now = new Date();
  return {
    attributes: attributesHeader(headers, kind, previous?.attributes),
    created: timeHeader(headers, 'x-ms-file-creation-time', previous?.created, now),
    lastWrite: timeHeader(headers, 'x-ms-file-last-write-time', previous?.lastWrite, now),
    changed: timeHeader(headers, 'x-ms-file-change-time', undefined, now),
    permissionKey: permissionKeyOf(headers, kind, previous?.permissionKey),
  };
}

export function smbHeaders(smb: SmbProperties): Record<string, string> {
  return {
    'x-ms-file-attributes': smb.attributes,
    'x-ms-file-creation-time': isoTime(smb.created),
    'x-ms-file-last-write-time': isoTime(smb.lastWrite),
    'x-ms-file-change-time': isoTime(smb.changed),
    'x-ms-file-permission-key': smb.permissionKey,
  };
}
