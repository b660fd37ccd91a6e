import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['packages/*/test/**/*.test.ts', 'bench/test/**/*.test.ts'],
    // The load test runs alone afterwards (vitest.load.config.ts, `npm run test:load`).
    exclude: ['**/node_modules/**', '**/fixtures/**', 'packages/server/test/load/load.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 60_000,
    // Two cores: suites that start processes and databases run two at a time.
    pool: 'forks',
    maxWorkers: 2,
    reporters: ['default'],
  },
});
