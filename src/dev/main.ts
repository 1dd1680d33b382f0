// `npm start`: a development runtime for machines without Azure Functions Core Tools or Docker.
// It hosts the functions exactly as `src/index.ts` registers them through `@azure/functions`
// (see coreShim.ts), on Azurite started from node_modules. It is not the Azure Functions host:
// `func start` and the container are the reference.

import { mkdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { printBanner } from './banner.js';
import { createCoreApi, installCoreModule } from './coreShim.js';
import { loadHostConfig } from './hostConfig.js';
import { createHttpHost } from './httpHost.js';
import { runHooks } from './invoke.js';
import { createLogger } from './log.js';
import { buildRoutes } from './routes.js';
import { parseArgs, resolveSettings } from './settings.js';
import { startStorage } from './storage.js';
import { ensureStorage } from '../jobs/storageClients.js';
import { queueTriggers, startQueueTriggers } from './queueHost.js';
import { startTimerTriggers, timerTriggers } from './timerHost.js';

const SHUTDOWN_GRACE_MS = 60_000;

async function appEntry(appDir: string, override?: string): Promise<string> {
  if (override) return resolve(override);
  const pkg = JSON.parse(await readFile(join(appDir, 'package.json'), 'utf8')) as { main?: string };
  return resolve(appDir, pkg.main ?? 'index.js');
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const appDir = process.cwd();
  const logger = createLogger(process.env.DEV_LOG_LEVEL === 'debug' ? 'debug' : 'information');

  const settings = resolveSettings(appDir, process.env);
  for (const [name, value] of Object.entries(settings.values)) process.env[name] = value;
  const storage = await startStorage(process.env.AzureWebJobsStorage, args.persist, appDir);
  process.env.AzureWebJobsStorage = storage.connectionString;
  // Stand in for the deployment, which creates the queues, tables and state container in Azure:
  // /api/health reports "up" from the first request, not after the first sync.
  await ensureStorage({ kind: 'connectionString', connectionString: storage.connectionString });
  if (process.env.WORKSPACE_BACKEND === 'local' && process.env.WORKSPACE_PATH) {
    process.env.WORKSPACE_PATH = resolve(appDir, process.env.WORKSPACE_PATH);
    mkdirSync(process.env.WORKSPACE_PATH, { recursive: true });
  }

  const { api, registry } = createCoreApi(logger.system);
  installCoreModule(api);
  const host = loadHostConfig(join(appDir, 'host.json'), process.env);
  try {
    await import(pathToFileURL(await appEntry(appDir, args.app)).href);
  } catch (error) {
    await storage.stop();
    throw error;
  }

  const capabilities = (await registry.programmingModel().getCapabilities?.({})) ?? {};
  await runHooks(registry, 'appStart', {
    hookData: {},
    appHookData: registry.appHookData,
    functionAppDirectory: appDir,
  });

  const routes = buildRoutes(registry.functions, host.routePrefix);
  // Schedules are resolved before anything listens, so a bad one fails start-up in one line.
  const timers = timerTriggers(registry.functions, process.env);
  const http = createHttpHost({ registry, routes, logger, streamUri: capabilities.HttpUri });
  const port = Number(process.env.PORT ?? 7071);
  await new Promise<void>((done, fail) => {
    http.server.once('error', fail);
    http.server.listen(port, '127.0.0.1', done);
  });
  const triggers = queueTriggers(registry.functions);
  const queues = startQueueTriggers(triggers, {
    registry,
    defaultConnection: storage.connectionString,
    queue: host.queues,
    logger,
  });

  const scheduled = startTimerTriggers(timers, { registry, logger });

  printBanner({
    port,
    routes,
    triggers,
    timers,
    host,
    settings,
    storage,
    streaming: Boolean(capabilities.HttpUri),
  });

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) {
      logger.warn(`${signal} again: exiting now`);
      process.exit(1);
    }
    stopping = true;
    logger.info(`${signal}: stopping (running functions may finish; ${signal} again to exit now)`);
    const closed = new Promise<void>((done) => http.server.close(() => done()));
    http.server.closeIdleConnections();
    await Promise.all([...queues, ...scheduled].map((q) => q.stop(SHUTDOWN_GRACE_MS)));
    await Promise.race([closed, new Promise((done) => setTimeout(done, SHUTDOWN_GRACE_MS))]);
    await runHooks(registry, 'appTerminate', { hookData: {}, appHookData: registry.appHookData });
    await storage.stop();
    logger.info('stopped');
    process.exit(0);
  };
  process.on('SIGINT', () => void shutdown('SIGINT'));
  process.on('SIGTERM', () => void shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  // One line: configuration errors already name the setting.
  process.stderr.write(`npm start failed: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
