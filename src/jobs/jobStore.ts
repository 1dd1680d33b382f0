// Sync job records. Row keys start with an inverted timestamp so the table's natural order is
// newest first: listing reads one page, never the whole table.

import { randomBytes } from 'node:crypto';
import type { TableClient, TransactionAction } from '@azure/data-tables';
import { AppError } from '../errors.js';
import { boundedJsonArray, compact, fromJson, toJson } from './entities.js';
import { SKIPPED_PATHS_CAP, type ActorRef, type JobTrigger, type SyncJob } from './types.js';
import { httpStatusOf } from '../azureStorage.js';

/** Jobs and the dedupe markers that name them share one partition, so both go in one transaction. */
export const JOB_PARTITION = 'job';
const PARTITION = JOB_PARTITION;
/** Job ids start with a digit; marker row keys start with this, so they sort after every job. */
export const MARKER_PREFIX = '~';
const MAX_TIME = 9_999_999_999_999;

export function newJobId(now = Date.now()): string {
  return `${String(MAX_TIME - now).padStart(13, '0')}-${randomBytes(4).toString('hex')}`;
}

/** When a job id was made (newJobId), in ms since the epoch. */
export function jobIdTime(id: string): number {
  return MAX_TIME - Number(id.slice(0, 13));
}

export function isJobId(id: string): boolean {
  return /^\d{13}-[0-9a-f]{8}$/.test(id);
}

interface JobEntity {
  partitionKey: string;
  rowKey: string;
  trigger: string;
  status: string;
  repositoryUrl: string;
  branch: string;
  commitRequested?: string;
  commitSynced?: string;
  counts?: string;
  skippedPaths?: string;
  skippedTotal?: number;
  queuedAt: string;
  startedAt?: string;
  finishedAt?: string;
  durationMs?: number;
  attempt: number;
  error?: string;
  deliveryId?: string;
  requestedBy?: string;
  backupId?: string;
}

/** A patch may set error to null: the attempt that finally succeeded clears the earlier one's error. */
export type JobPatch = Partial<Omit<SyncJob, 'id' | 'error'>> & { error?: SyncJob['error'] | null };

function toEntity(job: JobPatch & { id: string }): JobEntity {
  return compact({
    partitionKey: PARTITION,
    rowKey: job.id,
    trigger: job.trigger,
    status: job.status,
    repositoryUrl: job.repositoryUrl,
    branch: job.branch,
    commitRequested: job.commitRequested,
    commitSynced: job.commitSynced,
    counts: toJson(job.counts),
    skippedPaths: job.skippedPaths && boundedJsonArray(job.skippedPaths.slice(0, SKIPPED_PATHS_CAP)),
    skippedTotal: job.skippedTotal,
    queuedAt: job.queuedAt,
    startedAt: job.startedAt,
    finishedAt: job.finishedAt,
    durationMs: job.durationMs,
    attempt: job.attempt,
    // Merge updates skip absent properties, so clearing needs a value: '' reads back as no error.
    error: job.error === null ? '' : toJson(job.error),
    deliveryId: job.deliveryId,
    requestedBy: toJson(job.requestedBy),
    backupId: job.backupId,
  } as JobEntity);
}

function fromEntity(entity: JobEntity): SyncJob {
  return compact({
    id: entity.rowKey,
    trigger: entity.trigger as JobTrigger,
    status: entity.status as SyncJob['status'],
    repositoryUrl: entity.repositoryUrl,
    branch: entity.branch,
    commitRequested: entity.commitRequested,
    commitSynced: entity.commitSynced,
    counts: fromJson(entity.counts),
    skippedPaths: fromJson(entity.skippedPaths),
    skippedTotal: entity.skippedTotal,
    queuedAt: entity.queuedAt,
    startedAt: entity.startedAt,
    finishedAt: entity.finishedAt,
    durationMs: entity.durationMs,
    attempt: entity.attempt,
    error: fromJson(entity.error),
    deliveryId: entity.deliveryId,
    requestedBy: fromJson(entity.requestedBy),
    backupId: entity.backupId,
  });
}

export interface NewJob {
  id?: string;
  trigger: JobTrigger;
  repositoryUrl: string;
  branch: string;
  commitRequested?: string;
  deliveryId?: string;
  requestedBy?: ActorRef;
}

