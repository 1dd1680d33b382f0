// What `npm start` prints once it is ready: where everything is, what is a dev default, and
// commands to copy.

import type { HostConfig } from './hostConfig.js';
import type { QueueTrigger } from './queueHost.js';
import type { HttpRoute } from './routes.js';
import type { DevSettings } from './settings.js';
import type { Storage } from './storage.js';
import type { TimerTrigger } from './timerHost.js';

export interface BannerInput {
  port: number;
  routes: HttpRoute[];
  triggers: QueueTrigger[];
  timers: TimerTrigger[];
  host: HostConfig;
  settings: DevSettings;
  storage: Storage;
  streaming: boolean;
}

function timerLine(timer: TimerTrigger, now: Date): string {
  const { expression, resolved } = timer;
  const schedule = expression === resolved ? `'${resolved}'` : `'${resolved}' (from ${expression})`;
  const next = timer.schedule.next(now).toISOString();
  const when = timer.runOnStartup ? `now (runOnStartup), then ${next}` : next;
  return `  ${timer.registration.metadata.name}: schedule ${schedule}, next run ${when}`;
}

/** The principal's name and roles, read the way App Service presents them (userRoles, roles claims). */
function describePrincipal(json: string | undefined): string {
  if (!json) return 'none: requests need an x-ms-client-principal header';
  let principal: {
    userId?: string;
    userDetails?: string;
    userRoles?: string[];
    claims?: { typ?: string; val?: string }[];
  };
  try {
    principal = JSON.parse(json) as typeof principal;
  } catch {
    return 'not valid JSON (the app refuses to start with it)';
  }
  const roles = [
    ...(principal.userRoles ?? []),
    ...(principal.claims ?? []).filter((c) => c.typ === 'roles').map((c) => c.val),
  ];
  return `${principal.userId ?? '(no userId)'} (${principal.userDetails ?? ''}), roles ${roles.join(', ') || 'none'}`;
}

function authLines(): string[] {
  const mode = process.env.AUTH_MODE || undefined;
  if (mode !== 'dev') return [`Auth mode: ${mode ?? "not set (the app's default)"}`];
  return [
    'Auth mode: dev (every caller is trusted; the app refuses this mode in Azure)',
    `  Requests without an x-ms-client-principal header act as DEV_PRINCIPAL: ${describePrincipal(process.env.DEV_PRINCIPAL)}`,
  ];
}

export function bannerText(input: BannerInput, now = new Date()): string {
  const { port, routes, triggers, timers, host, settings, storage } = input;
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
    'Timer functions (NCRONTAB in local time):',
    ...timers.map((t) => timerLine(t, now)),
    '',
    ...authLines(),
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
