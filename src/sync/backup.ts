// Nothing a person wrote is destroyed without a copy (DESIGN.md sync semantics 10). Before a sync
// overwrites or deletes a file the previous sync did not write (a manual edit, drift, anything in
// a workspace that was never synced), that file goes into a ZIP in blob container
// `workspace-backups`. Files the previous sync wrote and nobody changed are left out: git has them.
//
// The ZIP is src/workspace/zip.ts's streamed archive, shown only the files at risk, piped into a
// block blob as it is made: memory stays flat in backup size. Blob names are inverted-time ids (the
// jobs' scheme), so the container's own order is newest first and listing never scans.

import type { Readable } from 'node:stream';
import type { ContainerClient, ContainerListBlobFlatSegmentResponse } from '@azure/storage-blob';
import { httpStatusOf } from '../azureStorage.js';
import { isJobId, newJobId } from '../jobs/jobStore.js';
import type { JobTrigger } from '../jobs/types.js';
import { forEachLimit } from '../limit.js';
import type { Entry, WorkspaceStore } from '../workspace/store.js';
import { zipFolder } from '../workspace/zip.js';
import type { Manifest } from './manifest.js';
import { excludedBy, type ListedEntry, type Plan } from './plan.js';

/** Why the backup was made: the trigger of the sync that made it. */
export type BackupReason = JobTrigger;

export interface BackupInfo {
  id: string;
  createdAt: string;
  reason: BackupReason;
  jobId: string;
  /** Files in the ZIP. */
  files: number;
  /** Their bytes, uncompressed. */
  bytes: number;
}

export interface BackupPage {
  backups: BackupInfo[];
  continuationToken?: string;
}

export type BackupErrorCode = 'BACKUP_FAILED';

export class BackupError extends Error {
  constructor(
    readonly code: BackupErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'BackupError';
  }
}

/** Block size and blocks in flight of the upload: the most it buffers is about their product. */
const UPLOAD_BLOCK_BYTES = 4 * 1024 * 1024;
const UPLOAD_CONCURRENCY = 4;

/**
 * Files the plan overwrites or deletes whose listed version the previous sync did not write:
 * absent from its manifest, or listed with another ETag or size than the manifest recorded.
 * `manifest` is the previous sync's, whichever repository it synced: git has what it wrote.
 */
export function pathsToBackUp(plan: Plan, manifest: Manifest | undefined, listing: ListedEntry[]): string[] {
  const files = new Map(listing.filter((entry) => entry.type === 'file').map((entry) => [entry.path, entry]));
  const destroyed = new Set([
    ...plan.writes.map((write) => write.path),
    ...plan.clearFirst.files,
    ...plan.deletes.files,
  ]);
  return [...destroyed]
    .filter((path) => {
      const listed = files.get(path);
      if (!listed) return false; // a write to an empty path destroys nothing
      const written = manifest?.files[path];
      return !written || written.etag !== listed.etag || written.size !== listed.size;
    })
    .sort();
}

/**
 * Files in the workspace the previous sync did not write (absent from its manifest, or changed
 * since): what a connect warns about, since the first sync backs up those it replaces or removes.
 */
export function unsyncedFiles(
  listing: ListedEntry[],
  manifest: Manifest | undefined,
  exclude: string[],
): string[] {
  const excluded = excludedBy(exclude);
  return listing
    .filter((entry) => entry.type === 'file' && !excluded(entry.path))
    .filter((entry) => {
      const written = manifest?.files[entry.path];
      return !written || written.etag !== entry.etag || written.size !== entry.size;
    })
    .map((entry) => entry.path);
}

const metadataOf = (info: BackupInfo): Record<string, string> => ({
  createdAt: info.createdAt,
  reason: info.reason,
  jobId: info.jobId,
  files: String(info.files),
  bytes: String(info.bytes),
});

function infoOf(id: string, metadata: Record<string, string> = {}): BackupInfo {
  return {
    id,
    createdAt: metadata.createdAt ?? '',
    reason: metadata.reason as BackupReason,
    jobId: metadata.jobId ?? '',
    files: Number(metadata.files ?? 0),
    bytes: Number(metadata.bytes ?? 0),
  };
}

