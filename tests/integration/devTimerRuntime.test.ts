// The local runtime (`node dist/dev/main.js`) hosting timer triggers registered through
// @azure/functions (devRuntimeTimerApp.mjs): runOnStartup, a one-second NCRONTAB schedule taken
// from an app setting, one invocation at a time, failures that do not stop the schedule, the
// Timer argument as the library hands it to handlers, and the banner.

import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { startRuntime, waitFor, type Runtime } from '../e2e/support/runtime.js';

const APP = join(import.meta.dirname, 'devRuntimeTimerApp.mjs');
const NEVER = '0001-01-01T00:00:00.000Z';

interface Run {
  timer: unknown;
  start: number;
  end?: number;
}

const env = (extra: Record<string, string> = {}) => ({
  AzureWebJobsStorage: inject('azuriteConnectionString'),
  WORKSPACE_PATH: mkdtempSync(join(tmpdir(), 'dev-ws-')),
  ...extra,
});

describe('local runtime timer triggers', () => {
  let runtime: Runtime;
  const runs = async () => {
    const res = await fetch(`${runtime.url}/api/timerRuns`);
    return (await res.json()) as { everySecond: Run[]; everyFiveMinutes: Run[] };
  };

  beforeAll(async () => {
    runtime = await startRuntime({
      args: ['--app', APP],
      env: env({ DEV_FIXTURE_TIMER_SCHEDULE: '* * * * * *' }),
    });
  });
  afterAll(async () => {
    await runtime?.stop();
  });

  it('prints each timer with its resolved schedule and next run', () => {
    expect(runtime.output()).toMatch(
      /everySecond: schedule '\* \* \* \* \* \*' \(from %DEV_FIXTURE_TIMER_SCHEDULE%\), next run now \(runOnStartup\), then \d{4}-/,
    );
    expect(runtime.output()).toMatch(
      /everyFiveMinutes: schedule '0 \*\/5 \* \* \* \*', next run now \(runOnStartup\), then \d{4}-/,
    );
  });

  it('runs on start-up, before the first occurrence, with the host’s schedule status', async () => {
    const [run] = await waitFor('the start-up run', async () => {
      const { everyFiveMinutes } = await runs();
      return everyFiveMinutes.length ? everyFiveMinutes : undefined;
    });
    const { scheduleStatus } = run.timer as { scheduleStatus: { next: string } };
    expect(run.timer).toEqual({
      schedule: { adjustForDST: true },
      scheduleStatus: { last: NEVER, next: scheduleStatus.next, lastUpdated: NEVER },
      isPastDue: false,
    });
    const next = new Date(scheduleStatus.next);
    expect(next.getMinutes() % 5 === 0 && next.getSeconds() === 0).toBe(true);
    expect(run.start).toBeLessThan(next.getTime());
  });

  it('fires a one-second schedule again and again, one invocation at a time, past a failure', async () => {
    const everySecond = await waitFor('five runs of the one-second timer', async () => {
      const done = (await runs()).everySecond.filter((r) => r.end !== undefined);
      return done.length >= 5 ? done : undefined;
    });
    // Sub-minute schedules are not monitored by the host, so there is no schedule status.
    for (const run of everySecond)
      expect(run.timer).toEqual({ schedule: { adjustForDST: true }, scheduleStatus: null, isPastDue: false });
    // The 2.5 s run spans two occurrences: nothing starts until it ends.
    for (let i = 1; i < everySecond.length; i++)
      expect(everySecond[i].start).toBeGreaterThanOrEqual(everySecond[i - 1].end!);
    expect(everySecond[1].end! - everySecond[1].start).toBeGreaterThanOrEqual(2500);
    expect(runtime.output()).toMatch(/error: everySecond \([0-9a-f]{8}\) failed: timer boom/);
  });

  it('stops cleanly on SIGTERM', async () => {
    expect(await runtime.stop('SIGTERM')).toBe(0);
  });
});

describe('local runtime timer schedule errors', () => {
  it('fails start-up in one line when %NAME% does not resolve', async () => {
    await expect(startRuntime({ args: ['--app', APP], env: env() })).rejects.toThrow(
      /npm start failed: The 'everySecond' function is in error: '%DEV_FIXTURE_TIMER_SCHEDULE%' does not resolve to a value\./,
    );
  });

  it('fails start-up in one line on a schedule that is not NCRONTAB', async () => {
    await expect(
      startRuntime({ args: ['--app', APP], env: env({ DEV_FIXTURE_TIMER_SCHEDULE: '0 0 12 ? * MON' }) }),
    ).rejects.toThrow(/npm start failed: The 'everySecond' function is in error: .*cannot read "\?"/);
  });
});
