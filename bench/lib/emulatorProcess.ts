// The Azure Files emulator in a process of its own, so its request handling does not share the
// measured code's event loop (as the real service would not). Driven over IPC:
// {op: 'counts' | 'reset' | 'latency' | 'delivered' | 'cpu' | 'stop', ms?}; the first message it sends is {url, connectionString}.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFilesEmulator, type FilesEmulator } from '../../tests/support/files-emulator/index.js';

type Counts = FilesEmulator['counts'];
type Message = { op: 'counts' | 'reset' | 'latency' | 'delivered' | 'cpu' | 'stop'; ms?: number };

export interface RemoteEmulator {
  connectionString: string;
  counts(): Promise<Counts>;
  resetCounts(): Promise<void>;
  /** Delay before every response from now on (e.g. 0 while a benchmark fills the share). */
  setLatency(ms: number): Promise<void>;
  /** The mean delay the emulator actually served per request since the last reset (FilesEmulator.deliveredLatencyMs). */
  deliveredLatencyMs(): Promise<number>;
  /** The emulator process's CPU time so far (user + system), to see what it took from the machine. */
  cpuMs(): Promise<number>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(latencyMs: number): Promise<RemoteEmulator> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
  });
  const replies: ((value: unknown) => void)[] = [];
  child.on('message', (message) => replies.shift()?.(message));
  const ask = <T>(message?: Message) =>
    new Promise<T>((resolve) => {
      replies.push(resolve as (value: unknown) => void);
      if (message) child.send(message);
    });
  const { connectionString } = await ask<{ connectionString: string }>();
  return {
    connectionString,
    counts: () => ask<Counts>({ op: 'counts' }),
    resetCounts: () => ask<void>({ op: 'reset' }),
    setLatency: (ms) => ask<void>({ op: 'latency', ms }),
    deliveredLatencyMs: () => ask<number>({ op: 'delivered' }),
    cpuMs: () => ask<number>({ op: 'cpu' }),
    stop: async () => {
      await ask({ op: 'stop' });
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const emulator = await startFilesEmulator({ latencyMs: Number(process.argv[2]) });
  process.on('message', async (message: Message) => {
    if (message.op === 'counts') process.send!({ ...emulator.counts });
    if (message.op === 'reset') {
      emulator.resetCounts();
      process.send!({});
    }
    if (message.op === 'latency') {
      emulator.setLatency(message.ms ?? 0);
      process.send!({});
    }
    if (message.op === 'delivered') process.send!(emulator.deliveredLatencyMs());
    if (message.op === 'cpu') {
      const { user, system } = process.cpuUsage();
      process.send!((user + system) / 1000);
    }
    if (message.op === 'stop') {
      await emulator.stop();
      process.send!({}, () => process.exit(0));
    }
  });
  process.send({ url: emulator.url, connectionString: emulator.connectionString });
}
