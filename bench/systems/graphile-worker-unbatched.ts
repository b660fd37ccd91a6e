import type { BenchSystem } from '../types.ts';
import { graphileSystem } from './graphile-common.ts';

/** graphile-worker with its defaults: every worker fetches and completes its own jobs, one per round trip. */
export default (): BenchSystem =>
  graphileSystem({
    id: 'graphile-worker-unbatched',
    label: 'graphile-worker (defaults, unbatched)',
    batching: {},
    maxDrainJobs: 20_000,
    note: 'Library defaults apart from concurrency 24 and maxPoolSize 25: one fetch and one completion per job. Drain capped at 20,000 jobs (quick: 5,000); it runs near 1,000 jobs/s here.',
  });
