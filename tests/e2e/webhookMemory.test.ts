// Issue 10, item 3: unverified webhook bodies are bounded. Through the real `npm start` runtime:
// large unsigned bodies beyond 4 at once are turned away with 503 + Retry-After while small signed
// deliveries still pass, and 40 concurrent 24 MiB senders do not grow the runtime's memory by more
// than the 4 slots can hold.

import { readFileSync } from 'node:fs';
import { mkdtempSync } from 'node:fs';
import { request, type ClientRequest, type IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { sign } from '../../src/github/signature.js';
import { localAppSettings, startRuntime, type Runtime } from './support/runtime.js';

const SECRET = 'memory-webhook-secret';
const MiB = 1024 * 1024;
let runtime: Runtime;

beforeAll(async () => {
  const workspace = mkdtempSync(join(tmpdir(), 'e2e-webhook-mem-'));
  runtime = await startRuntime({
    env: localAppSettings(workspace, { webhookSecret: SECRET, token: 'unused' }),
  });
});
afterAll(async () => {
  await runtime?.stop();
});

/** Resident and peak resident memory of the runtime process, in bytes (Linux /proc). */
function memoryOf(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)![1]) * 1024;
  return { rss: kb('VmRSS'), peak: kb('VmHWM') };
}

/** Starts an unsigned POST with a chunked body; the caller writes and ends it. */
function openSender(): { req: ClientRequest; response: Promise<IncomingMessage> } {
  const req = request(`${runtime.url}/api/github/webhook`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-github-event': 'push' },
  });
  const response = new Promise<IncomingMessage>((resolve, reject) => {
    req.once('response', (res) => {
      res.resume();
      resolve(res);
    });
    req.once('error', reject);
  });
  return { req, response };
}

function write(req: ClientRequest, bytes: number): Promise<void> {
  return new Promise((resolve, reject) =>
    req.write(Buffer.alloc(bytes, 0x61), (e) => (e ? reject(e) : resolve())),
  );
}

async function signedPing(): Promise<number> {
  const body = JSON.stringify({ zen: 'Keep it logically awesome.', hook_id: 1 });
  const res = await fetch(`${runtime.url}/api/github/webhook`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-github-event': 'ping',
      'x-hub-signature-256': sign(SECRET, body),
    },
    body,
  });
  return res.status;
}

describe('unverified webhook bodies', () => {
  it('holds at most 4 large bodies: the fifth gets 503 with Retry-After, small signed ones still pass', async () => {
    // Five large senders at once. Whichever crosses the 1 MiB threshold last at the server finds the
    // 4 slots taken. Which one that is depends on when the server reads each body, not on when this
    // process wrote it (a write completes once the kernel has the bytes), so the test does not guess:
    // the first answer is the one turned away, since the others cannot be answered before their end.
    const senders = Array.from({ length: 5 }, openSender);
    for (const sender of senders) sender.req.on('error', () => undefined);
    const firstAnswer = Promise.race(senders.map((sender, i) => sender.response.then((res) => ({ i, res }))));
    // The turned-away sender's write may never finish (the server stops reading it): race it.
    await Promise.race([
      Promise.all(senders.map((sender) => write(sender.req, 2 * MiB).catch(() => undefined))),
      firstAnswer,
    ]);
    const { i: turnedAwayAt, res: turnedAway } = await firstAnswer;
    senders[turnedAwayAt]!.req.destroy();
    expect(turnedAway.statusCode).toBe(503);
    expect(turnedAway.headers['retry-after']).toBe('5');

    expect(await signedPing()).toBe(200);

    const held = senders.filter((_, i) => i !== turnedAwayAt);
    for (const sender of held) sender.req.end();
    const statuses = await Promise.all(held.map(async (s) => (await s.response).statusCode));
    expect(statuses).toEqual([401, 401, 401, 401]);

    // Slots are given back: a large body is read (and rejected for its signature) again.
    const after = openSender();
    await write(after.req, 2 * MiB);
    after.req.end();
    expect((await after.response).statusCode).toBe(401);
  });

  it('keeps memory bounded under 40 concurrent 24 MiB unsigned senders', async () => {
    const pid = runtime.child.pid!;
    const before = memoryOf(pid);
    const senders = Array.from({ length: 40 }, async () => {
      const sender = openSender();
      sender.req.on('error', () => undefined);
      let answered = false;
      const response = sender.response.then(
        (res) => ((answered = true), res),
        () => ((answered = true), undefined),
      );
      try {
        // A sender turned away stops sending: the server no longer reads its body.
        for (let sent = 0; sent < 24 * MiB && !answered; sent += MiB) {
          await Promise.race([write(sender.req, MiB), response]);
        }
        if (!answered) sender.req.end();
      } catch {
        // the server closed the request mid-body
      }
      const res = await response;
      sender.req.destroy();
      return res?.statusCode;
    });
    const statuses = await Promise.all(senders);
    const after = memoryOf(pid);
    expect(statuses.every((s) => s === undefined || s === 401 || s === 503)).toBe(true);
    expect(statuses.filter((s) => s === 503).length).toBeGreaterThan(0);
    // 4 slots × 24 MiB (hashed as they arrive, never copied), the first MiB of each body turned
    // away, and slack for the runtime's own buffers. Unbounded, 40 × 24 MiB = 960 MiB would be held.
    const growth = after.peak - Math.max(before.peak, before.rss);
    console.log(
      `webhook flood: RSS ${Math.round(before.rss / MiB)} → peak ${Math.round(after.peak / MiB)} MiB ` +
        `(growth ${Math.round(growth / MiB)} MiB); statuses ${JSON.stringify(countBy(statuses))}`,
    );
    expect(growth).toBeLessThan(256 * MiB);
  });
});

function countBy(values: (number | undefined)[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const v of values) counts[String(v)] = (counts[String(v)] ?? 0) + 1;
  return counts;
}
