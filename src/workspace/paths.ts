// Workspace path rules (DESIGN.md "Paths"): what a client may name and what Azure Files can hold.
// Everything that touches a store goes through here first.

export const MAX_SEGMENT_LENGTH = 255;
export const MAX_PATH_LENGTH = 2048;

const RESERVED_NAMES = /^(CON|PRN|AUX|NUL|COM[1-9]|LPT[1-9])(\..*)?$/i;
// eslint-disable-next-line no-control-regex
const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
const FORBIDDEN_CHARS = /["\\:|<>*?]/;
/**
 * `.git` in any spelling a file system may fold to it (case, the NTFS short name git~1, trailing
 * dots, characters HFS+ ignores): git itself refuses to check such names out (CVE-2014-9390).
 */
const GIT_NAMES = /^(\.git|git~1)$/i;
const IGNORED_BY_HFS = /[\u200c-\u200f\u202a-\u202e\u206a-\u206f\ufeff]/g;

/** Why a single name cannot live in the workspace, or undefined when it can. */
export function invalidSegmentReason(segment: string): string | undefined {
  if (segment === '') return 'empty path segment';
  if (segment === '.' || segment === '..') return `"${segment}" segment`;
  // A name, not a path: callers split on '/', and a slash left in one would address another file.
  if (segment.includes('/')) return 'slash in name';
  if (CONTROL_CHARS.test(segment)) return 'control character in name';
  if (FORBIDDEN_CHARS.test(segment)) return 'character Azure Files cannot hold (" \\ : | < > * ?)';
  if (/[. ]$/.test(segment)) return 'name ends with a dot or a space';
  if (RESERVED_NAMES.test(segment)) return `reserved name "${segment}"`;
  if (GIT_NAMES.test(segment.replace(IGNORED_BY_HFS, '').replace(/[. ]+$/, ''))) {
    return `name git reserves ("${segment}")`;
  }
  // Bytes, not characters: a local file system holds 255 bytes of UTF-8 per name (ext4, APFS), and
  // Azure Files 255 characters, so 255 bytes fits both. The sync skips such names by the same rule.
  if (Buffer.byteLength(segment, 'utf8') > MAX_SEGMENT_LENGTH) {
    return `name longer than ${MAX_SEGMENT_LENGTH} bytes (UTF-8)`;
  }
  return undefined;
}

/** Why a relative path cannot live in the workspace, or undefined when it can. '' is the root. */
export function invalidPathReason(path: string): string | undefined {
  if (path === '') return undefined;
  if (path.length > MAX_PATH_LENGTH) return `path longer than ${MAX_PATH_LENGTH} characters`;
  if (path.startsWith('/')) return 'absolute path';
  if (path.includes('\\')) return 'backslash in path';
  for (const segment of path.split('/')) {
    const reason = invalidSegmentReason(segment);
    if (reason) return reason;
  }
  return undefined;
}

export class InvalidPathError extends Error {
  readonly code = 'INVALID_PATH';
  constructor(
    readonly path: string,
    readonly reason: string,
  ) {
    super(`Invalid path: ${reason}`);
    this.name = 'InvalidPathError';
  }
}

/**
 * Normalises a client-supplied path (as the router hands it over: percent-decoded once, after the
 * route's own slash) into a workspace path: trims one trailing slash, then validates; a leading
 * slash is an absolute path and refused ('' and '/' are the root). It is not decoded again: a
 * file named `%2e%2e` is a name like any other (requested as `%252e%252e`), and decoding twice
 * would make it unreachable while adding no safety, since every segment is checked as it will be
 * stored.
 */
export function parseWorkspacePath(raw: string | undefined): string {
  const original = raw ?? '';
  if (original === '/') return '';
  if (original.startsWith('/')) throw new InvalidPathError(original, 'absolute path');
  const path = original.replace(/\/$/, '');
  const reason = invalidPathReason(path);
  if (reason) throw new InvalidPathError(path, reason);
  return path;
}

export function parentOf(path: string): string {
  const i = path.lastIndexOf('/');
  return i < 0 ? '' : path.slice(0, i);
}

/** Every folder above path, nearest first, without the root: `a/b/c` → `a/b`, `a`. */
export function ancestorsOf(path: string): string[] {
  const result: string[] = [];
  for (let dir = parentOf(path); dir !== ''; dir = parentOf(dir)) result.push(dir);
  return result;
}

export function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('/') + 1);
}

/** The path as it goes into a URL: each segment percent-encoded, its slashes kept. */
export function encodePath(path: string): string {
  return path.split('/').map(encodeURIComponent).join('/');
}

export function joinPath(parent: string, name: string): string {
  return parent ? `${parent}/${name}` : name;
}
