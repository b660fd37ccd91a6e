import type { BenchSystem } from '../types.ts';
import { JOBFLEET_CHUNK, JOBFLEET_POOL, JOBFLEET_WORKER, jobfleetSystem } from './jobfleet-common.ts';

/** Jobfleet on PostgreSQL. relayEvents true is the default with PostgreSQL (job events carried over NOTIFY). */
export function jobfleetPg(relayEvents: boolean): BenchSystem {
  return jobfleetSystem(
    {
      id: relayEvents ? 'jobfleet-pg' : 'jobfleet-pg-norelay',
      label: relayEvents ? 'Jobfleet (PostgreSQL, relayEvents on)' : 'Jobfleet (PostgreSQL, relayEvents off)',
      backend: 'postgresql',
      version: 'jobfleet 0.1.0 (working tree)',
      settings: {
        concurrency: JOBFLEET_WORKER.concurrency,
        prefetch: JOBFLEET_WORKER.prefetch,
        poolSize: JOBFLEET_POOL,
        relayEvents,
        receiveEvents: false,
        listen: true,
        enqueueMany: `${JOBFLEET_CHUNK} per call`,
      },
    },
    { relayEvents },
  );
}

export default (): BenchSystem => jobfleetPg(true);
