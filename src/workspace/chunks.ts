// Cuts a body into fixed-size pieces (the last one shorter), knowing which piece is the last,
// so a store can size a file before writing when the length was not announced. Holds at most
// two pieces in memory; the source is read only as fast as pieces are consumed.

import type { Readable } from 'node:stream';

export interface Chunk {
  bytes: Buffer;
  last: boolean;
}

export async function* chunksOf(body: Readable | Buffer, size: number): AsyncGenerator<Chunk> {
  if (Buffer.isBuffer(body)) {
    for (let offset = 0; offset < body.length; offset += size) {
      yield { bytes: body.subarray(offset, offset + size), last: offset + size >= body.length };
    }
    return;
  }
  let parts: Buffer[] = [];
  let filled = 0;
  let full: Buffer | undefined; // held back until we know whether more follows
  for await (const data of body) {
    let rest = Buffer.isBuffer(data) ? data : Buffer.from(data as string | Uint8Array);
    while (rest.length > 0) {
      const take = Math.min(size - filled, rest.length);
      parts.push(rest.subarray(0, take));
      filled += take;
      rest = rest.subarray(take);
      if (filled === size) {
        if (full) yield { bytes: full, last: false };
        full = Buffer.concat(parts, size);
        parts = [];
        filled = 0;
      }
    }
  }
  if (filled > 0) {
    if (full) yield { bytes: full, last: false };
    full = Buffer.concat(parts, filled);
  }
  if (full) yield { bytes: full, last: true };
}
