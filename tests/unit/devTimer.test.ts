// The local runtime's timer triggers without the clock: NCRONTAB parsing and next occurrences,
// %NAME% app-setting expressions, which registrations are timers and how the host would monitor
// them, the TimerInfo payload, and the banner lines. Running timers: devTimerRuntime.test.ts.

import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { bannerText, type BannerInput } from '../../src/dev/banner.js';
import type { Registration } from '../../src/dev/coreShim.js';
import { loadHostConfig } from '../../src/dev/hostConfig.js';
import { LOCAL_ADMIN_PRINCIPAL, resolveSettings } from '../../src/dev/settings.js';
import {
  parseSchedule,
  resolveSettingExpressions,
  timerInfo,
  timerTriggers,
} from '../../src/dev/timerHost.js';

/** Local wall-clock times, so the tests mean the same in every time zone. */
const at = (text: string) => new Date(text);

describe('NCRONTAB schedules', () => {
  it('reads six fields with seconds first, each next occurrence strictly later', () => {
    const every15s = parseSchedule('*/15 * * * * *');
    expect(every15s.next(at('2025-03-04T10:00:00'))).toEqual(at('2025-03-04T10:00:15'));
    expect(every15s.next(at('2025-03-04T10:00:14.999'))).toEqual(at('2025-03-04T10:00:15'));
    expect(parseSchedule('* * * * * *').next(at('2025-03-04T10:00:00.400'))).toEqual(
      at('2025-03-04T10:00:01'),
    );
  });

  it('reads five fields as minutes first, at second 0', () => {
    expect(parseSchedule('*/5 * * * *').next(at('2025-03-04T10:02:30'))).toEqual(at('2025-03-04T10:05:00'));
    expect(parseSchedule('0 */5 * * * *').next(at('2025-03-04T10:02:30'))).toEqual(at('2025-03-04T10:05:00'));
  });

  it('reads ranges, lists and month and day names', () => {
    const weekdayMornings = parseSchedule('0 30 9 * JAN-MAR MON-FRI');
    // 2025-03-08 is a Saturday: the next weekday is Monday the 10th.
    expect(weekdayMornings.next(at('2025-03-08T12:00:00'))).toEqual(at('2025-03-10T09:30:00'));
    expect(parseSchedule('0 0 8,17 * * *').next(at('2025-03-04T09:00:00'))).toEqual(
      at('2025-03-04T17:00:00'),
    );
  });

  it('needs day-of-month and day-of-week both to match, as NCrontab does', () => {
    // Friday the 13th: with Vixie cron's OR this would be Friday 2025-03-07.
    expect(parseSchedule('0 0 0 13 * FRI').next(at('2025-03-01T00:00:00'))).toEqual(
      at('2025-06-13T00:00:00'),
    );
  });

  it.each([
    ['* * * *', /6 fields \(or 5\), not 4/],
    ['0 0 0 1 1 * 2030', /not 7/],
    ['0 0 12 ? * MON', /cannot read "\?"/],
    ['0 0 0 L * *', /cannot read "L"/],
    ['0 0 0 * * 5#2', /cannot read "5#2"/],
    ['@daily', /not an NCRONTAB expression/],
    ['0 61 * * * *', /not an NCRONTAB expression/],
    ['', /not an NCRONTAB expression/],
  ])('refuses %j', (expression, message) => {
    expect(() => parseSchedule(expression)).toThrow(message);
  });
});

describe('app-setting expressions', () => {
  it('replaces %NAME% with the setting, as many times as it occurs', () => {
    expect(resolveSettingExpressions('%S%', { S: '0 */5 * * * *' })).toBe('0 */5 * * * *');
    expect(resolveSettingExpressions('0 %M% %H% * * *', { M: '15', H: '3' })).toBe('0 15 3 * * *');
    expect(resolveSettingExpressions('0 0 * * * *', {})).toBe('0 0 * * * *');
  });

  it('reads A:B from A__B, the environment form of a nested setting', () => {
    expect(resolveSettingExpressions('%Schedules:Poll%', { Schedules__Poll: '*/5 * * * *' })).toBe(
      '*/5 * * * *',
    );
  });

  it('fails with the host’s message when the setting is missing', () => {
    expect(() => resolveSettingExpressions('%NOPE%', { OTHER: 'x' })).toThrow(
      "'%NOPE%' does not resolve to a value.",
    );
  });
});

function registration(name: string, trigger: Record<string, unknown>): Registration {
  return {
    metadata: {
      name,
      bindings: {
        myTimer: { type: 'timerTrigger', direction: 'in', ...trigger },
        $return: { type: 'http', direction: 'out' },
      },
    },
    callback: () => undefined,
  };
}

