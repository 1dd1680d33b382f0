// Table Storage holds flat entities; nested job fields are stored as JSON strings, bounded so
// no property passes the service's 64 KiB limit.

import { createHash } from 'node:crypto';

const MAX_JSON_CHARS = 30_000;

export function toJson(value: unknown): string | undefined {
  return value === undefined ? undefined : JSON.stringify(value);
}

export function fromJson<T>(value: unknown): T | undefined {
  return typeof value === 'string' && value ? (JSON.parse(value) as T) : undefined;
}

/** Keeps as many leading items as fit in one table property. */
export function boundedJsonArray<T>(items: T[]): string {
  let kept = items;
  let json = JSON.stringify(kept);
  while (json.length > MAX_JSON_CHARS && kept.length > 0) {
    kept = kept.slice(0, Math.floor(kept.length / 2));
    json = JSON.stringify(kept);
  }
  return json;
}

/** A RowKey-safe key for arbitrary input ('/', '#', '?', '\\' and control characters are not allowed there). */
export function safeKey(input: string): string {
  return createHash('sha256').update(input).digest('hex');
}

/** Drops undefined fields, which the Tables SDK would otherwise send as nulls. */
export function compact<T extends object>(entity: T): T {
  return Object.fromEntries(Object.entries(entity).filter(([, v]) => v !== undefined)) as T;
}
