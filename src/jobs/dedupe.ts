// Insert-if-absent markers so concurrent deliveries of one push create one job. Markers live in
// the jobs table, in the jobs' partition, so the common case writes a job and its markers in one
// transaction. createEntity fails with 409 when a row exists and a replace carries the ETag it
// read: the service decides every race, never a get-then-put.

import type { TableClient, TransactionAction } from '@azure/data-tables';
import { safeKey } from './entities.js';
import { JOB_PARTITION, MARKER_PREFIX } from './jobStore.js';
import { httpStatusOf } from '../azureStorage.js';

export interface Marker {
  kind: 'delivery' | 'commit';
  key: string;
  /** Whether the job holding the marker still stands for it; when not, the marker is taken over. */
  holderIsCurrent?: (jobId: string) => Promise<boolean>;
}

const MAX_TAKEOVER_ATTEMPTS = 5;

const rowKey = (marker: Marker) => `${MARKER_PREFIX}${marker.kind}-${safeKey(marker.key)}`;

export class Dedupe {
  /** table: the jobs table (markers share the jobs' partition). */
  constructor(private readonly table: TableClient) {}

  /** Creates of the markers, to go in the same transaction as the job they name. */
  claimActions(markers: Marker[], jobId: string): TransactionAction[] {
    return markers.map((m) => ['create', { partitionKey: JOB_PARTITION, rowKey: rowKey(m), jobId }]);
  }

  /**
   * The slow path, after a transaction met an existing marker: claims the markers one by one,
   * taking over those whose job no longer stands for them. Returns undefined when all are
   * claimed, or the id of the job holding one (and then holds none).
   */
  async claimOneByOne(markers: Marker[], jobId: string): Promise<string | undefined> {
    const claimed: Marker[] = [];
    // No marker may point at a job that will never exist: whatever stops the claim gives them back.
    try {
      for (const marker of markers) {
        const holder = await this.claim(marker, jobId);
        if (holder) {
          await this.releaseAll(claimed);
          return holder;
        }
        claimed.push(marker);
      }
    } catch (error) {
      await this.releaseAll(claimed);
      throw error;
    }
    return undefined;
  }

  private async claim(marker: Marker, jobId: string): Promise<string | undefined> {
    const row = { partitionKey: JOB_PARTITION, rowKey: rowKey(marker), jobId };
    for (let attempt = 0; attempt < MAX_TAKEOVER_ATTEMPTS; attempt++) {
      try {
        await this.table.createEntity(row);
        return undefined;
      } catch (error) {
        if (httpStatusOf(error) !== 409) throw error;
      }
      let existing: { jobId: string; etag: string };
      try {
        existing = await this.table.getEntity<{ jobId: string }>(JOB_PARTITION, row.rowKey);
      } catch (error) {
        if (httpStatusOf(error) === 404) continue; // released in between: try to create again
        throw error;
      }
      if (existing.jobId === jobId) return undefined;
      if (!marker.holderIsCurrent || (await marker.holderIsCurrent(existing.jobId))) return existing.jobId;
      try {
        await this.table.updateEntity(row, 'Replace', { etag: existing.etag });
        return undefined;
      } catch (error) {
        if (httpStatusOf(error) !== 412 && httpStatusOf(error) !== 404) throw error;
        // Someone else took it over first: look again.
      }
    }
    throw new Error(`Could not claim a ${marker.kind} marker after ${MAX_TAKEOVER_ATTEMPTS} attempts`);
  }

  /** Gives claims back, so a delivery whose job was not queued can be redelivered. */
  async releaseAll(markers: Marker[]): Promise<void> {
    await Promise.all(
      markers.map((m) => this.table.deleteEntity(JOB_PARTITION, rowKey(m)).catch(() => undefined)),
    );
  }

  /**
   * Deletes markers last written before `olderThan`. A delivery id is redelivered by GitHub within
   * hours, and a commit marker counts only while its job is queued, so a day-old marker guards
   * nothing. The filter reads only the markers' row-key range.
   */
  async sweep(olderThan: Date): Promise<number> {
    const filter =
      `PartitionKey eq '${JOB_PARTITION}' and RowKey ge '${MARKER_PREFIX}' and ` +
      `Timestamp lt datetime'${olderThan.toISOString()}'`;
    let deleted = 0;
    for await (const row of this.table.listEntities({ queryOptions: { filter, select: ['RowKey'] } })) {
      await this.table.deleteEntity(JOB_PARTITION, row.rowKey!, { etag: row.etag }).then(
        () => deleted++,
        () => undefined, // rewritten or deleted meanwhile: not ours to remove
      );
    }
    return deleted;
  }
}
