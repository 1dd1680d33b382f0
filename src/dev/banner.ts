// What `npm start` prints once it is ready: where everything is, what is a dev default, and
// commands to copy.

import type { HostConfig } from './hostConfig.js';
import type { QueueTrigger } from './queueHost.js';
import type { HttpRoute } from './routes.js';
import type { DevSettings } from './settings.js';
import type { Storage } from './storage.js';

export interface BannerInput {
  port: number;
  routes: HttpRoute[];
  triggers: QueueTrigger[];
  host: HostConfig;
  settings: DevSettings;
  storage: Storage;
  streaming: boolean;
}

export function bannerText(input: BannerInput): string {
  const { port, routes, triggers, host, settings, storage } = input;
  const base = `http://127.0.0.1:${port}`;
  const prefix = host.routePrefix ? `/${host.routePrefix}` : '';
  const lines = [
    '',
    'Local development runtime (not the Azure Functions host; `func start` and the container are the reference)',
    '',
    'HTTP functions:',
    ...routes.map(
      (r) =>
        `  ${(r.methods.join(',') || 'ANY').padEnd(12)} ${base}${prefix}/${r.template}  [${r.registration.metadata.name}, authLevel ${r.authLevel}]`,
    ),
    'Queue functions:',
    ...triggers.map(
      (t) => `  ${t.registration.metadata.name}: queue ${t.queueName} (poison queue ${t.queueName}-poison)`,
    ),
    '',
    'Keys are not checked here: authLevel "function" routes accept any or no key (as with `func start`).',
    `HTTP streaming: ${input.streaming ? "on (through @azure/functions' own proxy, as in Azure)" : 'off'}`,
    `Queue trigger: maxDequeueCount ${host.queues.maxDequeueCount}, visibilityTimeout ${host.queues.visibilityTimeoutMs} ms, batchSize ${host.queues.batchSize}, messageEncoding ${host.queues.messageEncoding}`,
    `Storage: ${storage.description}`,
  ];
  if (process.env.WORKSPACE_BACKEND === 'local')
    lines.push(`Workspace folder: ${process.env.WORKSPACE_PATH}`);
  const bySource = (source: string) =>
    Object.keys(settings.sources)
      .filter((name) => settings.sources[name] === source)
      .sort();
  lines.push(`Settings read from: ${settings.file ?? '(no local.settings.json)'} and the environment`);
  const defaults = bySource('dev default');
  if (defaults.length)
    lines.push(`Dev defaults in use: ${defaults.map((n) => `${n}=${settings.values[n]}`).join(', ')}`);
  const fromEnv = bySource('environment');
  if (fromEnv.length) lines.push(`Overridden by environment: ${fromEnv.join(', ')}`);
  lines.push(
    '',
    'Try it (connect this repository, then deliver a push):',
    `  curl -s ${base}${prefix}/health`,
    `  curl -s -X PUT ${base}${prefix}/github/connection -H 'Content-Type: application/json' \\`,
    `       -d '{"repositoryUrl":"file://${process.cwd()}","branch":"main"}'`,
    `  npm run webhook -- ${process.cwd()} --branch main --url ${base}`,
    `  curl -s ${base}${prefix}/sync/jobs`,
    '',
    'Ctrl+C stops (running functions finish first).',
    '',
  );
  return lines.join('\n');
}

export function printBanner(input: BannerInput): void {
  process.stdout.write(bannerText(input) + '\n');
}
