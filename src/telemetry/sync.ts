// The sync's log lines (runSyncMessage calls `log(name, fields)`) as events and metrics. The sync
// code stays free of telemetry: it names what happened and hands over its own fields; this maps
// them onto the dimensions the workbook reads (jobId, trigger, commit, errorCode, durationMs,
// filesWritten, filesDeleted, bytesWritten, storageRequests) and records the sync.* metrics.

import { isEventName, type EventName } from './names.js';
import { event, metric, type Dimensions } from './telemetry.js';

export type SyncLog = (name: string, fields: Record<string, unknown>) => void;

const FINISHED = new Set<EventName>(['sync.succeeded', 'sync.failed', 'sync.skipped']);

const text = (value: unknown) => (typeof value === 'string' && value !== '' ? value : undefined);
const count = (value: unknown) => (typeof value === 'number' ? value : undefined);

interface LoggedError {
  code?: unknown;
  message?: unknown;
}

interface LoggedCounts {
  added?: unknown;
  updated?: unknown;
  deleted?: unknown;
}

/** Milliseconds per phase (lsRemoteMs, cloneMs, listMs, applyMs), each its own dimension. */
function phaseDimensions(phases: unknown): Dimensions {
  if (typeof phases !== 'object' || phases === null) return {};
  return Object.fromEntries(Object.entries(phases).map(([name, ms]) => [name, count(ms)]));
}

function filesWritten(counts: LoggedCounts | undefined): number | undefined {
  const added = count(counts?.added);
  const updated = count(counts?.updated);
  return added === undefined || updated === undefined ? undefined : added + updated;
}

/**
 * A logger for one delivery of a sync message. Names that are not sync events go to `other`
 * unchanged. runSyncMessage names the trigger only on sync.started, so the logger keeps it for the
 * finishing event of the same delivery.
 */
export function syncLogger(other: SyncLog): SyncLog {
  let trigger: string | undefined;
  return (name, fields) => {
    if (!isEventName(name) || !name.startsWith('sync.')) return other(name, fields);
    trigger = text(fields.trigger) ?? trigger;
    const error = (fields.error ?? undefined) as LoggedError | undefined;
    const counts = fields.counts as LoggedCounts | undefined;
    const dimensions = {
      jobId: text(fields.jobId),
      trigger,
      attempt: count(fields.attempt),
      commit: text(fields.commitSynced),
      errorCode: text(error?.code),
      durationMs: count(fields.durationMs),
      filesWritten: filesWritten(counts),
      filesDeleted: count(counts?.deleted),
      filesSkipped: count(fields.skippedTotal),
      bytesWritten: count(fields.bytesWritten),
      storageRequests: count(fields.storageRequests),
      status: text(fields.status),
      retryInSeconds: count(fields.retryInSeconds),
      // sync.invalidMessage quotes the start of the message it could not read.
      payload: name === 'sync.invalidMessage' ? text(fields.message) : undefined,
      ...phaseDimensions(fields.phases),
    };
    event(name, dimensions, text(error?.message));
    if (FINISHED.has(name)) recordSyncMetrics(name.slice('sync.'.length), dimensions);
  };
}

function recordSyncMetrics(
  outcome: string,
  { trigger, durationMs, filesWritten, bytesWritten, storageRequests }: Dimensions,
): void {
  if (typeof durationMs === 'number') metric('sync.duration_ms', durationMs, { outcome, trigger });
  if (typeof filesWritten === 'number') metric('sync.files_written', filesWritten, { trigger });
  if (typeof bytesWritten === 'number') metric('sync.bytes_written', bytesWritten, { trigger });
  if (typeof storageRequests === 'number') metric('sync.storage_requests', storageRequests, { trigger });
}
