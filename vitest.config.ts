import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    pool: 'forks',
    maxWorkers: 2,
    teardownTimeout: 15_000,
    projects: [
      {
        test: {
          name: 'node',
          include: ['tests/**/*.test.ts'],
          exclude: ['tests/unit/renderer/**', '**/node_modules/**'],
          // Installs the system programs the black-box tests need (trafficserver, haproxy, nginx)
          // once, before any worker starts, so parallel files never race apt-get.
          globalSetup: ['tests/fixtures/globalSetup.ts'],
          testTimeout: 30_000,
          hookTimeout: 60_000,
        },
      },
      // The Svelte renderer's unit tests: compiled by the Svelte plugin, run in happy-dom.
      './vitest.renderer.config.ts',
    ],
  },
});
