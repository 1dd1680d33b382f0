// Issue 10, items 11 and 12: every name the sync accepts can be read and, while the workspace is
// editable, deleted through the API with standard percent-encoding (one encodeURIComponent per
// segment, decoded once by the host's router) — `%2e%2e` included. A name the local file system
// cannot hold (over 255 bytes of UTF-8) is a 400 INVALID_PATH, never a 500.

import type { HttpResponseInit } from '@azure/functions';
import fc from 'fast-check';
import { Readable } from 'node:stream';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createCoreApi, installCoreModule } from '../../src/dev/coreShim.js';
import { buildRoutes, matchRoute, type HttpRoute } from '../../src/dev/routes.js';
import { createWorkspaceStore } from '../../src/workspace/createStore.js';
import { invalidSegmentReason } from '../../src/workspace/paths.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { startHarness, type Harness } from '../support/appHarness.js';

let harness: Harness;
let routes: HttpRoute[];
let store: WorkspaceStore;

beforeAll(async () => {
  harness = await startHarness();
  const { api, registry } = createCoreApi(() => undefined);
  installCoreModule(api);
  await import('../../src/index.js');
  routes = buildRoutes(registry.functions, 'api');
  store = createWorkspaceStore({ backend: 'local', path: harness.workspace });
});
afterAll(() => harness?.stop());

/** Sends a request the way a client would: the URL percent-encoded, routed and decoded by the host's rules. */
async function call(method: string, encodedPath: string, body?: string) {
  const url = `/api/workspace/files/${encodedPath}`;
  const match = matchRoute(routes, method, url);
  if (!match) throw new Error(`no route for ${method} ${url}`);
  const response = (await match.route.registration.callback(
    harness.request({
      method,
      url: `http://127.0.0.1${url}`,
      params: match.params,
      body: body === undefined ? undefined : { string: body },
    }),
    harness.context(),
  )) as HttpResponseInit;
  const text = response.body
    ? Buffer.concat(await Readable.from(response.body as AsyncIterable<Buffer>).toArray()).toString('utf8')
    : undefined;
  return { status: response.status ?? 200, text, json: response.jsonBody as { error?: { code: string } } };
}

const encode = (path: string) => path.split('/').map(encodeURIComponent).join('/');

/** Names the sync writes: any segment the path rules (the same ones plan.ts applies) accept. */
const syncedName = fc
  .oneof(
    fc.constantFrom(
      '%2e%2e',
      '%2E%2e',
      '%252e',
      '%',
      '100%',
      'a%2Fb',
      '%zz',
      '#hash',
      'sp ace',
      '漢'.repeat(85),
    ),
    fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }),
  )
  .filter((name) => invalidSegmentReason(name) === undefined);

it('reads and deletes every name the sync accepts', async () => {
  let n = 0;
  await fc.assert(
    fc.asyncProperty(syncedName, async (name) => {
      const path = `names/${n++}/${name}`;
      await store.makeDirectories(path.slice(0, path.lastIndexOf('/')));
      await store.write(path, Buffer.from(`content of ${name}`)); // as the sync writes it
      const read = await call('GET', encode(path));
      expect(read.status, `GET ${path}`).toBe(200);
      expect(read.text).toBe(`content of ${name}`);
      expect((await call('DELETE', encode(path))).status, `DELETE ${path}`).toBe(204);
      expect(await store.stat(path)).toBeUndefined();
    }),
    { numRuns: 60 },
  );
});

it('answers 400 INVALID_PATH, not 500, for a name over 255 bytes of UTF-8', async () => {
  for (const name of ['漢'.repeat(86), 'é'.repeat(128), 'x'.repeat(256)]) {
    const res = await call('PUT', encode(`long/${name}`), 'x');
    expect(res.status, name).toBe(400);
    expect(res.json.error?.code).toBe('INVALID_PATH');
  }
});
