// src/limit.ts: the two ways the app runs work side by side without leaving any of it running
// when it moves on.

import { describe, expect, it } from 'vitest';
import { allSettled, forEachLimit } from '../../src/limit.js';

/** A promise settled from outside, to order events without timers. */
function deferred<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (error: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

describe('allSettled', () => {
  it('returns every value in order, and passes plain values through', async () => {
    expect(await allSettled([Promise.resolve(1), 'two', false])).toEqual([1, 'two', false]);
  });

  it('rethrows the first failure only once every promise has settled', async () => {
    const slow = deferred<string>();
    let settled = false;
    const all = allSettled([
      Promise.reject(new Error('first')),
      slow.promise,
      Promise.reject(new Error('second')),
    ]);
    all.catch(() => undefined).finally(() => (settled = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(settled).toBe(false); // Promise.all would have rejected already
    slow.resolve('done');
    await expect(all).rejects.toThrow('first');
  });
});

describe('forEachLimit', () => {
  it('runs at most `concurrency` tasks at once and every item once', async () => {
    let running = 0;
    let most = 0;
    const seen: number[] = [];
    await forEachLimit([1, 2, 3, 4, 5, 6, 7], 3, async (item) => {
      running += 1;
      most = Math.max(most, running);
      await new Promise((resolve) => setImmediate(resolve));
      seen.push(item);
      running -= 1;
    });
    expect(most).toBe(3);
    expect(seen.sort()).toEqual([1, 2, 3, 4, 5, 6, 7]);
  });

  it('starts nothing after the first failure and lets the running tasks settle before rethrowing it', async () => {
    const started: number[] = [];
    const gate = deferred();
    let finished = 0;
    const run = forEachLimit([1, 2, 3, 4], 2, async (item) => {
      started.push(item);
      if (item === 1) throw new Error('one failed');
      await gate.promise;
      finished += 1;
    });
    let rejected = false;
    run.catch(() => (rejected = true));
    await new Promise((resolve) => setImmediate(resolve));
    expect(rejected).toBe(false); // item 2 is still running
    gate.resolve();
    await expect(run).rejects.toThrow('one failed');
    expect(finished).toBe(1);
    expect(started).toEqual([1, 2]);
  });
});
