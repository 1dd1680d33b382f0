// The output of `git cat-file --batch`, read piece by piece: for each requested object a header
// line `<sha> <type> <size>\n`, then exactly <size> bytes, then `\n`; or `<sha> missing\n`.
// https://git-scm.com/docs/git-cat-file#_batch_output

export type BatchHeader =
  { sha: string; missing: false; type: string; size: number } | { sha: string; missing: true };

const OBJECT_ID = /^[0-9a-f]{40}(?:[0-9a-f]{24})?$/;

export function isObjectId(text: string): boolean {
  return OBJECT_ID.test(text);
}

/** Parses one header line (without its LF); throws on anything else, which means the stream is out of step. */
export function parseBatchHeader(line: string): BatchHeader {
  const found = /^([0-9a-f]{40}(?:[0-9a-f]{24})?) (?:(missing)|([a-z]+) (\d+))$/.exec(line);
  if (!found) throw new Error(`Unexpected git cat-file header: ${JSON.stringify(line.slice(0, 200))}`);
  const [, sha, missing, type, size] = found;
  return missing
    ? { sha: sha!, missing: true }
    : { sha: sha!, missing: false, type: type!, size: Number(size) };
}

/**
 * Reads a byte stream in the units the batch protocol needs: a line, an exact number of bytes, or
 * "whatever is there, up to n" for streaming. It pulls from the source only when asked, so a
 * reader that stops asking stops the source (back-pressure reaches git through the pipe).
 */
export class StreamCursor {
  readonly #source: AsyncIterator<Buffer>;
  #head: Buffer = Buffer.alloc(0);

  constructor(source: AsyncIterable<Buffer>) {
    this.#source = source[Symbol.asyncIterator]();
  }

  async #pull(): Promise<void> {
    const next = await this.#source.next();
    if (next.done) throw new Error('git cat-file output ended in the middle of an object');
    this.#head = this.#head.length === 0 ? next.value : Buffer.concat([this.#head, next.value]);
  }

  async line(): Promise<string> {
    for (let searched = 0; ;) {
      const end = this.#head.indexOf(0x0a, searched);
      if (end >= 0) {
        const line = this.#head.toString('utf8', 0, end);
        this.#head = this.#head.subarray(end + 1);
        return line;
      }
      searched = this.#head.length;
      await this.#pull();
    }
  }

  /** Between 1 and max bytes (max > 0), as soon as any are available. Shares memory with the source's chunk. */
  async upTo(max: number): Promise<Buffer> {
    if (this.#head.length === 0) await this.#pull();
    const piece = this.#head.subarray(0, max);
    this.#head = this.#head.subarray(piece.length);
    return piece;
  }

  /** Exactly size bytes, in a buffer of their own. */
  async exactly(size: number): Promise<Buffer> {
    const bytes = Buffer.allocUnsafe(size);
    for (let filled = 0; filled < size;) {
      const piece = await this.upTo(size - filled);
      piece.copy(bytes, filled);
      filled += piece.length;
    }
    return bytes;
  }

  async skip(size: number): Promise<void> {
    for (let left = size; left > 0;) left -= (await this.upTo(left)).length;
  }

  /** The LF that closes every object's content. */
  async endOfObject(): Promise<void> {
    const lf = await this.upTo(1);
    if (lf[0] !== 0x0a) throw new Error('git cat-file output is out of step: no LF after an object');
  }
}
