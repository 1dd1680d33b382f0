// Timer triggers with the Functions host's semantics (the timer extension's TimerListener and
// TimerSchedule in Azure/azure-webjobs-sdk-extensions, src/WebJobs.Extensions/Extensions/Timers):
// - the schedule is NCRONTAB with seconds (six fields), or five fields without; `%NAME%` in it
//   is replaced by that app setting first, and one that is not set is an error;
// - `runOnStartup` invokes once as soon as the runtime is up;
// - one invocation at a time: the next occurrence is armed only after the last invocation ends,
//   counted from when that invocation started. Occurrences that pass during a long run
//   collapse into one immediate run, as in TimerListener.InvokeJobFunction;
// - the handler gets the host's TimerInfo, `scheduleStatus` only when schedule monitoring is on
//   (`useMonitor`, default true, but off for schedules firing more than once a minute);
// - a failing invocation is logged and the schedule goes on.
// Times are the machine's local time, as with `func start`. Nothing is persisted, so there is no
// past-due detection across restarts and `isPastDue` is always false here.

import { randomUUID } from 'node:crypto';
import { setTimeout as delay } from 'node:timers/promises';
import { Cron } from 'croner';
import type { CoreRegistry, Registration } from './coreShim.js';
import { invoke } from './invoke.js';
import type { Logger } from './log.js';

export interface Schedule {
  /** The first occurrence strictly after `after`, at whole-second precision. */
  next(after: Date): Date;
}

export interface TimerTrigger {
  registration: Registration;
  triggerName: string;
  /** As registered, e.g. `%SYNC_POLL_SCHEDULE%`. */
  expression: string;
  /** After app-setting substitution. */
  resolved: string;
  schedule: Schedule;
  runOnStartup: boolean;
  /** Whether the host would keep schedule status, and so pass `scheduleStatus`. */
  monitored: boolean;
}

export interface TimerHost {
  /** Stops scheduling and waits up to `graceMs` for a running invocation. */
  stop(graceMs: number): Promise<void>;
}

interface ScheduleStatus {
  last?: Date;
  next: Date;
  lastUpdated?: Date;
}

/** `default(DateTime)`, which the host reports as `last` before the first run. */
const NEVER = '0001-01-01T00:00:00.000Z';

/** setTimeout's limit (2^31 - 1 ms); a longer wait is taken in steps, as TimerListener does. */
const MAX_TIMEOUT_MS = 2 ** 31 - 1;

/**
 * Replaces each `%NAME%` with app setting NAME, as the host's name resolver does; `A:B` also
 * reads `A__B`, the environment form of a nested setting.
 */
export function resolveSettingExpressions(
  text: string,
  settings: Record<string, string | undefined>,
): string {
  return text.replace(/%([^%]+)%/g, (token, name: string) => {
    const value = settings[name] ?? settings[name.replaceAll(':', '__')];
    // The host's wording, so the message can be searched for.
    if (value === undefined) throw new Error(`'${token}' does not resolve to a value.`);
    return value;
  });
}

/**
 * NCRONTAB as the host reads it: `{second} {minute} {hour} {day} {month} {day-of-week}`, or the
 * five fields without seconds; numbers, `*`, ranges, steps, lists, and month or day names.
 * Day and day-of-week must both match (NCrontab ANDs them, unlike Vixie cron). The extensions
 * croner also knows (`?`, `L`, `W`, `#`, `@daily`) are refused: Azure would refuse them.
 */
export function parseSchedule(expression: string): Schedule {
  const fields = expression.trim().split(/\s+/);
  if (fields.length !== 5 && fields.length !== 6)
    throw new Error(
      `"${expression}" is not an NCRONTAB expression: it needs 6 fields (or 5), not ${fields.length}`,
    );
  const unsupported = fields.find((field) => !/^[0-9*,/-]+$/.test(field.replace(/[a-z]{3}/gi, '0')));
  if (unsupported !== undefined)
    throw new Error(`"${expression}" is not an NCRONTAB expression: cannot read "${unsupported}"`);
  let cron: Cron;
  try {
    cron = new Cron(expression.trim(), { mode: '5-or-6-parts', domAndDow: true });
  } catch (error) {
    throw new Error(`"${expression}" is not an NCRONTAB expression: ${(error as Error).message}`);
  }
  return {
    next(after) {
      const next = cron.nextRun(after);
      if (!next) throw new Error(`"${expression}" has no occurrence after ${after.toISOString()}`);
      return next;
    },
  };
}

