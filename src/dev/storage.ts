// Where the runtime's storage account is: Azurite from node_modules (in memory, or on disk under
// .data/azurite with --persist) unless AzureWebJobsStorage already names a running account.

import { mkdirSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { startAzurite } from './azurite.js';
import { wantsLocalAzurite } from './settings.js';

/** Azurite's usual ports, used when free so tools configured for UseDevelopmentStorage=true work. */
const DEFAULT_PORTS = { blob: 10000, queue: 10001, table: 10002 };

export interface Storage {
  connectionString: string;
  /** How to describe it in the banner. */
  description: string;
  stop(): Promise<void>;
}

function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)));
  });
}

export async function startStorage(
  configured: string | undefined,
  persist: boolean,
  appDir: string,
): Promise<Storage> {
  if (!wantsLocalAzurite(configured)) {
    return {
      connectionString: configured!,
      description: 'the account in AzureWebJobsStorage (Azurite not started)',
      stop: async () => {},
    };
  }
  const free = await Promise.all(Object.values(DEFAULT_PORTS).map(isFree));
  const location = persist ? join(appDir, '.data', 'azurite') : undefined;
  if (location) mkdirSync(location, { recursive: true });
  const azurite = await startAzurite({ location, ports: free.every(Boolean) ? DEFAULT_PORTS : undefined });
  const { blob, queue, table } = azurite.ports;
  return {
    connectionString: azurite.connectionString,
    description: `Azurite ${location ? `on disk in ${location}` : 'in memory'} (blob ${blob}, queue ${queue}, table ${table})`,
    stop: () => azurite.stop(),
  };
}
