// File content asked for ahead of the writes that carry it, so `git cat-file` works while the
// storage requests are in flight instead of each write slot waiting for its blob first. Without
// it, every slot's cycle was blob read + request: on a busy 2-core machine the blob read (a pipe
// write, git waking, inflating, a pipe read) added a fraction of a millisecond to every 5 ms
// request (bench/sync).

import type { Readable } from 'node:stream';
import type { PlannedWrite } from './plan.js';

/** Content of a planned file, as a stream or a buffer of exactly write.size bytes. */
export type ContentSource = (write: PlannedWrite) => Promise<Readable | Buffer>;

/**
 * Only content this small is fetched ahead: it arrives as one buffer (blobReader.ts hands out
 * blobs up to 1 MiB whole), so the window holds at most `items` MiB. A larger file is read when its
 * write starts, as a stream, and never holds git's pipe for content nobody is reading yet.
 */
export const READ_AHEAD_MAX_BYTES = 1024 * 1024;

export interface ReadAhead {
  /** The content of `write`: the one fetched ahead, or fetched now. Takes must come in plan order. */
  take(write: PlannedWrite): Promise<Readable | Buffer>;
  /** Drops what was fetched ahead and never taken (the apply stopped early). */
  dispose(): void;
}

/** Keeps the content of the next `items` writes not yet taken on its way (at least half that many), from now on. */
export function readAhead(writes: readonly PlannedWrite[], source: ContentSource, items: number): ReadAhead {
  const fetched = new Map<PlannedWrite, Promise<Readable | Buffer>>();
  let taken = 0;
  let next = 0;

  const fill = () => {
    next = Math.max(next, taken);
    // Refilled half a window at a time, not one item per take: the reads asked for in one turn
    // reach git in one pipe write (blobReader.ts), and every write wakes git.
    if (next - taken > items / 2) return;
    for (; next < Math.min(writes.length, taken + items); next++) {
      const write = writes[next]!;
      if (write.size > READ_AHEAD_MAX_BYTES) continue;
      const content = source(write);
      content.catch(() => undefined); // its failure belongs to the write that takes it, if one does
      fetched.set(write, content);
    }
  };

  fill();
  return {
    take(write) {
      const content = fetched.get(write) ?? source(write); // asked before the window moves past it
      fetched.delete(write);
      taken++;
      fill();
      return content;
    },
    dispose() {
      for (const content of fetched.values()) {
        content.then(
          (body) => void (Buffer.isBuffer(body) || body.destroy()),
          () => undefined,
        );
      }
      fetched.clear();
    },
  };
}
