// GET /api/workspace/zip through its handler, checked with independent readers (Info-ZIP's
// `unzip -t` and Python's zipfile) against what the store holds.

import { HttpResponse, type HttpResponseInit } from '@azure/functions';
import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmod, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';
import type { WorkspaceStore } from '../../src/workspace/store.js';
import { startHarness, type Harness } from '../support/appHarness.js';

const run = promisify(execFile);

let harness: Harness;
let store: WorkspaceStore;
let scratch: string;
let workspaceZip: typeof import('../../src/functions/workspaceZip.js').workspaceZip;

beforeAll(async () => {
  harness = await startHarness();
  store = new LocalWorkspaceStore(harness.workspace);
  scratch = await mkdtemp(join(tmpdir(), 'zip-test-'));
  ({ workspaceZip } = await import('../../src/functions/workspaceZip.js'));
});

afterAll(async () => {
  await harness?.stop();
  await rm(scratch, { recursive: true, force: true });
});

async function download(query: Record<string, string> = {}): Promise<HttpResponse> {
  const request = harness.request({ method: 'GET', url: 'http://127.0.0.1/api/workspace/zip', query });
  return new HttpResponse((await workspaceZip(request, harness.context())) as HttpResponseInit);
}

async function saved(response: HttpResponse): Promise<string> {
  const file = join(scratch, `${randomBytes(4).toString('hex')}.zip`);
  await writeFile(file, Buffer.from(await response.arrayBuffer()));
  return file;
}

/** What Python's zipfile reads: name → {size, sha256, mode, mtime (seconds, UTC)}. */
async function pythonView(
  zip: string,
): Promise<Record<string, { size: number; sha256: string; mode: number; mtime: number }>> {
  const script = `
import calendar, hashlib, json, sys, zipfile
with zipfile.ZipFile(sys.argv[1]) as z:
    assert z.testzip() is None
    print(json.dumps({i.filename: {"size": i.file_size, "sha256": hashlib.sha256(z.read(i)).hexdigest(),
        "mode": (i.external_attr >> 16) & 0o777, "mtime": calendar.timegm(i.date_time + (0, 0, 0))} for i in z.infolist()}))
`;
  const { stdout } = await run('python3', ['-c', script, zip], { maxBuffer: 64 * 1024 * 1024 });
  return JSON.parse(stdout);
}

/** The same view computed from the store. */
async function storeView(root: string) {
  const view: Record<string, { size: number; sha256: string; mode: number; mtime: number }> = {};
  const { createHash } = await import('node:crypto');
  for await (const entry of store.walk(root)) {
    const name = root ? entry.path.slice(root.length + 1) : entry.path;
    const hash = createHash('sha256');
    if (entry.type === 'file')
      for await (const chunk of await store.read(entry.path)) hash.update(chunk as Buffer);
    view[entry.type === 'directory' ? `${name}/` : name] = {
      size: entry.size,
      sha256: hash.digest('hex'),
      mode: entry.type === 'directory' || entry.executable ? 0o755 : 0o644,
      mtime: Math.floor(entry.mtime.getTime() / 2000) * 2, // DOS time: 2-second steps
    };
  }
  return view;
}

describe('GET /api/workspace/zip', () => {
  it('gives a valid empty ZIP for an empty workspace', async () => {
    const response = await download();
    expect(response.status).toBe(200);
    expect(await pythonView(await saved(response))).toEqual({});
  });

  it('zips every file and folder with sizes, bytes, modes and mtimes as the store has them', async () => {
    const root = harness.workspace;
    await mkdir(join(root, 'scripts/lib'), { recursive: true });
    await mkdir(join(root, 'empty/nested-empty'), { recursive: true });
    await writeFile(join(root, 'README.md'), '# workspace\n'.repeat(200));
    await writeFile(join(root, 'scripts/run.sh'), '#!/bin/sh\necho hi\n');
    await chmod(join(root, 'scripts/run.sh'), 0o755);
    await writeFile(join(root, 'scripts/lib/data.bin'), randomBytes(3 * 1024 * 1024)); // streamed, not buffered
    await writeFile(join(root, 'scripts/lib/empty.txt'), '');
    await writeFile(join(root, 'image.png'), randomBytes(5000));
    await writeFile(join(root, 'ünïcode name.txt'), 'ü');

    const response = await download();
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/zip');
    expect(response.headers.get('content-disposition')).toMatch(
      /^attachment; filename="workspace-\d{8}-\d{6}\.zip"$/,
    );
    const zip = await saved(response);
    await run('unzip', ['-tq', zip]);
    const view = await pythonView(zip);
    expect(view).toEqual(await storeView(''));
    expect(view['empty/nested-empty/']).toBeDefined();
    expect(view['scripts/run.sh']!.mode).toBe(0o755);
  });

  it('zips one folder with ?path=, names relative to it', async () => {
    const zip = await saved(await download({ path: 'scripts' }));
    await run('unzip', ['-tq', zip]);
    const view = await pythonView(zip);
    expect(Object.keys(view).sort()).toEqual(['lib/', 'lib/data.bin', 'lib/empty.txt', 'run.sh']);
    expect(view).toEqual(await storeView('scripts'));
  });

  it('refuses a file, a missing folder and a hostile ?path=', async () => {
    expect((await download({ path: 'README.md' })).status).toBe(400);
    expect((await download({ path: 'missing' })).status).toBe(404);
    const hostile = await download({ path: '../etc' });
    expect(hostile.status).toBe(400);
    expect(((await hostile.json()) as { error: { code: string } }).error.code).toBe('INVALID_PATH');
  });
});
