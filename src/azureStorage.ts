// Two facts about Azure Storage calls that several domain modules rely on.

import { isRestError } from '@azure/core-rest-pipeline';
import type { BlockBlobClient } from '@azure/storage-blob';

/**
 * The HTTP status of a failed Azure SDK call (404, 409, 412, …), if it got an answer. Every Azure
 * client throws the core pipeline's RestError; `isRestError` recognises it across package copies.
 */
export function httpStatusOf(error: unknown): number | undefined {
  return isRestError(error) ? error.statusCode : undefined;
}

/** Creates blob empty unless it exists (leases need a blob to lease). */
export async function ensureBlobExists(blob: BlockBlobClient): Promise<void> {
  try {
    await blob.upload('', 0, { conditions: { ifNoneMatch: '*' } });
  } catch (error) {
    // 409: it exists and is leased; 412: it exists. Either way there is something to lease.
    const status = httpStatusOf(error);
    if (status !== 409 && status !== 412) throw error;
  }
}
