/**
 * GET /api/v1/queues and /metrics with RabbitMQ dispatch (issue 8): the outbox backlog and the broker's
 * depth and consumers appear; a broker that does not answer is reported, never a 500.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable, waitFor } from '@jobfleet/core/testing';
import { AMQP_URL, amqpAvailable, deleteBrokerTopology } from '@jobfleet/core/testing/rabbitmq';
import { adminToken, call, startHarness, type Harness } from './helpers.ts';

describe.runIf(pgAvailable && amqpAvailable)('queues and metrics with RabbitMQ dispatch', () => {
  let h: Harness;
  let token: string;
  beforeAll(async () => {
    h = await startHarness({ dispatch: { kind: 'rabbitmq', url: AMQP_URL, prefix: `srv_${Date.now()}` } });
    token = await adminToken(h);
  });
  afterAll(async () => {
    const topology = h?.fleet.brokerTopology;
    await h?.close();
    if (topology) await deleteBrokerTopology(topology, ['default']).catch(() => {});
  });

  it('reports the outbox, then the broker’s queue depth, then the consumer of a running worker', async () => {
    for (let i = 0; i < 3; i++) {
      const r = await call(h, 'POST', '/api/v1/jobs', { token, body: { type: 'noop', payload: null } });
      expect(r.status).toBe(201);
    }
    // No relay yet: the outbox is not even switched on, so the jobs wait in PostgreSQL only.
    let q = await call(h, 'GET', '/api/v1/queues', { token });
    expect(q.status).toBe(200);
    expect(q.body.dispatch.kind).toBe('rabbitmq');
    expect(q.body.dispatch.outbox).toMatchObject({ enabled: false });

    const relay = h.fleet.createOutboxRelay({ pollMs: 50 });
    await relay.start();
    await waitFor(
      async () => {
        q = await call(h, 'GET', '/api/v1/queues', { token });
        // The relay deletes its rows when the broker has confirmed them, so the broker shows them first.
        return q.body.dispatch.broker?.queues?.default?.messages === 3 && q.body.dispatch.outbox?.due === 0;
      },
      { timeoutMs: 15_000, what: 'three messages in the broker and the outbox emptied' },
    );
    expect(q.body.dispatch.outbox).toMatchObject({ enabled: true, due: 0 });
    expect(q.body.dispatch.broker).toMatchObject({ reachable: true, deadLetters: 0 });

    const worker = h.fleet.createWorker({ concurrency: 2 });
    await worker.start();
    await waitFor(
      async () => {
        q = await call(h, 'GET', '/api/v1/queues', { token });
        const d = q.body.dispatch.broker?.queues?.default;
        return d?.messages === 0 && d?.consumers === 1;
      },
      { timeoutMs: 15_000, what: 'the queue drained by one consumer' },
    );

    const m = await call(h, 'GET', '/metrics', { token });
    expect(m.status).toBe(200);
    expect(m.body).toMatch(/jobfleet_broker_queue_consumers\{queue="default"\} 1/);
    expect(m.body).toMatch(/jobfleet_outbox_messages\{when="due"\} 0/);
    await worker.stop();
  }, 60_000);
});

describe.runIf(pgAvailable)('queues with an unreachable broker', () => {
  let h: Harness;
  beforeAll(async () => {
    // Port 1 on localhost: connection refused at once, every time.
    h = await startHarness({ dispatch: { kind: 'rabbitmq', url: 'amqp://guest:guest@127.0.0.1:1', prefix: 'unreachable' } });
  });
  afterAll(async () => h?.close());

  it('answers 200 with the counts and says the broker did not answer', async () => {
    const token = await adminToken(h);
    const q = await call(h, 'GET', '/api/v1/queues', { token });
    expect(q.status).toBe(200);
    expect(Array.isArray(q.body.queues)).toBe(true);
    expect(q.body.dispatch).toMatchObject({ kind: 'rabbitmq', broker: { reachable: false } });
    expect(q.body.dispatch.broker.error).toMatch(/not reachable/);
  }, 30_000);
});
