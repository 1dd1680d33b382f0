// Insert-if-absent markers so concurrent deliveries of one push create one job. createEntity
// fails with 409 when the row exists: the service decides the race, not a get-then-put.

import type { TableClient } from '@azure/data-tables';
import { safeKey } from './entities.js';

export type DedupeKind = 'delivery' | 'commit';

export class Dedupe {
  constructor(private readonly table: TableClient) {}

  /** Claims key for jobId. Returns undefined when claimed now, or the job id that already holds it. */
  async claim(kind: DedupeKind, key: string, jobId: string): Promise<string | undefined> {
    const rowKey = safeKey(key);
    try {
      await this.table.createEntity({ partitionKey: kind, rowKey, jobId });
      return undefined;
    } catch (error) {
      if ((error as { statusCode?: number }).statusCode !== 409) throw error;
      const existing = await this.table.getEntity<{ jobId: string }>(kind, rowKey);
      return existing.jobId;
    }
  }

  /** Gives a claim back, so a delivery whose job could not be queued can be redelivered. */
  async release(kind: DedupeKind, key: string): Promise<void> {
    await this.table.deleteEntity(kind, safeKey(key)).catch(() => undefined);
  }
}
