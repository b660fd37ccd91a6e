import type { BenchSystem } from '../types.ts';
import { graphileSystem } from './graphile-common.ts';

/** graphile-worker with the batching its performance page uses (localQueue 500, batched completions). */
export default (): BenchSystem =>
  graphileSystem({
    id: 'graphile-worker',
    label: 'graphile-worker (batched)',
    batching: { localQueue: { size: 500 }, completeJobBatchDelay: 0, failJobBatchDelay: 0 },
    note: 'Settings from worker.graphile.org/docs/performance: concurrentJobs 24, maxPoolSize 25, localQueue.size 500, completeJobBatchDelay 0, failJobBatchDelay 0.',
  });
