// The `git cat-file --batch` protocol (https://git-scm.com/docs/git-cat-file#_batch_output) as
// BlobReader reads it, fed from a scripted output: frames split anywhere, several callers at
// once, streams read slowly or abandoned, objects missing, the process gone mid-object.

import { createHash, randomBytes } from 'node:crypto';
import { Writable, type Readable } from 'node:stream';
import { buffer } from 'node:stream/consumers';
import { describe, expect, it } from 'vitest';
import { parseBatchHeader, StreamCursor } from '../../src/git/batchFrames.js';
import { BlobReader, BUFFERED_BLOB_BYTES } from '../../src/git/blobReader.js';

const idOf = (content: Buffer) =>
  createHash('sha1').update(`blob ${content.length}\0`).update(content).digest('hex');

function frame(content: Buffer, type = 'blob'): Buffer {
  return Buffer.concat([
    Buffer.from(`${idOf(content)} ${type} ${content.length}\n`),
    content,
    Buffer.from('\n'),
  ]);
}

/** Yields the bytes in pieces of `size`, counting what has been pulled; optionally stops early. */
function scripted(output: Buffer, size: number, stopAt = output.length) {
  const source = {
    pulled: 0,
    async *[Symbol.asyncIterator]() {
      for (let at = 0; at < stopAt; at += size) {
        const piece = output.subarray(at, Math.min(at + size, stopAt));
        source.pulled += piece.length;
        yield piece;
      }
    },
  };
  return source;
}

function requestLog() {
  const lines: string[] = [];
  const log = { stream: undefined as unknown as Writable, lines, writes: 0 };
  log.stream = new Writable({
    write(chunk: Buffer, _encoding, done) {
      log.writes++;
      lines.push(...chunk.toString().split('\n').filter(Boolean));
      done();
    },
  });
  return log;
}

const asBuffer = async (body: Buffer | Readable) => (Buffer.isBuffer(body) ? body : buffer(body));
const nextTurn = () => new Promise((resolve) => setImmediate(resolve));

describe('parseBatchHeader', () => {
  it('reads object headers and "missing" answers, SHA-1 and SHA-256 ids', () => {
    const sha1 = 'a'.repeat(40);
    const sha256 = 'b'.repeat(64);
    expect(parseBatchHeader(`${sha1} blob 12`)).toEqual({
      sha: sha1,
      missing: false,
      type: 'blob',
      size: 12,
    });
    expect(parseBatchHeader(`${sha256} tree 0`)).toEqual({
      sha: sha256,
      missing: false,
      type: 'tree',
      size: 0,
    });
    expect(parseBatchHeader(`${sha1} missing`)).toEqual({ sha: sha1, missing: true });
  });

  it('refuses anything else: the stream is out of step', () => {
    for (const line of [
      '',
      'garbage',
      `${'a'.repeat(40)} blob`,
      `${'a'.repeat(39)} blob 1`,
      `${'a'.repeat(40)} blob -1`,
    ]) {
      expect(() => parseBatchHeader(line), line).toThrow(/Unexpected git cat-file header/);
    }
  });
});

describe('StreamCursor', () => {
  it('reads lines and exact byte counts whatever the chunking', async () => {
    const one = randomBytes(300);
    const two = Buffer.from('second\nwith LF inside\n');
    const output = Buffer.concat([frame(one), frame(two), frame(Buffer.alloc(0))]);
    for (const size of [1, 2, 3, 7, 64, 299, 301, output.length]) {
      const cursor = new StreamCursor(scripted(output, size));
      for (const content of [one, two, Buffer.alloc(0)]) {
        expect(await cursor.line()).toBe(`${idOf(content)} blob ${content.length}`);
        expect((await cursor.exactly(content.length)).equals(content), `chunks of ${size}`).toBe(true);
        await cursor.endOfObject();
      }
    }
  });

  it('says so when the output ends in the middle of an object', async () => {
    const output = frame(randomBytes(100));
    const cursor = new StreamCursor(scripted(output, 16, 60));
    await cursor.line();
    await expect(cursor.exactly(100)).rejects.toThrow(/ended in the middle of an object/);
  });
});

