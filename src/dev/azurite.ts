// Starts Azurite (blob, queue, table) from node_modules as a child process on free or given
// ports. Used by `npm start` and by the integration tests, so both run the same way.

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
  stop(): Promise<void>;
}

/** A TCP port that was free a moment ago on 127.0.0.1. */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => (typeof address === 'object' && address ? resolve(address.port) : reject()));
    });
  });
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

export async function startAzurite(options: AzuriteOptions = {}): Promise<RunningAzurite> {
  const ports = options.ports ?? { blob: await freePort(), queue: await freePort(), table: await freePort() };
  const args = [
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
  const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  await waitForListening(child);
  return {
    connectionString: connectionStringFor(ports),
    ports,
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

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
    child.once('exit', () => {
      clearTimeout(timer);
      resolve();
    });
    child.kill('SIGTERM');
  });
}
