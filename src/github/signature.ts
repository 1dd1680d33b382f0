// GitHub's webhook signature: HMAC-SHA256 of the raw body bytes with the shared secret, sent as
// `X-Hub-Signature-256: sha256=<hex>`. Compared in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

/** The raw body, whole or as the chunks it arrived in (hashed in place, never joined to verify it). */
export type SignedBody = Uint8Array | string | readonly Uint8Array[];

export function sign(secret: string, body: SignedBody): string {
  const hmac = createHmac('sha256', secret);
  for (const chunk of Array.isArray(body) ? body : [body as Uint8Array | string]) hmac.update(chunk);
  return `sha256=${hmac.digest('hex')}`;
}

/** True only for a well-formed `sha256=` signature that matches; never says which part was wrong. */
export function verify(secret: string, body: SignedBody, signature: string | null | undefined): boolean {
  if (!signature || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(sign(secret, body).slice(7), 'hex');
  const given = Buffer.from(signature.slice(7), 'hex');
  return timingSafeEqual(expected, given);
}
