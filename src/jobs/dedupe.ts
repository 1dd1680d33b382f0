// Insert-if-absent markers so concurrent deliveries of one push create one job. createEntity
// fails with 409 when the row exists and a replace carries the ETag it read: the service
// decides every race, never a get-then-put.

import type { TableClient } from '@azure/data-tables';
import { safeKey } from './entities.js';

export interface Marker {
  kind: 'delivery' | 'commit';
  key: string;
  /** Whether the job holding the marker still stands for it; when not, the marker is taken over. */
  holderIsCurrent?: (jobId: string) => Promise<boolean>;
}

// One partition, so a delivery's markers can be claimed in one transaction (one round trip).
const PARTITION = 'marker';
const MAX_TAKEOVER_ATTEMPTS = 5;

function status(error: unknown): number | undefined {
  return (error as { statusCode?: number }).statusCode;
}

const rowKey = (marker: Marker) => `${marker.kind}-${safeKey(marker.key)}`;

export class Dedupe {
  constructor(private readonly table: TableClient) {}

  /**
   * Claims every marker for jobId. Returns undefined when all are claimed now, or the id of the
   * job holding one of them (and then holds none). The common case is one transaction; only a
   * conflict falls back to marker-by-marker claims.
   */
  async claimAll(markers: Marker[], jobId: string): Promise<string | undefined> {
    try {
      await this.table.submitTransaction(
        markers.map((m) => ['create', { partitionKey: PARTITION, rowKey: rowKey(m), jobId }]),
      );
      return undefined;
    } catch (error) {
      if (status(error) !== 409) throw error;
    }
    const claimed: Marker[] = [];
    for (const marker of markers) {
      const holder = await this.claim(marker, jobId);
      if (holder) {
        // No marker may point at a job that will never exist.
        await this.releaseAll(claimed);
        return holder;
      }
      claimed.push(marker);
    }
    return undefined;
  }

  private async claim(marker: Marker, jobId: string): Promise<string | undefined> {
    const row = { partitionKey: PARTITION, rowKey: rowKey(marker), jobId };
    for (let attempt = 0; attempt < MAX_TAKEOVER_ATTEMPTS; attempt++) {
      try {
        await this.table.createEntity(row);
        return undefined;
      } catch (error) {
        if (status(error) !== 409) throw error;
      }
      let existing: { jobId: string; etag: string };
      try {
        existing = await this.table.getEntity<{ jobId: string }>(PARTITION, row.rowKey);
      } catch (error) {
        if (status(error) === 404) continue; // released in between: try to create again
        throw error;
      }
      if (existing.jobId === jobId) return undefined;
      if (!marker.holderIsCurrent || (await marker.holderIsCurrent(existing.jobId))) return existing.jobId;
      try {
        await this.table.updateEntity(row, 'Replace', { etag: existing.etag });
        return undefined;
      } catch (error) {
        if (status(error) !== 412 && status(error) !== 404) throw error;
        // Someone else took it over first: look again.
      }
    }
    throw new Error(`Could not claim a ${marker.kind} marker after ${MAX_TAKEOVER_ATTEMPTS} attempts`);
  }

  /** Gives claims back, so a delivery whose job was not queued can be redelivered. */
  async releaseAll(markers: Marker[]): Promise<void> {
    await Promise.all(
      markers.map((m) => this.table.deleteEntity(PARTITION, rowKey(m)).catch(() => undefined)),
    );
  }
}