export interface UnfinishedJob {
  job: SyncJob;
  /** The record's ETag when it was listed, for a conditional update. */
  etag: string;
}

export interface JobPage {
  jobs: SyncJob[];
  continuationToken?: string;
}

/**
 * The Tables SDK's continuation token: base64 JSON of the service's next partition and row key,
 * themselves opaque (Azurite and Azure encode them differently), so only the shape is checked.
 */
export function isListingToken(token: string): boolean {
  try {
    const parsed = JSON.parse(Buffer.from(token, 'base64').toString('utf8')) as Record<string, unknown>;
    return (
      typeof parsed.nextPartitionKey === 'string' &&
      ['string', 'undefined'].includes(typeof parsed.nextRowKey)
    );
  } catch {
    return false;
  }
}

export class JobStore {
  constructor(private readonly table: TableClient) {}

  /**
   * Writes a new job record. With `alongside` (rows of the job's partition, e.g. dedupe markers)
   * the record and those rows are written in one transaction: all of them or none.
   */
  async create(input: NewJob, alongside: TransactionAction[] = []): Promise<SyncJob> {
    const job: SyncJob = {
      ...input,
      id: input.id ?? newJobId(),
      status: 'queued',
      queuedAt: new Date().toISOString(),
      attempt: 0,
    };
    if (alongside.length === 0) await this.table.createEntity(toEntity(job));
    else await this.table.submitTransaction([['create', { ...toEntity(job) }], ...alongside]);
    return job;
  }

  async get(id: string): Promise<SyncJob | undefined> {
    if (!isJobId(id)) return undefined;
    try {
      return fromEntity(await this.table.getEntity<JobEntity>(PARTITION, id));
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Merges the given fields into the record (no read-back: callers know what they wrote). */
  async update(id: string, patch: JobPatch): Promise<void> {
    await this.table.updateEntity(toEntity({ ...patch, id }), 'Merge');
  }

  /**
   * Jobs still `queued` or `running` that were queued after `since`, oldest last. Bounded by row
   * key (the inverted queue time), so the service reads only that window of the partition.
   */
  async listUnfinished(since: Date): Promise<UnfinishedJob[]> {
    const upper = newJobId(since.getTime()).slice(0, 13);
    const filter =
      `PartitionKey eq '${PARTITION}' and RowKey lt '${upper}~' and ` +
      `(status eq 'queued' or status eq 'running')`;
    const jobs: UnfinishedJob[] = [];
    for await (const entity of this.table.listEntities<JobEntity & { etag: string }>({
      queryOptions: { filter },
    })) {
      jobs.push({ job: fromEntity(entity), etag: entity.etag });
    }
    return jobs;
  }

  /**
   * Marks a job failed unless its record changed since it was read (etag): a sweep must never
   * overwrite the outcome a worker recorded meanwhile. Returns whether it was marked.
   */
  async failIfUnchanged(
    id: string,
    etag: string,
    error: { code: string; message: string },
  ): Promise<boolean> {
    const finishedAt = new Date().toISOString();
    try {
      await this.table.updateEntity(toEntity({ id, status: 'failed', error, finishedAt }), 'Merge', { etag });
      return true;
    } catch (thrown) {
      if (httpStatusOf(thrown) === 412 || httpStatusOf(thrown) === 404) return false;
      throw thrown;
    }
  }

  /** One page, newest first. A token this listing did not hand out is a 400, not a 500. */
  async list(top: number, continuationToken?: string): Promise<JobPage> {
    if (continuationToken !== undefined && !isListingToken(continuationToken)) {
      throw new AppError('INVALID_QUERY', 'continuationToken is not one this listing returned');
    }
    const pages = this.table
      .listEntities<JobEntity>({
        queryOptions: { filter: `PartitionKey eq '${PARTITION}' and RowKey lt '${MARKER_PREFIX}'` },
      })
      .byPage({ maxPageSize: top, continuationToken });
    const { value } = await pages.next();
    const page = (value ?? []) as JobEntity[] & { continuationToken?: string };
    return { jobs: page.map(fromEntity), continuationToken: page.continuationToken };
  }
}
