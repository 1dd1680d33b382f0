// GET /api/health answers 503 when a dependency is down (DESIGN.md "HTTP contract"): the existing tests
// prove the 200s through the handler and the down report through checkHealth() itself; this one goes
// through the handler with a workspace that cannot answer. Found missing while writing docs/testing.md.

import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let sandbox: string;
let health: typeof import('../../src/functions/health.js').health;

beforeAll(async () => {
  // The workspace root lies under a plain file: no store operation can succeed there.
  sandbox = await mkdtemp(join(tmpdir(), 'contract-health-'));
  await writeFile(join(sandbox, 'plain-file'), 'x');
  harness = await startHarness({ WORKSPACE_PATH: join(sandbox, 'plain-file', 'workspace') });
  ({ health } = await import('../../src/functions/health.js'));
});
afterAll(async () => {
  await harness?.stop();
  if (sandbox) await rm(sandbox, { recursive: true, force: true });
});

it('answers 503 naming the dependency that is down, and only that one, without its path', async () => {
  const response = await health(
    harness.request({ method: 'GET', url: 'http://127.0.0.1/api/health' }),
    harness.context(),
  );
  expect(response.status).toBe(503);
  const body = response.jsonBody as {
    status: string;
    checks: Record<string, { status: string; reason?: string }>;
  };
  expect(body.status).toBe('unhealthy');
  expect(body.checks).toMatchObject({
    table: { status: 'up' },
    queue: { status: 'up' },
    blob: { status: 'up' },
    workspace: { status: 'down' },
  });
  expect(JSON.stringify(body)).not.toContain(sandbox);
});
