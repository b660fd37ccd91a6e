import type { BenchSystem } from '../types.ts';
import { JOBFLEET_CHUNK, JOBFLEET_WORKER, jobfleetSystem } from './jobfleet-common.ts';

/** Jobfleet embedded: PGlite in memory, in the benchmark's own process. No peer runs embedded. */
export default function jobfleetPglite(): BenchSystem {
  return jobfleetSystem(
    {
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
    },
    { memory: true },
  );
}
