import { defineConfig } from 'vitest/config';

/**
 * The load test on its own: it calibrates its rate against the machine and then holds half of it, so it
 * must not share the two cores with the rest of the suite (which took them away mid-run and turned half
 * load into overload). Not merged with vitest.config.ts: mergeConfig concatenates `include` lists.
 */
export default defineConfig({
  test: {
    include: ['packages/server/test/load/load.test.ts'],
    testTimeout: 60_000,
    hookTimeout: 120_000,
    pool: 'forks',
    maxWorkers: 1,
    reporters: ['default'],
  },
});
