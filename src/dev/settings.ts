// App settings for the local runtime, resolved like `func start` does: `local.settings.json`
// Values (or the committed `.example` when there is none), then environment variables on top;
// plus the dev defaults that make `npm start` work with nothing configured.

import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

export type SettingSource =
  'environment' | 'local.settings.json' | 'local.settings.json.example' | 'dev default';

export interface DevSettings {
  values: Record<string, string>;
  sources: Record<string, SettingSource>;
  /** Which settings file was read, if any. */
  file?: string;
}

/** Who a request without its own principal is in `AUTH_MODE=dev`: an admin, so every route works. */
export const LOCAL_ADMIN_PRINCIPAL = JSON.stringify({
  identityProvider: 'dev',
  userId: 'local-admin',
  userDetails: 'local admin',
  userRoles: ['authenticated'],
  claims: [{ typ: 'roles', val: 'Workspace.Admin' }],
});

export const DEV_DEFAULTS: Record<string, string> = {
  WORKSPACE_BACKEND: 'local',
  WORKSPACE_PATH: '.data/workspace',
  AUTH_MODE: 'dev',
  DEV_PRINCIPAL: LOCAL_ADMIN_PRINCIPAL,
};

function readValues(path: string): Record<string, string> {
  let json: { Values?: Record<string, unknown> };
  try {
    json = JSON.parse(readFileSync(path, 'utf8')) as typeof json;
  } catch (error) {
    throw new Error(`${path} is not valid JSON: ${(error as Error).message}`);
  }
  const values: Record<string, string> = {};
  for (const [name, value] of Object.entries(json.Values ?? {})) {
    if (value !== null && value !== undefined) values[name] = String(value);
  }
  return values;
}

export function resolveSettings(appDir: string, env: Record<string, string | undefined>): DevSettings {
  const candidates: SettingSource[] = ['local.settings.json', 'local.settings.json.example'];
  const file = candidates.find((name) => existsSync(join(appDir, name)));
  const values: Record<string, string> = {};
  const sources: Record<string, SettingSource> = {};
  const put = (name: string, value: string, source: SettingSource) => {
    values[name] = value;
    sources[name] = source;
  };
  for (const [name, value] of Object.entries(DEV_DEFAULTS)) put(name, value, 'dev default');
  if (file) {
    for (const [name, value] of Object.entries(readValues(join(appDir, file)))) {
      // An empty value in the file means "not set", so a dev default is kept.
      if (value !== '' || !(name in values)) put(name, value, file as SettingSource);
    }
  }
  for (const name of Object.keys(values)) {
    const override = env[name];
    if (override !== undefined) put(name, override, 'environment');
  }
  return { values, sources, file };
}

/** `UseDevelopmentStorage=true` or nothing: the runtime should start Azurite itself. */
export function wantsLocalAzurite(connectionString: string | undefined): boolean {
  const value = connectionString?.trim() ?? '';
  return value === '' || /^UseDevelopmentStorage=true;?$/i.test(value);
}

export interface DevArgs {
  persist: boolean;
  /** The app's entry module; the compiled `dist/index.js` unless a test points elsewhere. */
  app?: string;
}

export function parseArgs(argv: string[]): DevArgs {
  const args: DevArgs = { persist: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '--persist') args.persist = true;
    else if (arg === '--app' && argv[i + 1]) args.app = argv[++i];
    else throw new Error(`Unknown argument "${arg}". Usage: npm start [-- --persist]`);
  }
  return args;
}