describe('BlobReader', () => {
  const small = [Buffer.from('hello\n'), Buffer.alloc(0), randomBytes(BUFFERED_BLOB_BYTES)];
  const large = randomBytes(BUFFERED_BLOB_BYTES + 300_001);

  it('serves concurrent callers in request order, each its own bytes, small as Buffer and large as stream', async () => {
    const blobs = [small[0]!, large, small[1]!, small[2]!, large];
    const requests = requestLog();
    const reader = new BlobReader(requests.stream, scripted(Buffer.concat(blobs.map((b) => frame(b))), 4093));
    const reads = blobs.map((b) => reader.read(idOf(b), b.length));
    // A read is answered once the objects before it are off the pipe: consume them in order.
    const kinds: boolean[] = [];
    for (const [i, read] of reads.entries()) {
      const body = await read;
      kinds.push(Buffer.isBuffer(body));
      expect((await asBuffer(body)).equals(blobs[i]!), `blob ${i}`).toBe(true);
    }
    expect(kinds).toEqual([true, false, true, true, false]);
    await nextTurn();
    expect(requests.lines).toEqual(blobs.map(idOf));
  });

  it('sends the requests of one turn of the event loop to git in one write, and later ones in the next', async () => {
    const blobs = [small[0]!, small[1]!, small[0]!];
    const requests = requestLog();
    const reader = new BlobReader(requests.stream, scripted(Buffer.concat(blobs.map((b) => frame(b))), 64));
    const first = [reader.read(idOf(blobs[0]!), 6), reader.read(idOf(blobs[1]!), 0)];
    await nextTurn();
    expect(requests).toMatchObject({ writes: 1, lines: [idOf(blobs[0]!), idOf(blobs[1]!)] });
    const last = reader.read(idOf(blobs[2]!), 6);
    await nextTurn();
    expect(requests.writes).toBe(2);
    expect(requests.lines).toEqual(blobs.map(idOf));
    await Promise.all([...first, last]);
  });

  it('skips the rest of a stream that was destroyed, and the next read gets its own bytes', async () => {
    const after = Buffer.from('after the abandoned stream\n');
    const reader = new BlobReader(
      requestLog().stream,
      scripted(Buffer.concat([frame(large), frame(after)]), 65_536),
    );
    const abandoned = (await reader.read(idOf(large), large.length)) as Readable;
    const next = reader.read(idOf(after), after.length);
    const first = (await new Promise((resolve) => abandoned.once('data', resolve))) as Buffer;
    expect(first.equals(large.subarray(0, first.length))).toBe(true);
    abandoned.destroy();
    expect((await asBuffer(await next)).equals(after)).toBe(true);
  });

  it('pulls a large blob from git only as fast as its reader reads (bounded memory)', async () => {
    const huge = randomBytes(16 * 1024 * 1024);
    const source = scripted(frame(huge), 65_536);
    const reader = new BlobReader(requestLog().stream, source);
    const body = (await reader.read(idOf(huge), huge.length)) as Readable;
    await new Promise((resolve) => body.once('readable', resolve));
    await nextTurn();
    await nextTurn();
    // Nobody reads: at most the stream's buffer and the piece on its way, not 16 MiB.
    expect(source.pulled).toBeLessThanOrEqual(4 * 65_536);
    expect((await buffer(body)).equals(huge)).toBe(true);
    expect(source.pulled).toBe(frame(huge).length);
  });

  it('a missing object or an unexpected size fails that read only', async () => {
    const good = Buffer.from('good\n');
    const wrongSize = Buffer.from('twelve bytes');
    const absent = 'c'.repeat(40);
    const output = Buffer.concat([Buffer.from(`${absent} missing\n`), frame(wrongSize), frame(good)]);
    const reader = new BlobReader(requestLog().stream, scripted(output, 5));
    const reads = [
      reader.read(absent, 1),
      reader.read(idOf(wrongSize), 11),
      reader.read(idOf(good), good.length),
    ];
    await expect(reads[0]).rejects.toMatchObject({
      code: 'CLONE_FAILED',
      message: expect.stringMatching(/missing/),
    });
    await expect(reads[1]).rejects.toThrow(/blob of 12 bytes, not a blob of 11/);
    expect((await asBuffer(await reads[2]!)).equals(good)).toBe(true);
  });

  it('when git goes away mid-object, waiting and later reads fail instead of hanging', async () => {
    const output = Buffer.concat([frame(small[0]!), frame(large)]);
    const reader = new BlobReader(requestLog().stream, scripted(output, 65_536, 200_000));
    expect((await asBuffer(await reader.read(idOf(small[0]!), small[0]!.length))).equals(small[0]!)).toBe(
      true,
    );
    const cut = (await reader.read(idOf(large), large.length)) as Readable;
    const waiting = reader.read(idOf(small[1]!), 0);
    await expect(buffer(cut)).rejects.toMatchObject({ code: 'CLONE_FAILED' });
    await expect(waiting).rejects.toThrow(/ended in the middle of an object/);
    await expect(reader.read(idOf(small[0]!), small[0]!.length)).rejects.toMatchObject({
      code: 'CLONE_FAILED',
    });
  });

  it('refuses what is not an object id without writing it to git', async () => {
    const requests = requestLog();
    const reader = new BlobReader(requests.stream, scripted(Buffer.alloc(0), 1));
    await expect(reader.read(`${'a'.repeat(40)}\n${'b'.repeat(40)}`, 1)).rejects.toThrow(/not an object id/);
    await expect(reader.read('HEAD:README.md', 1)).rejects.toThrow(/not an object id/);
    expect(requests.lines).toEqual([]);
  });
});
