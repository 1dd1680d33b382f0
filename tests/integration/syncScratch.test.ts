// Issue 13 §2: clone scratch space is the container's local disk, and bounded. A sync whose scratch
// folder lacks room for a clone fails its attempt with SCRATCH_SPACE_LOW, a clear job error,
// before git writes anything. The scratch folder is a 1 MiB tmpfs (needs root, as CI runs; a
// laptop without it skips with one line, CI never does).

import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createSyncHarness, type SyncHarness } from './syncHarness.js';

const scratch = mkdtempSync(join(tmpdir(), 'scratch-tmpfs-'));
let mounted = false;
try {
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=1m', 'tmpfs', scratch], { stdio: 'ignore' });
  mounted = true;
} catch {
  if (process.env.CI === 'true')
    throw new Error('CI must be able to mount a tmpfs for the scratch-space test');
  console.log('syncScratch: skipped (mounting a tmpfs needs root)');
}

let h: SyncHarness;
beforeAll(async () => {
  if (mounted) h = await createSyncHarness({ settings: { tempDir: scratch } });
});
afterAll(async () => {
  await h?.close();
  if (mounted) execFileSync('umount', [scratch]);
  rmSync(scratch, { recursive: true, force: true });
});

it.skipIf(!mounted)(
  'refuses to clone into scratch space that cannot hold it, with a clear job error',
  async () => {
    const jobId = await h.enqueue('manual');
    expect(await h.deliver()).toEqual([expect.stringMatching(/^threw SCRATCH_SPACE_LOW/)]);
    const job = await h.job(jobId);
    expect(job).toMatchObject({ status: 'queued', error: { code: 'SCRATCH_SPACE_LOW' } });
    expect(job.error!.message).toMatch(/MiB are free .*SYNC_TEMP_DIR|needs at least 256 MiB/);
  },
);
