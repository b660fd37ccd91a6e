/**
 * Test support for RabbitMQ dispatch: the machine's real broker. Locally, when it is unreachable, suites
 * that need it skip with a printed reason; under CI=true they fail instead.
 */
import amqp from 'amqplib';
import type { RabbitTopology } from '../src/dispatch/rabbitmq-topology.ts';

export const AMQP_URL = process.env.JOBFLEET_TEST_AMQP_URL ?? 'amqp://guest:guest@127.0.0.1:5672';

async function probe(): Promise<string | null> {
  try {
    const c = await amqp.connect(AMQP_URL, { timeout: 3000 });
    await c.close();
    return null;
  } catch (err) {
    return (err as Error).message || String(err);
  }
}

const problem = await probe();
if (problem) {
  const msg = `RabbitMQ at ${AMQP_URL} is unreachable (${problem}).`;
  if (process.env.CI) throw new Error(`${msg} CI needs it: start it with the command in ../shared/DESIGN.md.`);
  console.warn(`SKIPPING RabbitMQ tests: ${msg}`);
}

/** True when the real RabbitMQ can be used. */
export const amqpAvailable = problem === null;

/** Deletes a test's queues and exchanges over a connection of its own (after the fleets using them closed). */
export async function deleteBrokerTopology(topology: RabbitTopology, queues: readonly string[] = []): Promise<void> {
  const c = await amqp.connect(AMQP_URL);
  try {
    const ch = await c.createChannel();
    await topology.teardown(ch, queues);
  } finally {
    await c.close().catch(() => {});
  }
}
