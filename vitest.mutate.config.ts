import { defineConfig } from 'vitest/config';

/**
 * The unit tests that mutation testing (`npm run mutate`, stryker.config.json) runs against the
 * core's codec, routing, TLS error classification and profile loader: in-process tests only (a
 * test that spawns the CLI gives Stryker no coverage), no system programs, so no globalSetup.
 */
export default defineConfig({
  test: {
    pool: 'forks',
    include: ['tests/unit/core/pulsar/**/*.test.ts', 'tests/unit/core/routing/**/*.test.ts', 'tests/unit/core/transport/**/*.test.ts', 'tests/unit/core/profiles/profileFile*.test.ts'],
    testTimeout: 60_000,
  },
});
