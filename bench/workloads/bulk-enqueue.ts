import { performance } from 'node:perf_hooks';
import type { BenchSystem } from '../types.ts';

export interface BulkEnqueueResult {
  n: number;
  ms: number;
  jobsPerSec: number;
}

/**
 * Workload 3: enqueue n no-op jobs through the system's bulk API (10,000 per call) into an empty
 * store with no workers running. ANALYZE runs afterwards and is not timed. The drain workload uses
 * this as its enqueue phase, so each drain session also yields one bulk-enqueue sample.
 */
export async function measureBulkEnqueue(system: BenchSystem, n: number): Promise<BulkEnqueueResult> {
  const t0 = performance.now();
  await system.enqueueBulk(0, n);
  const ms = performance.now() - t0;
  await system.analyze();
  return { n, ms, jobsPerSec: n / (ms / 1000) };
}
