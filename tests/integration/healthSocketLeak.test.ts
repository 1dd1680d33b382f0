// GET /api/health against a storage account (AzureWebJobsStorage: blobs, queues, tables) that
// accepts connections and never answers: every probe must answer 503 at the checks' timeout and
// leave no connection open behind it. The platform probes /api/health every minute, so one request
// left waiting per probe would pile up sockets for as long as the account hangs.
//
// The hung dependency reads and discards what it is sent: a peer that never reads never sees the
// client's FIN either (the request and the EOF wait unread in its receive buffer), so its socket
// would stay open whatever the client did, and could not tell a leak from a clean abort. (That is
// what a bare `createServer(() => undefined)` shows after an aborted blob call: the client socket is
// destroyed and sits in FIN-WAIT-2, owned by no process, while the server holds CLOSE-WAIT.)
//
// The workspace is an Azure Files share on the same hung endpoint: its ping passes the check's
// signal to its listing, and the share's creation on first use is bounded on its own (10 s).

import { HttpRequest, InvocationContext } from '@azure/functions';
import { createServer, type Server, type Socket } from 'node:net';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ShareServiceClient } from '@azure/storage-file-share';
import { DEV_ACCOUNT, DEV_KEY } from '../../src/dev/azurite.js';

const PROBES = 5;
/**
 * Far above the route's 3 s per check: a probe without an answer by then, or a socket still open by
 * then, is one the app never gives up on.
 */
const DEADLINE_MS = 20_000;

interface HungDependency {
  server: Server;
  port: number;
  accepted: number;
  /** Open connections and the request line each one carried (names the call that leaked). */
  open: Map<Socket, string>;
  /** Resolves when no connection is open; rejects with what is still open after timeoutMs. */
  allClosed(timeoutMs: number): Promise<void>;
}

async function startHungDependency(): Promise<HungDependency> {
  const open = new Map<Socket, string>();
  let onLastClose: (() => void) | undefined;
  const dependency: HungDependency = {
    server: createServer((socket) => {
      dependency.accepted += 1;
      open.set(socket, '');
      socket.on('data', (chunk: Buffer) => {
        if (!open.get(socket)) open.set(socket, chunk.toString('latin1').split('\r\n', 1)[0]!);
      });
      socket.on('error', () => undefined);
      socket.on('close', () => {
        open.delete(socket);
        if (open.size === 0) onLastClose?.();
      });
    }),
    port: 0,
    accepted: 0,
    open,
    allClosed(timeoutMs) {
      if (open.size === 0) return Promise.resolve();
      return new Promise((resolve, reject) => {
        const deadline = setTimeout(() => {
          onLastClose = undefined;
          reject(new Error(`${open.size} connection(s) still open: ${[...open.values()].join(' | ')}`));
        }, timeoutMs);
        onLastClose = () => {
          clearTimeout(deadline);
          onLastClose = undefined;
          resolve();
        };
      });
    },
  };
  await new Promise<void>((resolve) => dependency.server.listen(0, '127.0.0.1', resolve));
  dependency.port = (dependency.server.address() as { port: number }).port;
  return dependency;
}

/** Rejects, naming what is still open, when the probe has not answered by the deadline. */
function answerWithin<T>(answer: Promise<T>, what: string): Promise<T> {
  let deadline: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    deadline = setTimeout(() => {
      const open = [...hung.open.values()].join(' | ');
      reject(new Error(`${what} had no answer within ${DEADLINE_MS} ms; open: ${open}`));
    }, DEADLINE_MS);
  });
  return Promise.race([answer, late]).finally(() => clearTimeout(deadline));
}

let hung: HungDependency;

beforeAll(async () => {
  hung = await startHungDependency();
  const endpoint = `http://127.0.0.1:${hung.port}/${DEV_ACCOUNT}`;
  const account = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY}`;
  // Read once per process by getConfig(), before the handler's first call below.
  Object.assign(process.env, {
    AzureWebJobsStorage: `${account};BlobEndpoint=${endpoint};QueueEndpoint=${endpoint};TableEndpoint=${endpoint};`,
    WORKSPACE_BACKEND: 'azure-files',
    WORKSPACE_FILES_CONNECTION: `${account};FileEndpoint=${endpoint};`,
    WORKSPACE_SHARE: 'workspace',
  });
});

afterAll(async () => {
  for (const socket of hung?.open.keys() ?? []) socket.destroy();
  await new Promise((resolve) => hung?.server.close(resolve));
});

it(`leaves no connection open after ${PROBES} probes of a hung storage account`, async () => {
  const { health } = await import('../../src/functions/health.js');
  for (let probe = 0; probe < PROBES; probe++) {
    const response = await answerWithin(
      health(
        new HttpRequest({ method: 'GET', url: 'http://127.0.0.1/api/health' }),
        new InvocationContext({ functionName: 'health' }),
      ),
      `probe ${probe + 1}`,
    );
    expect(response.status).toBe(503);
    expect(response.jsonBody).toMatchObject({
      status: 'unhealthy',
      checks: {
        table: { status: 'down', reason: 'no answer within 3000 ms' },
        queue: { status: 'down', reason: 'no answer within 3000 ms' },
        blob: { status: 'down', reason: 'no answer within 3000 ms' },
        // At the check's timeout, or the share's creation (10 s) gave up first: down either way.
        workspace: { status: 'down' },
      },
    });
  }
  // Each probe reached the hung account with all of its calls (the three checks and the read of
  // the connection's token expiry), and the share's creation was tried at least once, else the
  // count below would prove nothing.
  expect(hung.accepted).toBeGreaterThan(4 * PROBES);
  await hung.allClosed(DEADLINE_MS);
  expect(hung.open.size).toBe(0);
});

it('an Azure Files ping given up on closes its request (a share that already exists: no creation first)', async () => {
  const { AzureFilesWorkspaceStore } = await import('../../src/workspace/azureFilesStore.js');
  const endpoint = `http://127.0.0.1:${hung.port}/${DEV_ACCOUNT}`;
  const account = `DefaultEndpointsProtocol=http;AccountName=${DEV_ACCOUNT};AccountKey=${DEV_KEY}`;
  const share = ShareServiceClient.fromConnectionString(`${account};FileEndpoint=${endpoint};`, {
    retryOptions: { maxTries: 1 },
  }).getShareClient('workspace');
  const store = new AzureFilesWorkspaceStore(share);
  const before = hung.accepted;
  for (let probe = 0; probe < PROBES; probe++) {
    await expect(store.ping(AbortSignal.timeout(300))).rejects.toThrow();
  }
  expect(hung.accepted - before).toBe(PROBES);
  await hung.allClosed(DEADLINE_MS);
});
