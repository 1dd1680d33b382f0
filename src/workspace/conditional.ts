// HTTP conditional-request and Range header parsing (RFC 9110 §13, §14), kept free of any
// HTTP framework so the rules can be tested on their own.

/** The entity tags of an If-Match / If-None-Match header; '*' for any; undefined when absent. */
export type EtagCondition = '*' | string[] | undefined;

export function parseEtagCondition(header: string | null | undefined): EtagCondition {
  const value = header?.trim();
  if (!value) return undefined;
  if (value === '*') return '*';
  return value.match(/(W\/)?"[^"]*"/g) ?? [];
}

const opaque = (etag: string) => etag.replace(/^W\//, '');

/** If-Match: strong comparison; weak tags never match. */
export function ifMatchHolds(condition: EtagCondition, currentEtag: string | undefined): boolean {
  if (condition === undefined) return true;
  if (currentEtag === undefined) return false;
  if (condition === '*') return true;
  return !currentEtag.startsWith('W/') && condition.includes(currentEtag);
}

/** If-None-Match: weak comparison; true when the condition says "you already have it". */
export function noneMatchFails(condition: EtagCondition, currentEtag: string | undefined): boolean {
  if (condition === undefined || currentEtag === undefined) return false;
  if (condition === '*') return true;
  return condition.some((tag) => opaque(tag) === opaque(currentEtag));
}

export interface ResolvedRange {
  start: number;
  /** Inclusive. */
  end: number;
}

/**
 * One byte range of a `size`-byte file, 'unsatisfiable' (→ 416), or undefined when the
 * header is absent, malformed or asks for several ranges (→ the whole file, as RFC 9110 allows).
 */
export function parseRange(
  header: string | null | undefined,
  size: number,
): ResolvedRange | 'unsatisfiable' | undefined {
  const match = header?.trim().match(/^bytes=(\d*)-(\d*)$/i);
  if (!match) return undefined;
  const [, first, last] = match;
  if (first === '' && last === '') return undefined;
  if (first === '') {
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return 'unsatisfiable';
    return { start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  const end = last === '' ? Infinity : Number(last);
  if (end < start) return undefined;
  if (start >= size) return 'unsatisfiable';
  return { start, end: Math.min(end, size - 1) };
}
