// Issue 10 item 14: a SIGKILLed `npm start` must not leave its Azurite running (orphaned under
// PID 1, holding the ports). The parent here is a process that starts Azurite exactly as the
// runtime does; it is SIGKILLed, so none of its own clean-up can run.

import { execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { connect } from 'node:net';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { afterEach, expect, it } from 'vitest';
import { waitFor } from '../e2e/support/runtime.js';

const LAUNCHER = join(import.meta.dirname, 'devAzuriteLauncher.ts');

/** Alive and not a zombie (an orphan's zombie is dead; it only waits for PID 1 to reap it). */
function isRunning(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  const state = execFileSync('ps', ['-o', 'stat=', '-p', String(pid)], { encoding: 'utf8' }).trim();
  return state !== '' && !state.startsWith('Z');
}

function isListening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

let strayPid: number | undefined;
afterEach(() => {
  // A failed run must not leave Azurite behind either.
  if (strayPid && isRunning(strayPid)) process.kill(strayPid, 'SIGKILL');
});

it('Azurite exits and frees its ports when its parent is SIGKILLed', async () => {
  const parent = spawn(process.execPath, ['--import', 'tsx', LAUNCHER], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const [line] = (await once(createInterface({ input: parent.stdout! }), 'line')) as [string];
  const { pid, ports } = JSON.parse(line) as { pid: number; ports: Record<string, number> };
  strayPid = pid;
  expect(isRunning(pid)).toBe(true);
  for (const port of Object.values(ports)) expect(await isListening(port)).toBe(true);

  const exited = once(parent, 'exit');
  parent.kill('SIGKILL');
  await exited;

  const started = Date.now();
  await waitFor(
    'Azurite to exit and free its ports',
    async () => {
      const listening = await Promise.all(Object.values(ports).map(isListening));
      return !isRunning(pid) && !listening.some(Boolean) ? true : undefined;
    },
    10_000,
    50,
  );
  // Figure for the closing note: how long an orphaned Azurite outlives its parent.
  console.log(`Azurite gone ${Date.now() - started} ms after its parent was SIGKILLed`);
});
