// Share, directory and file names as the service checks them, from "Naming and referencing shares,
// directories, files, and metadata":
// https://learn.microsoft.com/rest/api/storageservices/naming-and-referencing-shares--directories--files--and-metadata
// A name that breaks the rules fails with 400; the service's code for it is InvalidResourceName.

import type { IncomingHttpHeaders } from 'node:http';
import { ServiceError } from './state.js';

export const invalidName = () =>
  // The service's own message, spelling included.
  new ServiceError(400, 'InvalidResourceName', 'The specifed resource name contains invalid characters.');

/**
 * Share names: 3–63 characters, lowercase letters, digits and single hyphens, starting and ending
 * with a letter or digit (a valid DNS label).
 */
export function assertShareName(name: string): void {
  if (!/^[a-z0-9](?:-?[a-z0-9])+$/.test(name) || name.length < 3 || name.length > 63) throw invalidName();
}

// "The following characters aren't allowed: " \ / : | < > * ?" and control characters 0x00-0x1F.
// eslint-disable-next-line no-control-regex
const FORBIDDEN = /["\\/:|<>*?\u0000-\u001f]/;
const RESERVED = /^(LPT[1-9]|COM[1-9]|PRN|AUX|NUL|CON|CLOCK\$)$/i;
const MAX_COMPONENT = 255;

/**
 * A path below the share as the service stores it. Trailing dots are trimmed from each component
 * unless the client sent `x-ms-allow-trailing-dot: true` (version 2022-11-02 and later: "If false,
 * the trailing dot will be trimmed"); the rename source follows `x-ms-source-allow-trailing-dot`.
 */
export function normalisePath(segments: string[], allowTrailingDot: boolean): string[] {
  return segments.map((raw) => {
    const name = allowTrailingDot ? raw : raw.replace(/\.+$/, '');
    if (name === '' || FORBIDDEN.test(name) || RESERVED.test(name) || name.length > MAX_COMPONENT) {
      throw invalidName();
    }
    return name;
  });
}

export const allowsTrailingDot = (headers: IncomingHttpHeaders, header: string) =>
  headers[header]?.toString().toLowerCase() === 'true';
