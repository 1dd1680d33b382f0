// Starts the compiled local runtime (`node dist/dev/main.js`, what `npm start` runs) as a child
// process on a free port, for the runtime's own tests and the end-to-end tests.

import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { freePort } from '../../../src/dev/azurite.js';

export const REPO_ROOT = resolve(import.meta.dirname, '../../..');
const MAIN = join(REPO_ROOT, 'dist', 'dev', 'main.js');

/** App settings for a local-store runtime that syncs loopback repositories; extra overrides any. */
export function localAppSettings(
  workspace: string,
  secrets: { webhookSecret: string; token: string },
  extra: Record<string, string> = {},
): Record<string, string> {
  return {
    AzureWebJobsStorage: '',
    WORKSPACE_BACKEND: 'local',
    WORKSPACE_PATH: workspace,
    LOCAL_SECRETS_PATH: `${workspace}.secrets.json`,
    GITHUB_WEBHOOK_SECRET: secrets.webhookSecret,
    GITHUB_TOKEN: secrets.token,
    GITHUB_REPOSITORY_URL: '',
    GITHUB_BRANCH: '',
    SYNC_ALLOW_LOCAL_REPOS: 'true',
    // The token-guarded git server is on loopback; listing it lets the token go there.
    GITHUB_HOSTS: '127.0.0.1',
    ...extra,
  };
}

export interface RuntimeOptions {
  env?: Record<string, string>;
  args?: string[];
  cwd?: string;
  port?: number;
  readyTimeoutMs?: number;
}

export interface Runtime {
  port: number;
  url: string;
  child: ChildProcess;
  output(): string;
  /** Sends the signal and resolves with the exit code (or signal name). */
  stop(signal?: NodeJS.Signals): Promise<number | string>;
}

export async function startRuntime(options: RuntimeOptions = {}): Promise<Runtime> {
  if (!existsSync(MAIN)) throw new Error(`${MAIN} is missing: run \`npm run build\` first`);
  const port = options.port ?? (await freePort());
  const child = spawn(process.execPath, [MAIN, ...(options.args ?? [])], {
    cwd: options.cwd ?? REPO_ROOT,
    env: { ...process.env, PORT: String(port), ...options.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | string>((done) =>
    child.once('exit', (code, signal) => done(code ?? signal ?? 'unknown')),
  );

  const timeoutMs = options.readyTimeoutMs ?? 60_000;
  const deadline = Date.now() + timeoutMs;
  while (!output.includes('Ctrl+C stops')) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`runtime exited during start-up:\n${output}`);
    }
    if (Date.now() > deadline) {
      child.kill('SIGKILL');
      throw new Error(`runtime not ready in ${timeoutMs} ms:\n${output}`);
    }
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    port,
    url: `http://127.0.0.1:${port}`,
    child,
    output: () => output,
    async stop(signal = 'SIGTERM') {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      const timer = setTimeout(() => child.kill('SIGKILL'), 90_000);
      const result = await exited;
      clearTimeout(timer);
      return result;
    },
  };
}

/** Polls until `check` returns a value other than undefined, or fails after `timeoutMs`. */
export async function waitFor<T>(
  what: string,
  check: () => Promise<T | undefined>,
  timeoutMs = 60_000,
  intervalMs = 200,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const value = await check();
      if (value !== undefined) return value;
    } catch (error) {
      last = error;
    }
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, intervalMs));
  }
}

/** A response body as JSON, or an error that shows what came instead. */
export async function jsonOf<T>(res: Response): Promise<T> {
  const text = await res.text();
  try {
    return JSON.parse(text) as T;
  } catch {
    throw new Error(`HTTP ${res.status}, not JSON: ${text}`);
  }
}
