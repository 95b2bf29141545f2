// Unit tests of the Svelte renderer: compiled by the Svelte plugin, run in happy-dom (each file says
// `// @vitest-environment happy-dom`). Kept apart from vitest.config.ts because the engine tests
// need the system-program globalSetup and these need the Svelte compiler and browser conditions.
import { defineConfig } from 'vitest/config';
import { svelte } from '@sveltejs/vite-plugin-svelte';
import { svelteTesting } from '@testing-library/svelte/vite';

export default defineConfig({
  plugins: [svelte(), svelteTesting()],
  test: {
    name: 'renderer',
    include: ['tests/unit/renderer/**/*.test.ts'],
    pool: 'forks',
    maxWorkers: 2,
    testTimeout: 15_000,
  },
});