/** The backups container: write (then prune to `keep`), list newest first, download, delete. */
export class BackupStore {
  constructor(
    private readonly container: ContainerClient,
    /** WORKSPACE_BACKUP_KEEP: how many backups are kept; the oldest go first. */
    readonly keep: number,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Uploads the ZIP `zip()` streams under a new id. The container is created when missing (Bicep
   * makes it in Azure; a fresh Azurite has none), which needs the ZIP made again from the start.
   */
  async write(
    zip: () => Readable,
    facts: Omit<BackupInfo, 'id' | 'createdAt'>,
    signal?: AbortSignal,
  ): Promise<BackupInfo> {
    const now = this.now();
    const info: BackupInfo = { id: newJobId(now), createdAt: new Date(now).toISOString(), ...facts };
    const upload = async () => {
      const source = zip();
      try {
        await this.container
          .getBlockBlobClient(info.id)
          .uploadStream(source, UPLOAD_BLOCK_BYTES, UPLOAD_CONCURRENCY, {
            metadata: metadataOf(info),
            blobHTTPHeaders: { blobContentType: 'application/zip' },
            conditions: { ifNoneMatch: '*' },
            abortSignal: signal,
          });
      } finally {
        source.destroy();
      }
    };
    try {
      await upload();
    } catch (error) {
      if (httpStatusOf(error) !== 404) throw error;
      await this.container.createIfNotExists({ abortSignal: signal });
      await upload();
    }
    return info;
  }

  /** One page, newest first. */
  async list(top: number, continuationToken?: string): Promise<BackupPage> {
    const pages = this.container
      .listBlobsFlat({ includeMetadata: true })
      .byPage({ maxPageSize: top, continuationToken });
    try {
      const { value } = (await pages.next()) as { value: ContainerListBlobFlatSegmentResponse };
      return {
        backups: value.segment.blobItems.map((blob) => infoOf(blob.name, blob.metadata)),
        continuationToken: value.continuationToken || undefined,
      };
    } catch (error) {
      if (httpStatusOf(error) === 404) return { backups: [] }; // no backup was ever made
      throw error;
    }
  }

  /** The ZIP's bytes as a stream and its length, or undefined when there is no such backup. */
  async open(id: string, signal?: AbortSignal): Promise<{ body: Readable; size: number } | undefined> {
    if (!isJobId(id)) return undefined;
    try {
      const response = await this.container.getBlobClient(id).download(0, undefined, { abortSignal: signal });
      return { body: response.readableStreamBody as Readable, size: response.contentLength ?? 0 };
    } catch (error) {
      if (httpStatusOf(error) === 404) return undefined;
      throw error;
    }
  }

  /** Whether there was such a backup to delete. */
  async delete(id: string): Promise<boolean> {
    if (!isJobId(id)) return false;
    try {
      await this.container.getBlobClient(id).delete();
      return true;
    } catch (error) {
      if (httpStatusOf(error) === 404) return false; // no such blob, or no backup was ever made
      throw error;
    }
  }

  /** Deletes every backup beyond the newest `keep`; returns their ids. */
  async prune(): Promise<string[]> {
    const older: string[] = [];
    let seen = 0;
    for await (const blob of this.container.listBlobsFlat()) {
      if (++seen > this.keep) older.push(blob.name);
    }
    for (const id of older) await this.container.getBlobClient(id).deleteIfExists();
    return older;
  }
}

/** The store as zipFolder sees it: walking it yields exactly `files`; everything else is the store. */
function showingOnly(store: WorkspaceStore, files: Entry[]): WorkspaceStore {
  return new Proxy(store, {
    get(target, property) {
      if (property === 'walk') {
        return async function* () {
          yield* files;
        };
      }
      const value = Reflect.get(target, property, target) as unknown;
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Each path's current entry; paths gone (or no longer files) since the listing are left out. */
async function currentFiles(
  store: WorkspaceStore,
  paths: string[],
  concurrency: number,
  signal?: AbortSignal,
): Promise<Entry[]> {
  const found = new Map<string, Entry>();
  await forEachLimit(
    paths,
    concurrency,
    async (path) => {
      const entry = await store.stat(path);
      if (entry?.type === 'file') found.set(path, entry);
    },
    signal,
  );
  return paths.flatMap((path) => found.get(path) ?? []);
}

export interface BackupRequest {
  plan: Plan;
  /** The previous sync's manifest, whichever repository it synced. */
  manifest: Manifest | undefined;
  listing: ListedEntry[];
  store: WorkspaceStore;
  backups: BackupStore;
  reason: BackupReason;
  jobId: string;
  concurrency: number;
  signal?: AbortSignal;
  /** Told when pruning old backups failed: the new backup stands, so the sync goes on. */
  onPruneError?: (error: unknown) => void;
}

/**
 * Writes the backup a plan needs before it is applied, or nothing when it destroys nothing a
 * person wrote. Throws BACKUP_FAILED when the backup cannot be written: the sync must stop.
 */
export async function backUpBeforeSync(request: BackupRequest): Promise<BackupInfo | undefined> {
  const { store, backups, signal } = request;
  const paths = pathsToBackUp(request.plan, request.manifest, request.listing);
  if (paths.length === 0) return undefined;
  let info: BackupInfo;
  try {
    const files = await currentFiles(store, paths, request.concurrency, signal);
    if (files.length === 0) return undefined;
    const bytes = files.reduce((sum, file) => sum + file.size, 0);
    info = await backups.write(
      () => zipFolder(showingOnly(store, files), '', { signal }),
      { reason: request.reason, jobId: request.jobId, files: files.length, bytes },
      signal,
    );
  } catch (error) {
    if (signal?.aborted) throw error; // the lease was lost: that is the job's failure, not the backup's
    const why = error instanceof Error ? error.message.split('\n')[0] : String(error);
    throw new BackupError(
      'BACKUP_FAILED',
      `Could not back up ${paths.length} file(s) the sync would overwrite or delete, so nothing was changed: ${why}`,
    );
  }
  await backups.prune().catch((error: unknown) => request.onPruneError?.(error));
  return info;
}
