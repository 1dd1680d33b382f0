// Bounded request bodies: the size is checked from Content-Length before reading and again
// while reading (chunked bodies have no length), so a huge body never lands in memory.

import type { HttpRequest } from '@azure/functions';
import { AppError } from '../errors.js';

function tooLarge(limit: number): AppError {
  return new AppError(413, 'PAYLOAD_TOO_LARGE', `Body is larger than ${limit} bytes`);
}

export async function readBody(request: HttpRequest, limit: number): Promise<Buffer> {
  const declared = Number(request.headers.get('content-length') ?? NaN);
  if (declared > limit) throw tooLarge(limit);
  if (!request.body) return Buffer.alloc(0);
  const chunks: Buffer[] = [];
  let size = 0;
  const reader = request.body.getReader();
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      throw tooLarge(limit);
    }
    chunks.push(Buffer.from(value));
  }
  return Buffer.concat(chunks);
}

const JSON_LIMIT = 64 * 1024;

/** A small JSON object body, or 400 INVALID_BODY. */
export async function readJsonObject(request: HttpRequest): Promise<Record<string, unknown>> {
  const body = await readBody(request, JSON_LIMIT);
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch {
    throw new AppError(400, 'INVALID_BODY', 'Body must be a JSON object');
  }
  if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) {
    throw new AppError(400, 'INVALID_BODY', 'Body must be a JSON object');
  }
  return parsed as Record<string, unknown>;
}
