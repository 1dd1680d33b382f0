// The tests Stryker runs against the mutated contract modules (stryker.config.mjs): unit tests
// and the Azurite-backed integration tests, in one project so one Azurite serves them all. No
// e2e (they run the built dist/, which Stryker does not mutate) and no static/infra tests (their
// Bicep global setup reads no mutated code). Tests that run the built runtime (dist/, via
// tests/e2e/support/runtime.ts) or a worker process are left out too: the child runs unmutated
// code, so they cannot kill a mutant, only slow the run. Stryker runs tests in worker threads,
// where process.umask() cannot be set: the local store's mode test (not in scope) stays out.
// MUTATION_TESTS (comma-separated globs) narrows the tests, for a shard whose modules every test
// touches (workspace/paths): unit tests alone then give a lower bound of the score in minutes
// instead of hours, and its survivors are checked against the whole suite by hand.
import { defineConfig } from 'vitest/config';

const narrowed = process.env.MUTATION_TESTS?.split(',').filter(Boolean);

export default defineConfig({
  test: {
    include: narrowed ?? ['tests/unit/**/*.test.ts', 'tests/integration/**/*.test.ts'],
    exclude: [
      'tests/integration/auditTrail.test.ts',
      'tests/integration/devRuntime.test.ts',
      'tests/integration/devTimerRuntime.test.ts',
      'tests/integration/devAzuriteParentDeath.test.ts',
      'tests/integration/syncCrash.test.ts',
      'tests/unit/localStore.test.ts',
    ],
    globalSetup: ['tests/support/azurite-global.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
