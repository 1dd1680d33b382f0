// One memory measurement in a process of its own (forked by rss.ts), so neither the benchmark's
// data nor an earlier sync's leftover heap counts: runs one sync job through the real entry point
// and reports RSS before it (after a full GC) and the peak RSS while it ran.
// Peak = the larger of a 5 ms sampler and the kernel's high-water mark for the process (maxRSS),
// so a peak between two samples is not missed; the high-water mark can only overstate the growth.

import { runSyncMessage } from '../../src/sync/runJob.js';
import type { JobTrigger } from '../../src/jobs/types.js';
import { buildDependencies, type DepsSpec } from '../../tests/integration/syncDeps.js';

export interface RssTask {
  /** Resources already created and connected by the parent. */
  spec: DepsSpec;
  url: string;
  trigger: JobTrigger;
}

export interface RssSample {
  ms: number;
  beforeMb: number;
  peakMb: number;
}

const MB = 1024 * 1024;

async function measure({ spec, url, trigger }: RssTask): Promise<RssSample> {
  const deps = buildDependencies(spec, () => undefined);
  const job = await deps.jobs.create({ trigger, repositoryUrl: url, branch: 'main' });
  (globalThis as { gc?: () => void }).gc?.();
  const before = process.memoryUsage.rss();
  let peak = before;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 5);
  const start = performance.now();
  const outcome = await runSyncMessage({ jobId: job.id, trigger }, deps, {
    dequeueCount: 1,
    maxDequeueCount: 5,
  });
  const ms = performance.now() - start;
  clearInterval(sampler);
  if (outcome !== 'succeeded') throw new Error(`sync ended ${outcome}`);
  peak = Math.max(peak, process.memoryUsage.rss(), process.resourceUsage().maxRSS * 1024);
  return { ms, beforeMb: before / MB, peakMb: peak / MB };
}

process.once('message', (task: RssTask) => {
  measure(task).then(
    (sample) => process.send!(sample, () => process.exit(0)),
    (error: unknown) => {
      console.error(error);
      process.exit(1);
    },
  );
});
