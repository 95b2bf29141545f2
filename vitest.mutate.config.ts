import { defineConfig } from 'vitest/config';

/**
 * The unit tests that mutation testing (`npm run mutate`, stryker.config.json) runs against the
 * core's codec, routing, TLS error classification and profile loader: in-process tests only (a
 * test that spawns the CLI gives Stryker no coverage), no system programs, so no globalSetup.
 *
 * To measure one module quickly, name it and the tests that exercise it (comma-separated globs):
 * `MUTATE_TESTS='tests/unit/core/pulsar/wire*.test.ts' npm run mutate -- --mutate src-main/core/pulsar/wire.ts`.
 * A subset of the tests can only kill fewer mutants, so its score is a lower bound.
 */
const defaultTests = ['tests/unit/core/pulsar/**/*.test.ts', 'tests/unit/core/routing/**/*.test.ts', 'tests/unit/core/transport/**/*.test.ts', 'tests/unit/core/profiles/profileFile*.test.ts'];
const chosenTests = process.env.MUTATE_TESTS?.split(',')
  .map((glob) => glob.trim())
  .filter((glob) => glob !== '');

export default defineConfig({
  test: {
    pool: 'forks',
    include: chosenTests && chosenTests.length > 0 ? chosenTests : defaultTests,
    testTimeout: 60_000,
  },
});
