import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['tests/**/*.test.ts'],
    // Installs the system programs the black-box tests need (trafficserver, haproxy, nginx)
    // once, before any worker starts, so parallel files never race apt-get.
    globalSetup: ['tests/fixtures/globalSetup.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 30_000,
    hookTimeout: 60_000,
    teardownTimeout: 15_000,
  },
});
