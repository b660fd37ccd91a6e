import { outboxStatus, type Jobfleet, type OutboxStatus } from '@jobfleet/core';

export interface BrokerQueueInfo {
  messages: number;
  consumers: number;
}

export interface DispatchInfo {
  kind: 'postgres' | 'rabbitmq';
  /** RabbitMQ dispatch only: messages not yet published (due now, and later). */
  outbox?: OutboxStatus;
  /** RabbitMQ dispatch only: whether the broker answered, its dead-letter depth, and per-queue figures. */
  broker?: { reachable: boolean; error?: string; deadLetters?: number; queues: Record<string, BrokerQueueInfo> };
}

/**
 * How jobs reach workers, for GET /queues and /metrics. A broker that does not answer is reported, not
 * thrown: the database remains the truth, and the queue counts must still be served.
 */
export async function dispatchInfo(fleet: Jobfleet, queues: readonly string[]): Promise<DispatchInfo> {
  if (fleet.dispatch.kind !== 'rabbitmq') return { kind: 'postgres' };
  const outbox = await outboxStatus(fleet.db, fleet.schema);
  try {
    const stats = await fleet.brokerStats(queues);
    return {
      kind: 'rabbitmq',
      outbox,
      broker: { reachable: true, deadLetters: stats?.deadLetters ?? 0, queues: stats?.queues ?? {} },
    };
  } catch (err) {
    return { kind: 'rabbitmq', outbox, broker: { reachable: false, error: (err as Error).message, queues: {} } };
  }
}
