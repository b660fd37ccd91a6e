import type { BenchPayload, BenchSystem, SessionResources } from '../types.ts';
import { JOBFLEET_CHUNK, JOBFLEET_WORKER, JobfleetSession } from './jobfleet-common.ts';

/** Jobfleet embedded: PGlite in memory, in the benchmark's own process. No peer runs embedded. */
export default function jobfleetPglite(): BenchSystem {
  const s = new JobfleetSession();
  return {
    id: 'jobfleet-pglite',
    label: 'Jobfleet (embedded PGlite, in memory)',
    backend: 'pglite',
    version: 'jobfleet 0.1.0 (working tree)',
    settings: {
      concurrency: JOBFLEET_WORKER.concurrency,
      prefetch: JOBFLEET_WORKER.prefetch,
      memory: true,
      relayEvents: false,
      enqueueMany: `${JOBFLEET_CHUNK} per call`,
    },
    setup: (res: SessionResources) => s.open(res, { memory: true }),
    enqueueBulk: (from, n) => s.enqueueBulk(from, n),
    analyze: () => s.analyze(),
    startWorkers: (c) => s.startWorkers(c),
    remaining: () => s.remaining(),
    completed: () => s.completed(),
    latencyProbe: (p: BenchPayload) => s.latencyProbe(p),
    teardown: () => s.close(),
  };
}
