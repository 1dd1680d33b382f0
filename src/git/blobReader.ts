// File content straight from the object database: one long-lived `git cat-file --batch` per
// checkout, asked for blobs by object id. The workspace gets exactly the committed bytes — no
// .gitattributes (eol, ident, filters, export-subst) and no LFS smudge ever runs here.
//
// This is the one git command not run through simple-git: simple-git runs a command to the end
// and hands back its whole output, and has no way to keep a process open, write requests to its
// stdin and read its stdout as a stream. A plain spawn does that.

import { spawn } from 'node:child_process';
import { Readable, type Writable } from 'node:stream';
import { isObjectId, parseBatchHeader, StreamCursor } from './batchFrames.js';
import { GitError } from './errors.js';

/** Blobs up to this size are handed out as a Buffer; larger ones as a stream. */
export const BUFFERED_BLOB_BYTES = 1024 * 1024;
/** The most a stream holds in memory ahead of its reader. */
const STREAM_CHUNK_BYTES = 64 * 1024;

const readFailed = (reason: string) => new GitError('CLONE_FAILED', `git cat-file failed: ${reason}`);

/**
 * Serves blob reads over one cat-file process. Requests are written to git within the turn of
 * the event loop they are made in (git works ahead while earlier objects are consumed); their
 * objects are read back strictly in request order, each one completely — a stream's unread rest is
 * skipped when it is destroyed — before the next, so no caller ever sees another's bytes.
 */
export class BlobReader {
  readonly #requests: Writable;
  readonly #cursor: StreamCursor;
  /** Settles once every object requested so far has been read or skipped. */
  #previous: Promise<void> = Promise.resolve();
  #broken?: GitError;
  /** Object ids waiting to be written to git (see #ask). */
  #asked: string[] = [];

  constructor(requests: Writable, objects: AsyncIterable<Buffer>) {
    this.#requests = requests;
    this.#cursor = new StreamCursor(objects);
    requests.on('error', (error: Error) => this.#break(error));
  }

  /** The blob's bytes: a Buffer up to BUFFERED_BLOB_BYTES, else a Readable that must be read or destroyed. */
  read(sha: string, expectedSize: number): Promise<Buffer | Readable> {
    if (!isObjectId(sha)) return Promise.reject(readFailed(`not an object id: ${JSON.stringify(sha)}`));
    if (this.#broken) return Promise.reject(this.#broken);
    this.#ask(sha);
    const object = this.#previous.then(() => this.#take(sha, expectedSize));
    // The next object waits until this one is off the pipe, whether or not anyone wanted it.
    this.#previous = object.then(
      (taken) => taken.done,
      () => undefined,
    );
    return object.then((taken) => taken.body);
  }

  /**
   * Queues the request line; lines asked for in the same turn of the event loop go to git in one
   * pipe write. A write per blob cost ~100 µs of CPU on a busy machine (the kernel wakes git for
   * each), as much as the storage request that carries the blob.
   */
  #ask(sha: string): void {
    this.#asked.push(sha);
    if (this.#asked.length > 1) return;
    setImmediate(() => {
      const lines = `${this.#asked.join('\n')}\n`;
      this.#asked = [];
      if (!this.#requests.writableEnded) this.#requests.write(lines);
    });
  }

  /** No more reads: the ones waiting and any later one fail. */
  close(): void {
    this.#break(readFailed('the checkout was removed'));
    this.#requests.end();
  }

  /** Fails every read from now on; the process's own end is its owner's business. */
  #break(cause: unknown): GitError {
    this.#broken ??= cause instanceof GitError ? cause : readFailed((cause as Error).message);
    return this.#broken;
  }

  async #take(sha: string, expectedSize: number): Promise<{ body: Buffer | Readable; done: Promise<void> }> {
    if (this.#broken) throw this.#broken;
    let header;
    try {
      header = parseBatchHeader(await this.#cursor.line());
      if (header.sha !== sha) throw new Error(`asked for ${sha}, got ${header.sha}`);
    } catch (error) {
      throw this.#break(error);
    }
    if (header.missing) throw readFailed(`object ${sha} is missing`);
    if (header.type !== 'blob' || header.size !== expectedSize) {
      await this.#skip(header.size);
      throw readFailed(
        `object ${sha} is a ${header.type} of ${header.size} bytes, not a blob of ${expectedSize}`,
      );
    }
    if (header.size <= BUFFERED_BLOB_BYTES) {
      try {
        const body = await this.#cursor.exactly(header.size);
        await this.#cursor.endOfObject();
        return { body, done: Promise.resolve() };
      } catch (error) {
        throw this.#break(error);
      }
    }
    return this.#stream(header.size);
  }

  async #skip(size: number): Promise<void> {
    try {
      await this.#cursor.skip(size);
      await this.#cursor.endOfObject();
    } catch (error) {
      throw this.#break(error);
    }
  }

  /** A stream over the object's bytes, pulled from git only as fast as its reader reads. */
  #stream(size: number): { body: Readable; done: Promise<void> } {
    let left = size;
    let pulling: Promise<void> | undefined;
    let finished: Promise<void> | undefined;
    let settle: () => void = () => undefined;
    // Once: after the last byte, or when the reader gives up (destroy) — then the rest is skipped.
    const finish = () =>
      (finished ??= (pulling ?? Promise.resolve())
        .then(() => this.#skip(left))
        .catch(() => undefined)
        .then(() => settle()));
    const body = new Readable({
      highWaterMark: STREAM_CHUNK_BYTES,
      read: () => {
        pulling ??= this.#cursor.upTo(Math.min(left, STREAM_CHUNK_BYTES)).then(
          (piece) => {
            left -= piece.length;
            pulling = undefined;
            if (finished) return; // destroyed while this piece was on its way
            body.push(piece);
            if (left === 0) {
              body.push(null);
              void finish();
            }
          },
          (error: unknown) => {
            pulling = undefined;
            body.destroy(this.#break(error));
          },
        );
      },
      destroy: (error, callback) => {
        void finish();
        callback(error);
      },
    });
    return {
      body,
      done: new Promise((resolve) => {
        settle = resolve;
      }),
    };
  }
}

/** A running `git cat-file --batch` in the repository at dir, and how to stop it. */
export interface BlobProcess {
  reader: BlobReader;
  /** Ends the process; reads still waiting fail. */
  close(): Promise<void>;
}

export function startBlobProcess(dir: string, env: NodeJS.ProcessEnv, signal?: AbortSignal): BlobProcess {
  const child = spawn('git', ['cat-file', '--batch'], {
    cwd: dir,
    env,
    stdio: ['pipe', 'pipe', 'pipe'],
    signal,
  });
  let stderr = '';
  child.stderr.setEncoding('utf8').on('data', (text: string) => {
    stderr = (stderr + text).slice(-2000);
  });
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  // A spawn failure (no git) or an abort ends the output; the read that meets the end says why.
  let spawnError = '';
  child.on('error', (error) => {
    spawnError = error.message;
  });
  const objects = (async function* () {
    for await (const chunk of child.stdout) yield chunk as Buffer;
    throw new Error(
      spawnError ||
        stderr.trim().split('\n').slice(-3).join(' ') ||
        `git cat-file exited (${child.exitCode ?? child.signalCode})`,
    );
  })();
  const reader = new BlobReader(child.stdin, objects);
  return {
    reader,
    async close() {
      reader.close();
      if (child.exitCode === null && child.signalCode === null) child.kill();
      await exited;
    },
  };
}
