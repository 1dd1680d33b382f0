// Property: whatever path a client sends to GET / PUT / DELETE, nothing outside the workspace
// root is created, changed or removed, and refused paths get 400 INVALID_PATH.

import { HttpResponse, type HttpResponseInit } from '@azure/functions';
import fc from 'fast-check';
import { mkdir, mkdtemp, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { hostilePath } from '../support/hostilePaths.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let sandbox: string;
let workspaceFiles: typeof import('../../src/functions/workspaceFiles.js').workspaceFiles;

beforeAll(async () => {
  // sandbox/workspace is the root; everything else in sandbox is "outside" and must not change.
  sandbox = await mkdtemp(join(tmpdir(), 'ws-hostile-'));
  await mkdir(join(sandbox, 'outside', 'dir'), { recursive: true });
  await writeFile(join(sandbox, 'outside', 'secret.txt'), 'keep me');
  await writeFile(join(sandbox, 'outside', 'dir', 'nested.txt'), 'keep me too');
  await writeFile(join(sandbox, 'secret.txt'), 'sibling of the root');
  harness = await startHarness({ WORKSPACE_PATH: join(sandbox, 'workspace') });
  ({ workspaceFiles } = await import('../../src/functions/workspaceFiles.js'));
});

afterAll(async () => harness?.stop());

/** Every path under sandbox except the workspace, with its content and mtime. */
async function outsideSnapshot(dir = sandbox): Promise<Record<string, string>> {
  const snapshot: Record<string, string> = {};
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const full = join(dir, entry.name);
    if (full === join(sandbox, 'workspace')) continue;
    const info = await stat(full);
    if (entry.isDirectory()) Object.assign(snapshot, await outsideSnapshot(full));
    snapshot[relative(sandbox, full)] = entry.isFile()
      ? `${await readFile(full, 'utf8')}@${info.mtimeMs}`
      : `dir@${info.mtimeMs}`;
  }
  return snapshot;
}

it('never touches anything outside the workspace root', async () => {
  const before = await outsideSnapshot();
  const statuses = new Set<number>();
  await fc.assert(
    fc.asyncProperty(hostilePath, fc.constantFrom('GET', 'PUT', 'DELETE'), async (path, method) => {
      const request = harness.request({
        method,
        url: 'http://127.0.0.1/api/workspace/files/x',
        params: { path },
        query: { recursive: 'true' },
        body: method === 'PUT' ? { string: 'pwned' } : undefined,
      });
      const response = new HttpResponse(
        (await workspaceFiles(request, harness.context())) as HttpResponseInit,
      );
      statuses.add(response.status);
      expect(response.status).toBeLessThan(500);
      if (response.status === 400) {
        expect(((await response.json()) as { error: { code: string } }).error.code).toBe('INVALID_PATH');
      } else {
        await response.arrayBuffer();
      }
    }),
    { numRuns: 300 },
  );
  expect(await outsideSnapshot()).toEqual(before);
  // The run exercised both refusals and real writes inside the root.
  expect(statuses).toContain(400);
  expect(statuses).toContain(201);
});
