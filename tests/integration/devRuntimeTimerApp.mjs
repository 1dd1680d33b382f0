// A timer app for the local runtime's tests (tests/integration/devTimerRuntime.test.ts): it
// registers through @azure/functions, as src/functions/syncPoll.ts does, and records each
// invocation for the test to read over HTTP.
import { setTimeout } from 'node:timers/promises';
import { app } from '@azure/functions';

const runs = { everySecond: [], everyFiveMinutes: [] };

app.timer('everySecond', {
  schedule: '%DEV_FIXTURE_TIMER_SCHEDULE%',
  runOnStartup: true,
  handler: async (timer) => {
    const run = { timer, start: Date.now(), end: undefined };
    runs.everySecond.push(run);
    try {
      // The second run outlasts several occurrences; the third fails.
      if (runs.everySecond.length === 2) await setTimeout(2500);
      if (runs.everySecond.length === 3) throw new Error('timer boom');
    } finally {
      run.end = Date.now();
    }
  },
});

app.timer('everyFiveMinutes', {
  schedule: '0 */5 * * * *',
  runOnStartup: true,
  handler: async (timer) => {
    runs.everyFiveMinutes.push({ timer, start: Date.now() });
  },
});

app.http('timerRuns', {
  methods: ['GET'],
  authLevel: 'anonymous',
  handler: async () => ({ jsonBody: runs }),
});
