// GitHub's webhook signature: HMAC-SHA256 of the raw body bytes with the shared secret, sent as
// `X-Hub-Signature-256: sha256=<hex>`. Compared in constant time.

import { createHmac, timingSafeEqual } from 'node:crypto';

export function sign(secret: string, body: Uint8Array | string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/** True only for a well-formed `sha256=` signature that matches; never says which part was wrong. */
export function verify(
  secret: string,
  body: Uint8Array | string,
  signature: string | null | undefined,
): boolean {
  if (!signature || !/^sha256=[0-9a-f]{64}$/i.test(signature)) return false;
  const expected = Buffer.from(sign(secret, body).slice(7), 'hex');
  const given = Buffer.from(signature.slice(7), 'hex');
  return timingSafeEqual(expected, given);
}
