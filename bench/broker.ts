import { BrokerConnection, RabbitTopology } from '@jobfleet/core';

export const BENCH_AMQP_URL = process.env.JOBFLEET_BENCH_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

/** Broker names follow the session's database, so sessions never see each other's messages. */
export const benchBrokerPrefix = (database: string): string => `bench-${database}`;

/** The databases whose sessions use RabbitMQ (named by bench/resources.ts after the system). */
export const usesBroker = (database: string): boolean => database.startsWith('bench_jobfleet_rabbitmq_');

/**
 * Deletes the queues and exchanges of a session's database, over a connection of its own. Called when
 * the database is dropped, after every process of the session closed: deleting them under a live
 * relay made its next publish a channel error (no such exchange), and the backlog of a scale-out lived
 * in them while worker processes ran. A session killed at its time limit gets the same cleanup.
 */
export async function deleteSessionBroker(database: string): Promise<void> {
  const broker = await BrokerConnection.open(BENCH_AMQP_URL);
  try {
    await broker.waitUntilConnected(10_000);
    const topology = new RabbitTopology({ schema: 'jobfleet', prefix: benchBrokerPrefix(database) });
    await broker.withChannel((ch) => topology.teardown(ch, ['default']));
  } finally {
    await broker.close();
  }
}