describe('timer registrations', () => {
  const now = at('2025-03-04T10:00:00');

  it('finds timer triggers with resolved schedules, runOnStartup and monitoring', () => {
    const [poll, fast, unmonitored] = timerTriggers(
      [
        registration('poll', { schedule: '%POLL%', runOnStartup: true }),
        registration('fast', { schedule: '*/10 * * * * *' }),
        registration('unmonitored', { schedule: '0 0 * * * *', useMonitor: false }),
        { metadata: { name: 'web', bindings: { req: { type: 'httpTrigger' } } }, callback: () => undefined },
      ],
      { POLL: '0 */5 * * * *' },
      now,
    );
    expect(poll).toMatchObject({
      triggerName: 'myTimer',
      expression: '%POLL%',
      resolved: '0 */5 * * * *',
      runOnStartup: true,
      monitored: true,
    });
    expect(poll.schedule.next(now)).toEqual(at('2025-03-04T10:05:00'));
    // More than one occurrence a minute turns the host's schedule monitor off.
    expect(fast).toMatchObject({ runOnStartup: false, monitored: false });
    expect(unmonitored.monitored).toBe(false);
  });

  it('names the function when its schedule cannot be resolved or read', () => {
    expect(() => timerTriggers([registration('poll', { schedule: '%POLL%' })], {})).toThrow(
      "The 'poll' function is in error: '%POLL%' does not resolve to a value.",
    );
    expect(() => timerTriggers([registration('poll', { schedule: '%POLL%' })], { POLL: 'soon' })).toThrow(
      /The 'poll' function is in error: "soon" is not an NCRONTAB expression/,
    );
  });

  it('sends the host’s TimerInfo, with schedule status only when monitored', () => {
    const next = at('2025-03-04T10:05:00');
    expect(timerInfo({ next })).toEqual({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: {
        Last: '0001-01-01T00:00:00.000Z',
        Next: next.toISOString(),
        LastUpdated: '0001-01-01T00:00:00.000Z',
      },
      IsPastDue: false,
    });
    expect(timerInfo(undefined)).toEqual({
      Schedule: { AdjustForDST: true },
      ScheduleStatus: null,
      IsPastDue: false,
    });
  });
});

describe('banner', () => {
  const saved = { AUTH_MODE: process.env.AUTH_MODE, DEV_PRINCIPAL: process.env.DEV_PRINCIPAL };
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });

  const now = at('2025-03-04T10:00:00');
  const input = (registrations: Registration[]): BannerInput => ({
    port: 7071,
    routes: [],
    triggers: [],
    timers: timerTriggers(registrations, { POLL: '0 */5 * * * *' }, now),
    host: loadHostConfig(join(import.meta.dirname, '../../host.json'), {}),
    settings: { values: {}, sources: {} },
    storage: { connectionString: '', description: 'test', stop: async () => {} },
    streaming: true,
  });

  it('lists each timer with its resolved schedule and next run', () => {
    const text = bannerText(
      input([
        registration('syncPoll', { schedule: '%POLL%', runOnStartup: true }),
        registration('nightly', { schedule: '0 0 2 * * *' }),
      ]),
      now,
    );
    expect(text).toContain(
      `  syncPoll: schedule '0 */5 * * * *' (from %POLL%), next run now (runOnStartup), then ${at('2025-03-04T10:05:00').toISOString()}`,
    );
    expect(text).toContain(
      `  nightly: schedule '0 0 2 * * *', next run ${at('2025-03-05T02:00:00').toISOString()}`,
    );
  });

  it('prints the dev auth mode with the default principal’s name and roles', () => {
    process.env.AUTH_MODE = 'dev';
    process.env.DEV_PRINCIPAL = LOCAL_ADMIN_PRINCIPAL;
    const text = bannerText(input([]), now);
    expect(text).toContain('Auth mode: dev (every caller is trusted');
    expect(text).toContain(
      'Requests without an x-ms-client-principal header act as DEV_PRINCIPAL: local-admin (local admin), roles authenticated, Workspace.Admin',
    );
  });

  it('prints another auth mode without a principal', () => {
    process.env.AUTH_MODE = 'keys';
    process.env.DEV_PRINCIPAL = LOCAL_ADMIN_PRINCIPAL;
    const text = bannerText(input([]), now);
    expect(text).toContain('Auth mode: keys');
    expect(text).not.toContain('local-admin');
  });
});

describe('npm start auth defaults', () => {
  const expected = {
    identityProvider: 'dev',
    userId: 'local-admin',
    userDetails: 'local admin',
    userRoles: ['authenticated'],
    claims: [{ typ: 'roles', val: 'Workspace.Admin' }],
  };

  it('is AUTH_MODE=dev as a local admin with no settings file at all', () => {
    const settings = resolveSettings(mkdtempSync(join(tmpdir(), 'dev-settings-')), {});
    expect(settings.values.AUTH_MODE).toBe('dev');
    expect(JSON.parse(settings.values.DEV_PRINCIPAL)).toEqual(expected);
    expect(settings.sources.AUTH_MODE).toBe('dev default');
  });

  it('is the same in the committed local.settings.json.example', () => {
    const example = JSON.parse(
      readFileSync(join(import.meta.dirname, '../../local.settings.json.example'), 'utf8'),
    ) as { Values: Record<string, string> };
    expect(example.Values.AUTH_MODE).toBe('dev');
    expect(JSON.parse(example.Values.DEV_PRINCIPAL)).toEqual(expected);
  });
});