/** TimerSchedule.Create: more than one occurrence within a minute turns monitoring off. */
function firesMoreThanOncePerMinute(schedule: Schedule, now: Date): boolean {
  return schedule.next(schedule.next(now)).getTime() < now.getTime() + 60_000;
}

/** The timer triggers among the registrations, with schedules resolved and parsed. */
export function timerTriggers(
  registrations: Registration[],
  settings: Record<string, string | undefined>,
  now = new Date(),
): TimerTrigger[] {
  const triggers: TimerTrigger[] = [];
  for (const registration of registrations) {
    for (const [triggerName, binding] of Object.entries(registration.metadata.bindings)) {
      if (binding.type?.toLowerCase() !== 'timertrigger') continue;
      const name = registration.metadata.name;
      const expression = String(binding.schedule ?? '');
      let resolved: string;
      let schedule: Schedule;
      try {
        resolved = resolveSettingExpressions(expression, settings);
        schedule = parseSchedule(resolved);
      } catch (error) {
        throw new Error(`The '${name}' function is in error: ${(error as Error).message}`);
      }
      triggers.push({
        registration,
        triggerName,
        expression,
        resolved,
        schedule,
        runOnStartup: binding.runOnStartup === true,
        monitored: binding.useMonitor !== false && !firesMoreThanOncePerMinute(schedule, now),
      });
    }
  }
  return triggers;
}

/**
 * The TimerInfo the host sends: Json.NET's PascalCase names, which `@azure/functions` turns into
 * the `Timer` of its types (`toCamelCaseValue` in its InvocationModel).
 */
export function timerInfo(status: ScheduleStatus | undefined): Record<string, unknown> {
  const iso = (date: Date | undefined) => date?.toISOString() ?? NEVER;
  return {
    Schedule: { AdjustForDST: true },
    ScheduleStatus: status
      ? { Last: iso(status.last), Next: iso(status.next), LastUpdated: iso(status.lastUpdated) }
      : null,
    IsPastDue: false,
  };
}

function startTimerTrigger(
  trigger: TimerTrigger,
  options: { registry: CoreRegistry; logger: Logger },
): TimerHost {
  const { registration, triggerName, schedule } = trigger;
  const { registry, logger } = options;
  const name = registration.metadata.name;
  let status: ScheduleStatus = { next: schedule.next(new Date()) };
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let stopped = false;

  const run = async (reason: 'schedule' | 'runOnStartup') => {
    const startedAt = new Date();
    const invocationId = randomUUID();
    try {
      await invoke(
        registry,
        registration,
        {
          invocationId,
          inputData: [
            {
              name: triggerName,
              data: { json: JSON.stringify(timerInfo(trigger.monitored ? status : undefined)) },
            },
          ],
          triggerMetadata: {},
        },
        logger,
      );
    } catch (error) {
      logger.error(
        `${name} (${invocationId.slice(0, 8)}) failed: ${(error as Error)?.message ?? String(error)}`,
      );
    }
    // A timer that fires a little early counts from its scheduled time, so `next` is never the
    // same occurrence twice (TimerListener's adjustedInvocationTime).
    const from = reason === 'schedule' && status.next > startedAt ? status.next : startedAt;
    status = { last: from, next: schedule.next(from), lastUpdated: from };
  };

  const arm = (at: Date, reason: 'schedule' | 'runOnStartup') => {
    if (stopped) return;
    const wait = at.getTime() - Date.now();
    if (wait > MAX_TIMEOUT_MS) {
      timer = setTimeout(() => arm(at, reason), MAX_TIMEOUT_MS);
      return;
    }
    timer = setTimeout(
      () => {
        running = run(reason).finally(() => {
          running = undefined;
          arm(status.next, 'schedule');
        });
      },
      Math.max(wait, 1),
    );
  };

  arm(trigger.runOnStartup ? new Date() : status.next, trigger.runOnStartup ? 'runOnStartup' : 'schedule');

  return {
    async stop(graceMs) {
      stopped = true;
      clearTimeout(timer);
      if (!running) return;
      const finished = await Promise.race([running.then(() => true), delay(graceMs, false, { ref: false })]);
      if (!finished) logger.warn(`${name}: still running at shutdown`);
    },
  };
}

export function startTimerTriggers(
  triggers: TimerTrigger[],
  options: { registry: CoreRegistry; logger: Logger },
): TimerHost[] {
  return triggers.map((trigger) => startTimerTrigger(trigger, options));
}
