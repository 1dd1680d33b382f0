// Starts Azurite (blob, queue, table) from node_modules as a child process on free or given
// ports. Used by `npm start` and by the integration tests, so both run the same way.
//
// The child dies with its parent, even a SIGKILLed one (issue 10 item 14): Azurite runs inside
// a tiny wrapper whose stdin is a pipe from the parent. Only the parent holds the pipe's write
// end, so the kernel closes it when the parent exits in any way, the wrapper reads EOF and
// shuts Azurite down. A pipe works the same on Linux and macOS, and needs no polling.
// The child is stopped the same way: the parent closes the pipe.

import { spawn, type ChildProcess } from 'node:child_process';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { dirname, join } from 'node:path';

/** Azurite's fixed development account; public and documented, not a secret. */
export const DEV_ACCOUNT = 'devstoreaccount1';
export const DEV_KEY =
  'Eby8vdM02xNOcqFlqUwJPLlmEtlCDXJ1OUzFT50uSRZ6IFsuFq2UVErCz4I6tq/K1SZFPTOtr/KBHBeksoGMGw==';

export interface AzuriteOptions {
  /** Folder for on-disk data; in memory when omitted. */
  location?: string;
  ports?: { blob: number; queue: number; table: number };
}

export interface RunningAzurite {
  connectionString: string;
  ports: { blob: number; queue: number; table: number };
  /** The Azurite process (the wrapper, which runs Azurite in-process). */
  pid: number;
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return (await freePorts(1))[0]!;
}

/**
 * `count` distinct TCP ports that were free a moment ago on 127.0.0.1. All are held open until
 * each is known: asking one at a time can hand out the same port twice, since a closed one is free
 * again at once.
 */
export async function freePorts(count: number): Promise<number[]> {
  const servers = Array.from({ length: count }, () => createServer());
  try {
    return await Promise.all(
      servers.map(
        (server) =>
          new Promise<number>((resolve, reject) => {
            server.on('error', reject);
            server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
          }),
      ),
    );
  } finally {
    await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
  }
}

export function connectionStringFor(ports: { blob: number; queue: number; table: number }): string {
  const base = 'http://127.0.0.1';
  return [
    'DefaultEndpointsProtocol=http',
    `AccountName=${DEV_ACCOUNT}`,
    `AccountKey=${DEV_KEY}`,
    `BlobEndpoint=${base}:${ports.blob}/${DEV_ACCOUNT}`,
    `QueueEndpoint=${base}:${ports.queue}/${DEV_ACCOUNT}`,
    `TableEndpoint=${base}:${ports.table}/${DEV_ACCOUNT}`,
  ].join(';');
}

function azuriteMain(): string {
  const require = createRequire(import.meta.url);
  return join(dirname(require.resolve('azurite/package.json')), 'dist', 'src', 'azurite.js');
}

/** How long Azurite may take to close its servers once its parent is gone. */
const ORPHAN_EXIT_MS = 2_000;

/**
 * The wrapper, run with `node -e WRAPPER <azurite.js> <azurite args…>`: Azurite in this process
 * (its CLI reads process.argv), and on EOF or an error on stdin, Azurite's own SIGTERM shutdown
 * (which closes its stores), then exit whatever is still open. Plain JavaScript in a string
 * because it must run from the compiled runtime and from the TypeScript tests alike.
 */
const WRAPPER = `
const [azurite, ...args] = process.argv.slice(1);
process.argv = [process.argv[0], azurite, ...args];
const parentGone = () => {
  setTimeout(() => process.exit(0), ${ORPHAN_EXIT_MS}).unref();
  process.kill(process.pid, 'SIGTERM');
};
process.stdin.once('end', parentGone).once('error', parentGone).resume();
require(azurite);
`;

/** Tries with new ports when others took one between our check and Azurite's bind. */
const PORT_ATTEMPTS = 3;

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await startAzuriteOn(options.ports ?? (await pickPorts()), options);
    } catch (error) {
      const taken = /EADDRINUSE/.test(String((error as Error).message));
      if (options.ports || !taken || attempt >= PORT_ATTEMPTS) throw error;
    }
  }
}

async function pickPorts(): Promise<RunningAzurite['ports']> {
  const [blob, queue, table] = (await freePorts(3)) as [number, number, number];
  return { blob, queue, table };
}

async function startAzuriteOn(
  ports: RunningAzurite['ports'],
  options: AzuriteOptions,
): Promise<RunningAzurite> {
  const args = [
    '-e',
    WRAPPER,
    azuriteMain(),
    '--blobPort',
    String(ports.blob),
    '--queuePort',
    String(ports.queue),
    '--tablePort',
    String(ports.table),
    '--skipApiVersionCheck',
    '--disableTelemetry',
    '--loose',
    '--silent',
    ...(options.location ? ['--location', options.location] : ['--inMemoryPersistence']),
  ];
  // Its own process group: Ctrl+C in a terminal signals the whole foreground group, and the
  // runtime still needs storage while running functions finish; the runtime stops it last.
  const child = spawn(process.execPath, args, { stdio: ['pipe', 'pipe', 'pipe'], detached: true });
  await waitForListening(child);
  return {
    connectionString: connectionStringFor(ports),
    ports,
    pid: child.pid!,
    stop: () => stopChild(child),
  };
}

function waitForListening(child: ChildProcess): Promise<void> {
  return new Promise((resolve, reject) => {
    let output = '';
    let listening = 0;
    const timer = setTimeout(() => fail(new Error(`Azurite did not start in 30 s:\n${output}`)), 30_000);
    const fail = (error: Error) => {
      clearTimeout(timer);
      child.kill('SIGKILL');
      reject(error);
    };
    const onData = (chunk: Buffer) => {
      output += chunk.toString();
      listening = (output.match(/successfully listening/g) ?? []).length;
      if (listening >= 3) {
        clearTimeout(timer);
        child.stdout?.off('data', onData);
        child.stdout?.resume();
        child.stderr?.resume();
        resolve();
      }
    };
    child.stdout?.on('data', onData);
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.once('exit', (code) => fail(new Error(`Azurite exited with ${code}:\n${output}`)));
  });
}

/** Closing stdin is the wrapper's stop signal, the same path as a parent that died. */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.stdin?.end();
  });
}
