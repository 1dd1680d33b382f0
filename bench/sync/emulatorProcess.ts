// The Azure Files emulator in a process of its own, so its request handling does not share the
// measured sync's event loop (as the real service would not). Driven over IPC:
// {op: 'counts' | 'reset' | 'stop'}; the first message it sends is {url, connectionString}.

import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startFilesEmulator, type FilesEmulator } from '../../tests/support/files-emulator/index.js';

type Counts = FilesEmulator['counts'];

export interface RemoteEmulator {
  connectionString: string;
  counts(): Promise<Counts>;
  resetCounts(): Promise<void>;
  stop(): Promise<void>;
}

export async function startEmulatorProcess(latencyMs: number): Promise<RemoteEmulator> {
  const child: ChildProcess = fork(fileURLToPath(import.meta.url), [String(latencyMs)], {
    execArgv: ['--import', 'tsx'],
  });
  const replies: ((value: unknown) => void)[] = [];
  child.on('message', (message) => replies.shift()?.(message));
  const ask = <T>(op?: string) =>
    new Promise<T>((resolve) => {
      replies.push(resolve as (value: unknown) => void);
      if (op) child.send({ op });
    });
  const { connectionString } = await ask<{ connectionString: string }>();
  return {
    connectionString,
    counts: () => ask<Counts>('counts'),
    resetCounts: () => ask<void>('reset'),
    stop: async () => {
      await ask('stop');
      await new Promise((resolve) => child.once('exit', resolve));
    },
  };
}

if (process.send && process.argv[1] === fileURLToPath(import.meta.url)) {
  const emulator = await startFilesEmulator({ latencyMs: Number(process.argv[2]) });
  process.on('message', async (message: { op: string }) => {
    if (message.op === 'counts') process.send!({ ...emulator.counts });
    if (message.op === 'reset') {
      emulator.resetCounts();
      process.send!({});
    }
    if (message.op === 'stop') {
      await emulator.stop();
      process.send!({}, () => process.exit(0));
    }
  });
  process.send({ url: emulator.url, connectionString: emulator.connectionString });
}
