// Insert-if-absent markers so concurrent deliveries of one push create one job. createEntity
// fails with 409 when the row exists and a replace carries the ETag it read: the service
// decides every race, never a get-then-put.

import type { TableClient } from '@azure/data-tables';
import { safeKey } from './entities.js';

export type DedupeKind = 'delivery' | 'commit';

/** Whether the job holding a marker still stands for it; when not, the marker may be taken over. */
export type HolderCheck = (jobId: string) => Promise<boolean>;

const MAX_TAKEOVER_ATTEMPTS = 5;

function status(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

export class Dedupe {
  constructor(private readonly table: TableClient) {}

  /**
   * Claims key for jobId. Returns undefined when claimed now, or the id of the job that holds
   * it. With holderIsCurrent, a marker whose job no longer stands for it is taken over.
   */
  async claim(
    kind: DedupeKind,
    key: string,
    jobId: string,
    holderIsCurrent?: HolderCheck,
  ): Promise<string | undefined> {
    const rowKey = safeKey(key);
    const row = { partitionKey: kind, rowKey, jobId };
    for (let attempt = 0; attempt < MAX_TAKEOVER_ATTEMPTS; attempt++) {
      try {
        await this.table.createEntity(row);
        return undefined;
      } catch (error) {
        if (status(error) !== 409) throw error;
      }
      let existing: { jobId: string; etag: string };
      try {
        existing = await this.table.getEntity<{ jobId: string }>(kind, rowKey);
      } catch (error) {
        if (status(error) === 404) continue; // released in between: try to create again
        throw error;
      }
      if (!holderIsCurrent || (await holderIsCurrent(existing.jobId))) return existing.jobId;
      try {
        await this.table.updateEntity(row, 'Replace', { etag: existing.etag });
        return undefined;
      } catch (error) {
        if (status(error) !== 412 && status(error) !== 404) throw error;
        // Someone else took it over first: look again.
      }
    }
    throw new Error(`Could not claim ${kind} marker after ${MAX_TAKEOVER_ATTEMPTS} attempts`);
  }

  /** Gives a claim back, so a delivery whose job could not be queued can be redelivered. */
  async release(kind: DedupeKind, key: string): Promise<void> {
    await this.table.deleteEntity(kind, safeKey(key)).catch(() => undefined);
  }
}
