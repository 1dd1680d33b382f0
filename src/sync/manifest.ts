// What the last sync wrote: per path the git blob SHA, mode and size, and the store's ETag
// right after the write. Comparing it with the store listing tells unchanged files from drift
// without downloading anything. It lives in the state container as one JSON blob — the same
// blob the workspace lease is taken on, so only the lease holder can replace it.

import type { BlockBlobClient } from '@azure/storage-blob';
import { SyncError } from './errors.js';
import { httpStatusOf } from '../azureStorage.js';

export interface ManifestEntry {
  sha: string;
  mode: string;
  size: number;
  etag: string;
}

export interface Manifest {
  version: 1;
  repositoryUrl: string;
  branch: string;
  commit: string;
  /** When a sync last listed the whole store (drift anywhere repaired); absent = never. */
  fullListingAt?: string;
  files: Record<string, ManifestEntry>;
}

/** The stored manifest, or undefined before the first sync (the blob may exist empty for its lease). */
export async function readManifest(blob: BlockBlobClient): Promise<Manifest | undefined> {
  let text: string;
  try {
    text = (await blob.downloadToBuffer()).toString('utf8');
  } catch (error) {
    if (httpStatusOf(error) === 404) return undefined;
    throw error;
  }
  if (text.trim() === '') return undefined;
  const parsed = JSON.parse(text) as Manifest;
  return parsed.version === 1 ? parsed : undefined;
}

/** Replaces the manifest; leaseId proves this worker still holds the workspace. */
export async function writeManifest(
  blob: BlockBlobClient,
  manifest: Manifest,
  leaseId: string,
): Promise<void> {
  const body = Buffer.from(JSON.stringify(manifest));
  try {
    await blob.upload(body, body.length, {
      conditions: { leaseId },
      blobHTTPHeaders: { blobContentType: 'application/json' },
    });
  } catch (error) {
    const status = httpStatusOf(error);
    if (status === 409 || status === 412) {
      // Someone else holds the workspace now; their sync decides what the manifest says.
      throw new SyncError('LEASE_LOST', 'The workspace lease was lost before the manifest was written');
    }
    throw error;
  }
}
