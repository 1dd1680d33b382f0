// A sync worker in its own process, for the "worker killed mid-sync" test: it runs one message
// and SIGKILLs itself after a given number of finished writes — no finally blocks, no lease
// release, a clone left behind, exactly like a crashed instance.
// Run: node --import tsx tests/integration/syncWorkerProcess.ts (spec, message, kill point in env)

import { runSyncMessage } from '../../src/sync/runJob.js';
import { buildDependencies, withWriteHooks, type DepsSpec } from './syncDeps.js';

const spec = JSON.parse(process.env.SYNC_WORKER_SPEC ?? '') as DepsSpec;
const message = JSON.parse(Buffer.from(process.env.SYNC_WORKER_MESSAGE ?? '', 'base64').toString('utf8'));
const dieAfter = Number(process.env.SYNC_WORKER_DIE_AFTER_WRITES);

const deps = buildDependencies(spec, () => undefined);
let writes = 0;
deps.store = withWriteHooks(deps.store, {
  after: () => {
    if (++writes >= dieAfter) process.kill(process.pid, 'SIGKILL');
  },
});
await runSyncMessage(message, deps, { dequeueCount: 1, maxDequeueCount: 5 });
console.log('finished without being killed');
