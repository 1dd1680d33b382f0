import { describe, expect, it } from 'vitest';
import { sign, verify } from '../../src/github/signature.js';

// GitHub's published test vector (docs: "Validating webhook deliveries").
const SECRET = "It's a Secret to Everybody";
const PAYLOAD = 'Hello, World!';
const SIGNATURE = 'sha256=757107ea0eb2509fc211221cce984b8a37570b6d7586c22c46f4379c8b043e17';

describe('webhook signature', () => {
  it('matches GitHub published vector', () => {
    expect(sign(SECRET, PAYLOAD)).toBe(SIGNATURE);
    expect(verify(SECRET, Buffer.from(PAYLOAD), SIGNATURE)).toBe(true);
  });

  it('accepts upper-case hex', () => {
    expect(verify(SECRET, PAYLOAD, SIGNATURE.toUpperCase().replace('SHA256', 'sha256'))).toBe(true);
  });

  it.each([
    ['missing', undefined],
    ['empty', ''],
    ['sha1 only', 'sha1=0123456789abcdef0123456789abcdef01234567'],
    ['no prefix', SIGNATURE.slice(7)],
    ['truncated', SIGNATURE.slice(0, -2)],
    ['one digit off', SIGNATURE.slice(0, -1) + '8'],
    ['too long', SIGNATURE + '00'],
    ['not hex', 'sha256=' + 'z'.repeat(64)],
    // The whole header must be one signature, not merely end with one.
    ['doubled', SIGNATURE + SIGNATURE],
    ['twice-prefixed', 'sha256=' + SIGNATURE],
  ])('rejects a %s signature', (_name, signature) => {
    expect(verify(SECRET, PAYLOAD, signature)).toBe(false);
  });

  it('rejects the right signature with another secret or another body', () => {
    expect(verify('other', PAYLOAD, SIGNATURE)).toBe(false);
    expect(verify(SECRET, PAYLOAD + ' ', SIGNATURE)).toBe(false);
  });

  it('signs the raw bytes, so bytes that are not valid UTF-8 still verify exactly', () => {
    const bytes = Buffer.from([0xff, 0xfe, 0x00, 0x41]);
    expect(verify(SECRET, bytes, sign(SECRET, bytes))).toBe(true);
    expect(verify(SECRET, Buffer.from(bytes.toString('utf8')), sign(SECRET, bytes))).toBe(false);
  });

  it('verifies a body from the chunks it arrived in, wherever they split', () => {
    const bytes = Buffer.from(PAYLOAD);
    for (const cut of [0, 1, 7, bytes.length - 1, bytes.length]) {
      const chunks = [bytes.subarray(0, cut), bytes.subarray(cut)];
      expect(verify(SECRET, chunks, SIGNATURE), `cut at ${cut}`).toBe(true);
    }
    expect(verify(SECRET, [bytes.subarray(1)], SIGNATURE)).toBe(false);
  });
});
