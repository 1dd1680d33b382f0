// File leases: https://learn.microsoft.com/rest/api/storageservices/lease-file (version 2019-02-02+),
// codes and headers as the SDK's recorded sessions show them (Azure/azure-sdk-for-js,
// sdk/storage/storage-file-share/recordings/node/leaseclient/*). File leases are infinite
// (x-ms-lease-duration: -1); a break ends one at once (x-ms-lease-time: 0), leaving it `broken`.

import { randomUUID } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { ServiceError } from './state.js';

export interface Lease {
  id: string;
  state: 'leased' | 'broken';
}

export interface Leased {
  lease?: Lease;
}

export type LeaseAction = 'acquire' | 'change' | 'release' | 'break';

export interface LeaseResult {
  status: number;
  headers: Record<string, string>;
}

const conflict = (code: string, message: string) => new ServiceError(409, code, message);
const notPresent = () =>
  conflict('LeaseNotPresentWithLeaseOperation', 'There is currently no lease on the file.');
const mismatch = () =>
  conflict(
    'LeaseIdMismatchWithLeaseOperation',
    'The lease ID specified did not match the lease ID for the file.',
  );

function required(headers: IncomingHttpHeaders, name: string): string {
  const value = headers[name]?.toString();
  if (!value) {
    throw new ServiceError(
      400,
      'MissingRequiredHeader',
      `An HTTP header that's mandatory for this request is not specified: ${name}.`,
    );
  }
  return value;
}

const same = (a: string, b: string) => a.toLowerCase() === b.toLowerCase();

/** Applies one Lease File action; the caller stamps ETag and Last-Modified (a lease does not change them). */
export function leaseFile(file: Leased, headers: IncomingHttpHeaders): LeaseResult {
  const action = headers['x-ms-lease-action']?.toString().toLowerCase();
  const current = file.lease;
  switch (action) {
    case 'acquire': {
      if (headers['x-ms-lease-duration']?.toString() !== '-1') {
        throw new ServiceError(
          400,
          'InvalidHeaderValue',
          'File leases are infinite: x-ms-lease-duration must be -1.',
        );
      }
      const proposed = headers['x-ms-proposed-lease-id']?.toString() ?? randomUUID();
      // "If the file has an active lease, you can only request a new lease using the active lease ID."
      if (current?.state === 'leased' && !same(current.id, proposed)) {
        throw conflict('LeaseAlreadyPresent', 'There is already a lease present.');
      }
      file.lease = { id: proposed, state: 'leased' };
      return { status: 201, headers: { 'x-ms-lease-id': proposed } };
    }
    case 'change': {
      const id = required(headers, 'x-ms-lease-id');
      const proposed = required(headers, 'x-ms-proposed-lease-id');
      if (current?.state !== 'leased') throw notPresent();
      if (!same(current.id, id) && !same(current.id, proposed)) throw mismatch();
      current.id = proposed;
      return { status: 200, headers: { 'x-ms-lease-id': proposed } };
    }
    case 'release': {
      const id = required(headers, 'x-ms-lease-id');
      if (!current) throw notPresent();
      if (!same(current.id, id)) throw mismatch();
      file.lease = undefined;
      return { status: 200, headers: {} };
    }
    case 'break':
      if (!current) throw notPresent();
      current.state = 'broken';
      return { status: 202, headers: { 'x-ms-lease-time': '0' } };
    default:
      throw new ServiceError(
        400,
        'InvalidHeaderValue',
        'x-ms-lease-action must be acquire, change, release or break.',
      );
  }
}

/**
 * A write or delete on a leased file must carry the lease id (412 LeaseIdMissing, as recorded in
 * leaseclient/recording_uploadrange.json); a wrong id is 412 LeaseIdMismatchWithFileOperation, and
 * an id when there is no active lease is 412 LeaseNotPresentWithFileOperation. Reads need no id but
 * are refused with a wrong one. `header` is x-ms-lease-id, or the rename's source/destination header.
 */
export function checkLease(
  file: Leased,
  headers: IncomingHttpHeaders,
  access: 'read' | 'write',
  header = 'x-ms-lease-id',
): void {
  const given = headers[header]?.toString();
  const active = file.lease?.state === 'leased' ? file.lease : undefined;
  if (!given) {
    if (active && access === 'write') {
      throw new ServiceError(
        412,
        'LeaseIdMissing',
        'There is currently a lease on the file and no lease ID was specified in the request.',
      );
    }
    return;
  }
  if (!active)
    throw new ServiceError(
      412,
      'LeaseNotPresentWithFileOperation',
      'There is currently no lease on the file.',
    );
  if (!same(active.id, given)) {
    throw new ServiceError(
      412,
      'LeaseIdMismatchWithFileOperation',
      'The lease ID specified did not match the lease ID for the file.',
    );
  }
}

/** x-ms-lease-state / -status / -duration, as Get File Properties and Get File return them. */
export function leaseHeaders(file: Leased): Record<string, string> {
  const state = file.lease?.state ?? 'available';
  return {
    'x-ms-lease-state': state,
    'x-ms-lease-status': state === 'leased' ? 'locked' : 'unlocked',
    ...(state === 'leased' ? { 'x-ms-lease-duration': 'infinite' } : {}),
  };
}
