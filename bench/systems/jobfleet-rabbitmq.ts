import { BENCH_AMQP_URL } from '../broker.ts';
import type { BenchSystem } from '../types.ts';
import { JOBFLEET_CHUNK, JOBFLEET_POOL, JOBFLEET_WORKER, jobfleetSystem } from './jobfleet-common.ts';

/**
 * Jobfleet with RabbitMQ dispatch (issue 8): PostgreSQL stays the source of truth, enqueues fill the
 * outbox, a relay publishes it with confirms, workers consume with prefetch = concurrency and claim by id.
 */
export function jobfleetRabbitmq(): BenchSystem {
  return jobfleetSystem(
    {
      id: 'jobfleet-rabbitmq',
      label: 'Jobfleet (PostgreSQL + RabbitMQ dispatch)',
      backend: 'postgresql',
      version: 'jobfleet 0.1.0 (working tree), amqplib 2.3.1',
      settings: {
        concurrency: JOBFLEET_WORKER.concurrency,
        prefetch: `${JOBFLEET_WORKER.prefetch} (broker prefetch = concurrency + prefetch)`,
        poolSize: JOBFLEET_POOL,
        receiveEvents: false,
        dispatch: 'rabbitmq (classic priority queue, publisher confirms, one outbox relay per process)',
        enqueueMany: `${JOBFLEET_CHUNK} per call`,
      },
      note: 'RabbitMQ dispatch: every job also passes through the outbox table and the broker; the relay runs in the same process.',
    },
    { amqpUrl: BENCH_AMQP_URL },
  );
}

export default jobfleetRabbitmq;
