// Health of what the app depends on: the state tables, queues and blob container in the
// storage account, and the workspace store. Each check has a short timeout; a failure is
// reported by name with a short reason (an error code, never a URL or a connection string).

import { httpStatusOf } from '../azureStorage.js';

/** How long each check may take before it is reported down. */
export const CHECK_TIMEOUT_MS = 3000;

/**
 * A check must hand the signal to the request it makes: the signal is what cancels the request
 * (the SDK destroys its socket on abort). A check that ignores it is only abandoned at the timeout,
 * and its request stays open, waiting for an answer that may never come.
 */
export type Check = (signal: AbortSignal) => Promise<unknown>;

export interface HealthReport {
  status: 'healthy' | 'unhealthy';
  checks: Record<string, { status: 'up' | 'down'; ms: number; reason?: string }>;
}

export async function checkHealth(
  checks: Record<string, Check>,
  timeoutMs = CHECK_TIMEOUT_MS,
): Promise<HealthReport> {
  const results = await Promise.all(
    Object.entries(checks).map(async ([name, check]) => [name, await runCheck(check, timeoutMs)] as const),
  );
  const report = Object.fromEntries(results);
  const healthy = results.every(([, result]) => result.status === 'up');
  return { status: healthy ? 'healthy' : 'unhealthy', checks: report };
}

async function runCheck(check: Check, timeoutMs: number): Promise<HealthReport['checks'][string]> {
  const started = performance.now();
  const controller = new AbortController();
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      controller.abort();
      reject(new Error(`no answer within ${timeoutMs} ms`));
    }, timeoutMs);
  });
  try {
    await Promise.race([check(controller.signal), timeout]);
    return { status: 'up', ms: Math.round(performance.now() - started) };
  } catch (error) {
    return { status: 'down', ms: Math.round(performance.now() - started), reason: reasonOf(error) };
  } finally {
    clearTimeout(timer);
  }
}

/** A reason safe to show anonymously: status and service error code, or the system error code. */
function reasonOf(error: unknown): string {
  const e = error as { code?: string; message?: string; name?: string };
  const status = httpStatusOf(error);
  if (status) return `HTTP ${status}${e.code ? ` ${e.code}` : ''}`;
  if (typeof e.code === 'string' && /^[A-Z_]+$/.test(e.code)) return e.code;
  if (e.message?.startsWith('no answer within')) return e.message;
  return e.name ?? 'error';
}
