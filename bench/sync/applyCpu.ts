// CPU per storage request of the apply phase alone (issue 13 §6): a plan of `files` new files
// applied through applyPlan to the Files emulator (in its own process), with content already in
// memory, so this process's CPU over the phase is the storage client's and apply's own.
// The same phase is measured in the same run, alternating, through the store as it was before each
// step: every request through the SDK (trimmed pipeline, reused clients), and the SDK's default
// pipeline with a client built per request.

import { setMaxListeners } from 'node:events';
import { ShareServiceClient } from '@azure/storage-file-share';
import { applyPlan } from '../../src/sync/apply.js';
import { planSync } from '../../src/sync/plan.js';
import { AzureFilesWorkspaceStore } from '../../src/workspace/azureFilesStore.js';
import { createWorkspaceStore, trimPipeline } from '../../src/workspace/createStore.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import type { RemoteEmulator } from '../lib/emulatorProcess.js';
import { median, type Row } from '../lib/report.js';
import { pathOf } from './generate.js';

const CLIENTS = [
  'store (Create File outside the generated client)',
  'store, SDK for every request (trimmed pipeline)',
  'SDK defaults, client per request',
] as const;
type Client = (typeof CLIENTS)[number];
const FILE_BYTES = 4096;
const RETRY = { maxTries: 3, retryDelayInMs: 5, maxRetryDelayInMs: 20 };

/** The SDK's default pipeline, and new directory and file clients for every request, as before. */
async function sdkDefaults(connectionString: string, share: string): Promise<WorkspaceStore> {
  const shareClient = ShareServiceClient.fromConnectionString(connectionString, {
    retryOptions: RETRY,
  }).getShareClient(share);
  await shareClient.createIfNotExists();
  // A store per call starts with no cached directory client, as the old store never kept one.
  return new Proxy(new AzureFilesWorkspaceStore(shareClient), {
    get(target, property) {
      const value = Reflect.get(target, property, target) as unknown;
      if (typeof value !== 'function') return value;
      return (...args: unknown[]) => {
        const fresh = new AzureFilesWorkspaceStore(shareClient);
        return (Reflect.get(fresh, property) as (...a: unknown[]) => unknown).apply(fresh, args);
      };
    },
  });
}

/** The store with no creator: what createWorkspaceStore built before the lean Create File. */
function sdkOnly(connectionString: string, share: string): WorkspaceStore {
  const service = ShareServiceClient.fromConnectionString(connectionString, { retryOptions: RETRY });
  trimPipeline(service);
  return new AzureFilesWorkspaceStore(service.getShareClient(share), { createShare: true });
}

async function once(emulator: RemoteEmulator, files: number, client: Client, concurrency: number) {
  const share = `cpu${Date.now()}${Math.floor(Math.random() * 1e6)}`;
  const store =
    client === 'SDK defaults, client per request'
      ? await sdkDefaults(emulator.connectionString, share)
      : client === 'store, SDK for every request (trimmed pipeline)'
        ? sdkOnly(emulator.connectionString, share)
        : createWorkspaceStore(
            { backend: 'azure-files', share, connectionString: emulator.connectionString },
            { retry: RETRY },
          );
  await store.ping(); // creates the share
  const tree = Array.from({ length: files }, (_, i) => ({
    path: pathOf(i),
    mode: '100644',
    sha: '0'.repeat(40),
    size: FILE_BYTES,
  }));
  const plan = planSync(tree, undefined, [], { exclude: [] });
  const body = Buffer.alloc(FILE_BYTES, 7);
  const signal = new AbortController().signal; // as the sync passes its lease's signal…
  setMaxListeners(concurrency * 4 + 16, signal); // …with the same listener allowance (runJob.ts)
  await emulator.resetCounts();
  const before = process.cpuUsage();
  const start = performance.now();
  await applyPlan(plan, store, { concurrency, source: async () => body, signal });
  const ms = performance.now() - start;
  const cpu = process.cpuUsage(before);
  const requests = (await emulator.counts()).total;
  return { ms, cpuMs: (cpu.user + cpu.system) / 1000, requests, served: await emulator.deliveredLatencyMs() };
}

export async function applyCpuRows(
  emulator: RemoteEmulator,
  files: number,
  rounds: number,
  concurrency: number,
  latencyMs: number,
): Promise<Row[]> {
  const clients: readonly Client[] = CLIENTS;
  const runs = new Map<Client, Awaited<ReturnType<typeof once>>[]>(clients.map((c) => [c, []]));
  // One untimed round each (JIT, connections), then rotate who goes first.
  for (let i = -1; i < rounds; i++) {
    const first = (i + clients.length) % clients.length;
    for (const client of [...clients.slice(first), ...clients.slice(0, first)]) {
      const result = await once(emulator, files, client, concurrency);
      if (i >= 0) runs.get(client)!.push(result);
    }
  }
  return clients.map((client) => {
    const results = runs.get(client)!;
    const perRequest = results.map((r) => (r.cpuMs * 1000) / r.requests);
    const requests = median(results.map((r) => r.requests));
    return {
      files,
      client,
      requests,
      apply_ms: Math.round(median(results.map((r) => r.ms))),
      ideal_ms: Math.round((requests * latencyMs) / concurrency),
      served_latency_ms: Number(median(results.map((r) => r.served)).toFixed(2)),
      cpu_ms: Math.round(median(results.map((r) => r.cpuMs))),
      cpu_us_per_request: Math.round(median(perRequest)),
      cpu_us_range: `${Math.round(Math.min(...perRequest))}–${Math.round(Math.max(...perRequest))}`,
    };
  });
}
