// The read-ahead window of the apply phase (src/sync/readAhead.ts): content is asked for in plan
// order, at most `items` writes beyond the last one taken (refilled half a window at a time), never for files large enough to arrive
// as a stream, and what is fetched and never taken is released without an unhandled rejection.

import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { applyPlan } from '../../src/sync/apply.js';
import { emptyFiles } from '../../src/sync/manifest.js';
import type { PlannedWrite } from '../../src/sync/plan.js';
import { READ_AHEAD_MAX_BYTES, readAhead } from '../../src/sync/readAhead.js';
import { LocalWorkspaceStore } from '../../src/workspace/localStore.js';

const writeOf = (path: string, size = 1): PlannedWrite => ({
  path,
  sha: '0'.repeat(40),
  mode: '100644',
  size,
  kind: 'add',
});
const writes = (count: number) => Array.from({ length: count }, (_, i) => writeOf(`f${i}`));

/** A source that records what it was asked for, in order. */
function recording(
  body: (write: PlannedWrite) => Promise<Readable | Buffer> = async (w) => Buffer.from(w.path),
) {
  const asked: string[] = [];
  const source = (write: PlannedWrite) => {
    asked.push(write.path);
    return body(write);
  };
  return { asked, source };
}

describe('readAhead', () => {
  it('asks for the first `items` writes at once, then half a window at a time, in plan order', async () => {
    const plan = writes(10);
    const { asked, source } = recording();
    const ahead = readAhead(plan, source, 4);
    expect(asked).toEqual(['f0', 'f1', 'f2', 'f3']);
    expect(await ahead.take(plan[0]!)).toEqual(Buffer.from('f0'));
    expect(asked).toHaveLength(4); // three still on their way: more than half the window
    await ahead.take(plan[1]!);
    // Two left, half the window: the next two are asked together, so git gets them in one write.
    expect(asked).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5']);
    await ahead.take(plan[2]!);
    expect(asked).toHaveLength(6);
    await ahead.take(plan[3]!);
    expect(asked).toEqual(['f0', 'f1', 'f2', 'f3', 'f4', 'f5', 'f6', 'f7']);
    // Every write asked exactly once, none past the end.
    for (const write of plan.slice(4)) expect(await ahead.take(write)).toEqual(Buffer.from(write.path));
    expect(asked).toEqual(plan.map((w) => w.path));
  });

  it('asks for a write it had not fetched before moving the window past it', async () => {
    const plan = writes(4);
    const { asked, source } = recording();
    const ahead = readAhead(plan, source, 0);
    expect(asked).toEqual([]);
    await ahead.take(plan[0]!);
    expect(asked).toEqual(['f0']);
  });

  it('leaves a file larger than READ_AHEAD_MAX_BYTES to be asked when its write takes it', async () => {
    const plan = [writeOf('small0'), writeOf('large', READ_AHEAD_MAX_BYTES + 1), writeOf('small1')];
    const { asked, source } = recording(async (w) =>
      w.path === 'large' ? Readable.from(['x']) : Buffer.from('y'),
    );
    const ahead = readAhead(plan, source, 3);
    expect(asked).toEqual(['small0', 'small1']);
    await ahead.take(plan[0]!);
    expect(await ahead.take(plan[1]!)).toBeInstanceOf(Readable);
    expect(asked).toEqual(['small0', 'small1', 'large']);
    // A file of exactly the bound is still fetched ahead.
    const edge = recording();
    readAhead([writeOf('edge', READ_AHEAD_MAX_BYTES)], edge.source, 1);
    expect(edge.asked).toEqual(['edge']);
  });

  it('hands a failed read to the write that takes it, and drops an untaken failure quietly', async () => {
    const plan = writes(3);
    const ahead = readAhead(plan, () => Promise.reject(new Error('git went away')), 3);
    await expect(ahead.take(plan[0]!)).rejects.toThrow('git went away');
    // f1 and f2 failed too and are never taken: vitest fails the run on an unhandled rejection.
    ahead.dispose();
  });

  it('destroys a stream fetched ahead and never taken', async () => {
    const streams = new Map<string, Readable>();
    const { source } = recording(async (w) => {
      const stream = Readable.from([w.path]);
      streams.set(w.path, stream);
      return stream;
    });
    const plan = writes(3);
    const ahead = readAhead(plan, source, 3);
    const taken = (await ahead.take(plan[0]!)) as Readable;
    ahead.dispose();
    await Promise.all(
      ['f1', 'f2'].map((p) => new Promise((resolve) => streams.get(p)!.once('close', resolve))),
    );
    expect(streams.get('f1')!.destroyed).toBe(true);
    expect(taken.destroyed).toBe(false); // the taken one is its write's to close
  });
});

describe('applyPlan reads ahead', () => {
  it('asks git for the first contents while the folders are still being made', async () => {
    const root = await mkdtemp(join(tmpdir(), 'read-ahead-'));
    try {
      const { asked, source } = recording();
      let folderStarted!: () => void;
      const folderMaking = new Promise<void>((resolve) => (folderStarted = resolve));
      let finishFolder!: () => void;
      const folderDone = new Promise<void>((resolve) => (finishFolder = resolve));
      const gated = new (class extends LocalWorkspaceStore {
        override async makeDirectory(path: string) {
          folderStarted();
          await folderDone;
          return super.makeDirectory(path);
        }
      })(root);
      const plan = ['d/a', 'd/b'].map((path) => writeOf(path, path.length));
      const applied = applyPlan(
        {
          clearFirst: { files: [], directories: [] },
          directories: ['d'],
          writes: plan,
          deletes: { files: [], directories: [] },
          unchanged: emptyFiles(),
          skipped: [],
        },
        gated,
        { concurrency: 4, source },
      );
      await folderMaking;
      expect(asked).toEqual(['d/a', 'd/b']);
      finishFolder();
      await applied;
      expect(await readFile(join(root, 'd/b'), 'utf8')).toBe('d/b');
    } finally {
      await rm(root, { recursive: true, force: true });
    }
  });
});
