// Bounded request bodies: the size is checked from Content-Length before reading and again
// while reading (chunked bodies have no length), so a huge body never lands in memory.

import type { HttpRequest } from '@azure/functions';
import { AppError } from '../errors.js';

function tooLarge(limit: number): AppError {
  return new AppError('PAYLOAD_TOO_LARGE', `Body is larger than ${limit} bytes`);
}

/**
 * At most `slots` bodies over `threshold` bytes held at once. Unauthenticated senders (webhook
 * bodies before their signature is checked) could otherwise make the app buffer any number of
 * 25 MB bodies; past the slots they are turned away with 503 and Retry-After.
 */
export class LargeBodyGate {
  #held = 0;

  constructor(
    readonly threshold: number,
    readonly slots: number,
  ) {}

  /** A release function, or undefined when every slot is taken. */
  tryEnter(): (() => void) | undefined {
    if (this.#held >= this.slots) return undefined;
    this.#held++;
    let released = false;
    return () => {
      if (!released) this.#held--;
      released = true;
    };
  }
}

export interface GatedBody {
  /** The body as it arrived: a big unverified body is not copied into one buffer. */
  chunks: Buffer[];
  /** Gives the gate's slot back (no-op for small bodies); call once the body is trusted or dropped. */
  release(): void;
}

const noop = () => undefined;

export async function readBody(request: HttpRequest, limit: number): Promise<Buffer> {
  return Buffer.concat((await readGatedBody(request, limit)).chunks);
}

/** Reads a bounded body; once it passes the gate's threshold it needs a slot, or 503 BUSY. */
export async function readGatedBody(
  request: HttpRequest,
  limit: number,
  gate?: LargeBodyGate,
): Promise<GatedBody> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  let release: () => void = noop;
  const enter = () => {
    const slot = gate?.tryEnter();
    if (!slot) {
      throw new AppError('BUSY', 'Too many large requests are being received; try again shortly', {
        retryAfterSeconds: 5,
      });
    }
    release = slot;
  };
  if (gate && declared > gate.threshold) enter();
  try {
    if (!request.body) return { chunks: [], release };
    const chunks: Buffer[] = [];
    let size = 0;
    const reader = request.body.getReader();
    try {
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        size += value.byteLength;
        if (size > limit) throw tooLarge(limit);
        if (gate && release === noop && size > gate.threshold) enter();
        chunks.push(Buffer.from(value.buffer, value.byteOffset, value.byteLength));
      }
    } catch (error) {
      await reader.cancel().catch(() => undefined);
      throw error;
    }
    return { chunks, release };
  } catch (error) {
    release();
    throw error;
  }
}

const JSON_LIMIT = 64 * 1024;

/** A small JSON object body, or 400 INVALID_BODY. */
export async function readJsonObject(request: HttpRequest): Promise<Record<string, unknown>> {
  const body = await readBody(request, JSON_LIMIT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError('INVALID_BODY', 'Body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError('INVALID_BODY', 'Body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
