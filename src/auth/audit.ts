// The audit trail: one AuditLog table row per change (who, what, on what, when, how it ended).
// Rows live in one partition under row keys that start with an inverted timestamp, the same
// keys as sync jobs (src/jobs/jobStore.ts), so the table's own order is newest first: a page is
// one range read, `since` is a row-key bound, and nothing is ever scanned.
//
// Rows are written by the HTTP functions after a change; reads are not audited. No secret may
// reach a row: the values that could carry one (target, details) are scrubbed on the way in.

import type { TableClient } from '@azure/data-tables';
import { compact, fromJson, toJson } from '../jobs/entities.js';
import { isListingToken, newJobId as newestFirstKey } from '../jobs/jobStore.js';
import type { Actor } from './actor.js';

export type AuditAction =
  | 'file.write'
  | 'file.delete'
  | 'connection.connect'
  | 'connection.disconnect'
  | 'connection.rotate-secret'
  | 'sync.request'
  | 'backup.delete';

export type AuditOutcome = { result: 'succeeded' } | { result: 'failed'; errorCode: string };

export type AuditDetails = Record<string, string | number | boolean>;

export type AuditRecord = {
  actor: Actor;
  action: AuditAction;
  /** What was changed: a workspace path, a repository URL, a job or backup id. */
  target: string;
  /** The request's invocation id, to find the function's own log lines. */
  invocationId: string;
  details?: AuditDetails;
} & AuditOutcome;

export type AuditEntry = {
  id: string;
  time: string;
  actor: { id: string; name: string; provider: string };
  action: AuditAction;
  target: string;
  invocationId: string;
  details?: AuditDetails;
} & AuditOutcome;

export interface AuditQuery {
  /** 1 to 100; default 20. */
  top?: number;
  /** ISO 8601 date or date-time with an offset: only rows at or after it. */
  since?: string;
  continuationToken?: string;
}

export interface AuditPage {
  entries: AuditEntry[];
  continuationToken?: string;
}

/** A query the listing cannot answer; the HTTP layer makes it a 400. */
export class AuditQueryError extends Error {
  readonly code = 'INVALID_QUERY';
  constructor(message: string) {
    super(message);
    this.name = 'AuditQueryError';
  }
}

const PARTITION = 'audit';
const DEFAULT_TOP = 20;
const MAX_TOP = 100;
/** Paths are at most 2048 characters; anything longer is cut, keeping rows far under 64 KiB. */
const MAX_TEXT = 2048;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2}))?$/;
/** Detail names that hold a secret (webhookSecret, githubToken, password, apiKey, …). */
const SECRET_NAME = /(secret|token|password|credential|authorization|signature|key)$/i;
/** GitHub token shapes (ghp_, gho_, ghu_, ghs_, ghr_, github_pat_), wherever they appear. */
const SECRET_VALUE = /\b(gh[pousr]_[A-Za-z0-9]{20,}|github_pat_[A-Za-z0-9_]{20,})/;
const MAX_MS = 9_999_999_999_999;
/** The user:password@ of every URL in a text, wherever it stands (a detail may quote one mid-sentence). */
const URL_USER_INFO = /\b([a-z][a-z0-9+.-]*:\/\/)[^/@\s]*@/gi;

interface AuditEntity {
  partitionKey: string;
  rowKey: string;
  time: string;
  actorId: string;
  actorName: string;
  actorProvider: string;
  action: string;
  target: string;
  result: string;
  errorCode?: string;
  invocationId: string;
  details?: string;
}

/** Drops URL credentials and anything shaped like a token; cuts overlong text. */
function scrub(text: string): string {
  const withoutUserInfo = text.replace(URL_USER_INFO, '$1');
  if (SECRET_VALUE.test(withoutUserInfo)) return '[redacted]';
  return withoutUserInfo.length > MAX_TEXT ? `${withoutUserInfo.slice(0, MAX_TEXT)}…` : withoutUserInfo;
}

function scrubDetails(details: AuditDetails | undefined): AuditDetails | undefined {
  if (!details) return undefined;
  return Object.fromEntries(
    Object.entries(details).map(([name, value]) => [
      name,
      SECRET_NAME.test(name) ? '[redacted]' : typeof value === 'string' ? scrub(value) : value,
    ]),
  );
}

function toEntity(record: AuditRecord, ms: number): AuditEntity {
  return compact({
    partitionKey: PARTITION,
    rowKey: newestFirstKey(ms),
    time: new Date(ms).toISOString(),
    actorId: record.actor.id,
    actorName: record.actor.name,
    actorProvider: record.actor.provider,
    action: record.action,
    target: scrub(record.target),
    result: record.result,
    errorCode: record.result === 'failed' ? record.errorCode : undefined,
    invocationId: record.invocationId,
    details: toJson(scrubDetails(record.details)),
  });
}

function fromEntity(entity: AuditEntity): AuditEntry {
  const outcome: AuditOutcome =
    entity.result === 'failed'
      ? { result: 'failed', errorCode: entity.errorCode ?? 'UNKNOWN' }
      : { result: 'succeeded' };
  return compact({
    id: entity.rowKey,
    time: entity.time,
    actor: { id: entity.actorId, name: entity.actorName, provider: entity.actorProvider },
    action: entity.action as AuditAction,
    target: entity.target,
    invocationId: entity.invocationId,
    details: fromJson<AuditDetails>(entity.details),
    ...outcome,
  });
}

function topOf(top: number | undefined): number {
  if (top === undefined) return DEFAULT_TOP;
  if (!Number.isInteger(top) || top < 1 || top > MAX_TOP) {
    throw new AuditQueryError(`top must be an integer from 1 to ${MAX_TOP}`);
  }
  return top;
}

/** Rows at or after `since` have keys below every key of the millisecond before it. */
function sinceFilter(since: string | undefined): string {
  if (since === undefined) return '';
  const ms = ISO_DATE.test(since) ? Date.parse(since) : NaN;
  if (Number.isNaN(ms)) {
    throw new AuditQueryError('since must be an ISO 8601 date, or a date-time with Z or an offset');
  }
  // Keys are `<13-digit inverted ms>-<8 hex>`; '.' sorts right after '-'.
  const invertedMs = newestFirstKey(Math.min(Math.max(ms, 0), MAX_MS)).split('-')[0];
  return ` and RowKey lt '${invertedMs}.'`;
}

export class AuditLog {
  constructor(
    private readonly table: TableClient,
    private readonly now: () => number = Date.now,
  ) {}

  async record(record: AuditRecord): Promise<AuditEntry> {
    const entity = toEntity(record, this.now());
    await this.table.createEntity(entity);
    return fromEntity(entity);
  }

  /** One page, newest first. A token this listing did not hand out is INVALID_QUERY. */
  async list(query: AuditQuery = {}): Promise<AuditPage> {
    const top = topOf(query.top);
    const filter = `PartitionKey eq '${PARTITION}'${sinceFilter(query.since)}`;
    const { continuationToken } = query;
    if (continuationToken !== undefined && !isListingToken(continuationToken)) {
      throw new AuditQueryError('continuationToken is not one this listing returned');
    }
    const pages = this.table
      .listEntities<AuditEntity>({ queryOptions: { filter } })
      .byPage({ maxPageSize: top, continuationToken });
    const { value } = await pages.next();
    const page = (value ?? []) as AuditEntity[] & { continuationToken?: string };
    return { entries: page.map(fromEntity), continuationToken: page.continuationToken };
  }
}
