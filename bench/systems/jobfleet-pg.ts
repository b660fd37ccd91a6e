import type { BenchSystem } from '../types.ts';
import { JOBFLEET_CHUNK, JOBFLEET_POOL, JOBFLEET_WORKER, jobfleetSystem } from './jobfleet-common.ts';

/**
 * Jobfleet on PostgreSQL. relayEvents true is the default with PostgreSQL (job events carried over NOTIFY).
 * handoff false turns off the worker's direct start of jobs enqueued in its own process: every job then
 * waits for a claim, as it does when the enqueuer and the worker are different processes.
 */
export function jobfleetPg(relayEvents: boolean, handoff = true): BenchSystem {
  return jobfleetSystem(
    {
      id: !handoff ? 'jobfleet-pg-claim' : relayEvents ? 'jobfleet-pg' : 'jobfleet-pg-norelay',
      label: !handoff
        ? 'Jobfleet (PostgreSQL, direct start off)'
        : relayEvents
          ? 'Jobfleet (PostgreSQL, relayEvents on)'
          : 'Jobfleet (PostgreSQL, relayEvents off)',
      backend: 'postgresql',
      version: 'jobfleet 0.1.0 (working tree)',
      settings: {
        concurrency: JOBFLEET_WORKER.concurrency,
        prefetch: JOBFLEET_WORKER.prefetch,
        poolSize: JOBFLEET_POOL,
        relayEvents,
        handoff,
        receiveEvents: false,
        listen: true,
        enqueueMany: `${JOBFLEET_CHUNK} per call`,
      },
    },
    { relayEvents, handoff },
  );
}

export default (): BenchSystem => jobfleetPg(true);
