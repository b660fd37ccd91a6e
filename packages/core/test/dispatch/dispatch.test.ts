/**
 * RabbitMQ dispatch (issue 8), the parts the shared engine suites do not reach: configuration, the
 * migration splitter that carries the outbox triggers, and what the consumer does with messages it
 * should not run (duplicates, garbage, cancelled jobs, types it lacks), the dead-letter mirror, and the
 * backfill when broker dispatch is switched on over a backlog. The engine suites (worker, client,
 * maintenance) run again on 'pg+rabbitmq' through test/helpers/adapters.ts.
 */
import amqp from 'amqplib';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  brokerPriority,
  defineJob,
  dispatchFromEnv,
  enableOutbox,
  disableOutbox,
  outboxStatus,
  republishWaitingJobs,
  Jobfleet,
} from '../../src/index.ts';
import { splitStatements } from '../../src/db/migrate.ts';
import { closeChannelQuietly } from '../../src/dispatch/broker-connection.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../../testing/index.ts';
import { AMQP_URL, amqpAvailable, deleteBrokerTopology } from '../../testing/rabbitmq.ts';

describe('dispatch configuration', () => {
  it('reads postgres by default and rabbitmq with its defaults', () => {
    expect(dispatchFromEnv({})).toEqual({ kind: 'postgres' });
    expect(dispatchFromEnv({ JOBFLEET_DISPATCH: ' RabbitMQ ' })).toEqual({
      kind: 'rabbitmq',
      url: 'amqp://guest:guest@127.0.0.1:5672',
      quorum: false,
      prefix: 'jobfleet',
    });
    expect(
      dispatchFromEnv({
        JOBFLEET_DISPATCH: 'rabbitmq',
        AMQP_URL: 'amqps://u:p@mq:5671/v',
        JOBFLEET_AMQP_QUORUM: 'true',
        JOBFLEET_AMQP_PREFIX: 'app.prod',
      }),
    ).toEqual({ kind: 'rabbitmq', url: 'amqps://u:p@mq:5671/v', quorum: true, prefix: 'app.prod' });
  });

  it('refuses unknown dispatchers, URLs of other schemes and hostile prefixes with clear messages', () => {
    expect(() => dispatchFromEnv({ JOBFLEET_DISPATCH: 'pulsar' })).toThrow(/JOBFLEET_DISPATCH must be "postgres" or "rabbitmq"/);
    expect(() => dispatchFromEnv({ JOBFLEET_DISPATCH: 'rabbitmq', AMQP_URL: 'http://x' })).toThrow(
      /AMQP_URL must start with amqp/,
    );
    for (const prefix of ['a b', 'x'.repeat(65), '.dot', 'q\n#']) {
      expect(() => dispatchFromEnv({ JOBFLEET_DISPATCH: 'rabbitmq', JOBFLEET_AMQP_PREFIX: prefix })).toThrow(
        /JOBFLEET_AMQP_PREFIX/,
      );
    }
  });

  it('maps priorities −5…5 onto RabbitMQ’s 0…10 and clamps the rest', () => {
    expect([-1000, -6, -5, -1, 0, 1, 5, 6, 1000].map(brokerPriority)).toEqual([0, 0, 0, 4, 5, 6, 10, 10, 10]);
  });

  it('refuses RabbitMQ dispatch on the embedded database', async () => {
    await expect(Jobfleet.open({ memory: true, dispatch: { kind: 'rabbitmq', url: AMQP_URL } })).rejects.toThrow(
      /RabbitMQ dispatch needs PostgreSQL/,
    );
  });
});

describe.runIf(amqpAvailable)('broker channels', () => {
  it('a channel whose close is in flight when its connection goes settles (amqplib never calls that close back)', async () => {
    for (const cut of ['closed by the client', 'socket broken'] as const) {
      const conn = await amqp.connect(AMQP_URL);
      conn.on('error', () => {});
      const ch = await conn.createChannel();
      ch.on('error', () => {});
      const closed = closeChannelQuietly(ch).then(() => 'settled');
      if (cut === 'closed by the client') void conn.close().catch(() => {});
      else (conn.connection as unknown as { stream: { destroy(e: Error): void } }).stream.destroy(new Error('cut'));
      const timeout = new Promise<string>((r) => setTimeout(() => r('still waiting after 3 s'), 3000));
      expect(await Promise.race([closed, timeout]), cut).toBe('settled');
      await conn.close().catch(() => {});
    }
  });
});

describe('migration splitting', () => {
  it('keeps dollar-quoted bodies whole and drops comment lines', () => {
    const sql = `-- a comment; with a semicolon;
CREATE TABLE t (a int);
CREATE FUNCTION f() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  INSERT INTO t VALUES (1);
  RETURN NULL;
END
$$;
CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$;
SELECT 'text; with semicolon' AS x`;
    const parts = splitStatements(sql);
    expect(parts).toHaveLength(4);
    expect(parts[0]).toBe('CREATE TABLE t (a int)');
    expect(parts[1]).toMatch(/^CREATE FUNCTION f\(\)[\s\S]*RETURN NULL;\nEND\n\$\$$/);
    expect(parts[2]).toBe('CREATE FUNCTION g() RETURNS int LANGUAGE sql AS $body$ SELECT 1; $body$');
    expect(parts[3]).toBe("SELECT 'text; with semicolon' AS x");
  });
});

const runs = new Map<string, number>();
const counted = defineJob({
  name: 'counted',
  schema: z.object({ n: z.number() }),
  handler: (_p, ctx) => {
    runs.set(ctx.jobId, (runs.get(ctx.jobId) ?? 0) + 1);
    return 'ok';
  },
});
const doomed = defineJob({
  name: 'doomed',
  maxAttempts: 1,
  handler: () => {
    throw new Error('always');
  },
});
// Lives in the same queue as `counted`, but only a second worker has it.
const other = defineJob({ name: 'other', handler: () => 'other ran' });

describe.runIf(pgAvailable && amqpAvailable)('RabbitMQ dispatch: messages the consumer must not run', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let conn: amqp.ChannelModel;
  let ch: amqp.Channel;

  beforeEach(async () => {
    runs.clear();
    db = await createTestDatabase('jobfleet_dispatch');
    fleet = await Jobfleet.open({
      databaseUrl: db.url,
      jobTypes: [counted, doomed],
      dispatch: { kind: 'rabbitmq', url: AMQP_URL, prefix: db.name },
    });
    conn = await amqp.connect(AMQP_URL);
    ch = await conn.createChannel();
  });
  afterEach(async () => {
    await conn.close().catch(() => {});
    const topology = fleet.brokerTopology!;
    await fleet.close({ graceMs: 0 });
    await deleteBrokerTopology(topology, ['default']).catch(() => {});
    await db.drop();
  });

  const depth = async () => (await fleet.brokerStats(['default']))!.queues.default!;

  it('runs a job once however many times its message arrives, and drops garbage without looping on it', async () => {
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    const job = await fleet.client.enqueue('counted', { n: 1 });
    const queue = fleet.brokerTopology!.queueName('default');
    await ch.assertQueue(queue, { durable: true, arguments: { 'x-max-priority': 10 } });
    // Four more copies of the job's message, a message for a job that does not exist, and garbage.
    for (let i = 0; i < 4; i++) ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id: job.id, queue: 'default' })));
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id: '01900000-0000-7000-8000-000000000000', queue: 'default' })));
    ch.sendToQueue(queue, Buffer.from('not json at all'));
    ch.sendToQueue(queue, Buffer.from(JSON.stringify({ id: "'; DROP TABLE jobfleet.jobs; --" })));
    const worker = fleet.createWorker({ concurrency: 4 });
    await worker.start();
    await waitFor(async () => (await fleet.client.get(job.id))?.status === 'COMPLETED', { what: 'completion' });
    // The relay's own message for the job may come after a copy already ran it: wait for all seven drops.
    await waitFor(
      async () => (worker.stats().dropped as number) >= 7 && (await depth()).messages === 0 && worker.stats().held === 0,
      { what: 'every message settled' },
    );
    expect(runs.get(job.id)).toBe(1);
    expect(await fleet.client.get(job.id)).toMatchObject({ status: 'COMPLETED', attempts: 1 });
    expect(worker.stats()).toMatchObject({ dropped: 7 });
    await worker.stop();
  });

  it('acknowledges in runs over corked writes: every message settles once, in fewer frames than messages', async () => {
    const broker = await fleet.broker();
    await broker.waitUntilConnected();
    let muxer: { jobfleetCorked?: boolean } | undefined;
    await broker.register(async (model) => {
      muxer = (model as unknown as { connection: { muxer: { jobfleetCorked?: boolean } } }).connection.muxer;
    });
    // amqplib's internals are where coalesceFrameWrites expects them (an upgrade that moves them fails here).
    expect(muxer?.jobfleetCorked).toBe(true);
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    const jobs = await fleet.client.enqueueMany(Array.from({ length: 300 }, (_, n) => ({ type: 'counted', payload: { n } })));
    const worker = fleet.createWorker({ concurrency: 8 });
    await worker.start();
    await waitFor(
      async () => worker.stats().held === 0 && (await fleet.client.list({ status: 'COMPLETED', limit: 500 })).jobs.length === 300,
      { what: 'all 300 jobs to complete and be acknowledged', timeoutMs: 30_000 },
    );
    const stats = worker.stats();
    expect(stats.acked).toBe(300);
    expect(stats.ackFrames as number).toBeLessThan(300);
    // Closing the channel requeues whatever was left unacknowledged: nothing may come back.
    await worker.stop();
    expect((await depth()).messages).toBe(0);
    for (const j of jobs) expect(runs.get(j.id)).toBe(1);
  });

  it('drops the message of a job cancelled before it was delivered', async () => {
    await enableOutbox(fleet.db, fleet.schema);
    const job = await fleet.client.enqueue('counted', { n: 2 });
    await fleet.client.cancel(job.id);
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    const worker = fleet.createWorker();
    await worker.start();
    await waitFor(async () => (worker.stats().dropped as number) >= 1, { what: 'the message dropped' });
    expect(runs.size).toBe(0);
    expect((await fleet.client.get(job.id))?.status).toBe('CANCELLED');
    await worker.stop();
  });

  it('mirrors DEAD jobs to the dead-letter queue', async () => {
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    const worker = fleet.createWorker();
    await worker.start();
    const job = await fleet.client.enqueue('doomed');
    await waitFor(async () => (await fleet.client.get(job.id))?.status === 'DEAD', { what: 'the job to die' });
    await waitFor(async () => (await fleet.brokerStats(['default']))!.deadLetters === 1, { what: 'one dead letter' });
    const msg = await ch.get(fleet.brokerTopology!.deadQueue, { noAck: true });
    expect(msg && JSON.parse(msg.content.toString())).toEqual({ id: job.id, queue: 'default' });
    expect(msg && msg.properties.type).toBe('dead');
    await worker.stop();
  });

  it('republishes the waiting jobs whose messages the broker lost, and leaves delayed ones to the outbox', async () => {
    await expect(republishWaitingJobs(fleet.db, fleet.schema)).rejects.toThrow(/RabbitMQ dispatch is off for this database/);
    await enableOutbox(fleet.db, fleet.schema);
    const relay = fleet.createOutboxRelay({ pollMs: 50 });
    await relay.start();
    const jobs = await fleet.client.enqueueMany(Array.from({ length: 30 }, (_, n) => ({ type: 'counted', payload: { n } })));
    const delayed = await fleet.client.enqueue('counted', { n: 99 }, { delay: 60_000 });
    await waitFor(async () => (await depth()).messages === 30, { what: 'all 30 messages in the broker' });
    // The broker loses them (as a queue deleted by hand would): the jobs wait in PostgreSQL with no message.
    await ch.purgeQueue(fleet.brokerTopology!.queueName('default'));
    const worker = fleet.createWorker({ concurrency: 8 });
    await worker.start();
    await new Promise((r) => setTimeout(r, 500));
    expect(runs.size).toBe(0);
    // Only the 30 get a message: the delayed job's still waits in the outbox for its time.
    expect(await republishWaitingJobs(fleet.db, fleet.schema)).toBe(30);
    expect(await outboxStatus(fleet.db, fleet.schema)).toMatchObject({ later: 1 });
    await waitFor(async () => jobs.every((j) => runs.get(j.id) === 1), { what: 'the 30 jobs to run' });
    expect(await republishWaitingJobs(fleet.db, fleet.schema)).toBe(0);
    await worker.stop();
    // A message that survived meets its second copy: the job still runs once.
    const more = await fleet.client.enqueueMany(Array.from({ length: 5 }, (_, n) => ({ type: 'counted', payload: { n } })));
    await waitFor(async () => (await depth()).messages === 5, { what: 'the 5 later messages in the broker' });
    expect(await republishWaitingJobs(fleet.db, fleet.schema)).toBe(5);
    await waitFor(async () => (await depth()).messages === 10, { what: 'two messages for each' });
    const second = fleet.createWorker({ concurrency: 8 });
    await second.start();
    await waitFor(async () => more.every((j) => runs.get(j.id) === 1), { what: 'the 5 later jobs to run' });
    await waitFor(async () => (await depth()).messages === 0 && second.stats().held === 0, { what: 'every message settled' });
    expect(second.stats().delivered).toBe(10);
    for (const j of [...jobs, ...more]) expect(runs.get(j.id)).toBe(1);
    expect(runs.has(delayed.id)).toBe(false);
    await second.stop();
  });

  it('switched on over a backlog, publishes every waiting job once; switched off, clears the outbox', async () => {
    const jobs = await fleet.client.enqueueMany(Array.from({ length: 50 }, (_, n) => ({ type: 'counted', payload: { n } })));
    const delayed = await fleet.client.enqueue('counted', { n: 99 }, { delay: 60_000 });
    expect(await outboxStatus(fleet.db, fleet.schema)).toEqual({ enabled: false, due: 0, later: 0 });
    expect(await enableOutbox(fleet.db, fleet.schema)).toBe(51);
    expect(await enableOutbox(fleet.db, fleet.schema)).toBe(0);
    expect(await outboxStatus(fleet.db, fleet.schema)).toEqual({ enabled: true, due: 50, later: 1 });
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    const worker = fleet.createWorker({ concurrency: 8 });
    await worker.start();
    await waitFor(async () => jobs.every((j) => runs.get(j.id) === 1), { what: '50 runs' });
    expect(runs.has(delayed.id)).toBe(false);
    await worker.stop();
    await disableOutbox(fleet.db, fleet.schema);
    expect(await outboxStatus(fleet.db, fleet.schema)).toEqual({ enabled: false, due: 0, later: 0 });
    // With the triggers off, new jobs write no outbox rows.
    await fleet.client.enqueue('counted', { n: 3 });
    expect((await outboxStatus(fleet.db, fleet.schema)).due).toBe(0);
  });

  it('hands a job whose type this worker lacks back through the outbox, for a worker that has it', async () => {
    await fleet.createOutboxRelay({ pollMs: 50 }).start();
    // A second process that knows `other`: it enqueues, and its worker is started later.
    const second = await Jobfleet.open({
      databaseUrl: db.url,
      jobTypes: [other],
      migrate: false,
      dispatch: { kind: 'rabbitmq', url: AMQP_URL, prefix: db.name },
    });
    try {
      const first = fleet.createWorker();
      await first.start();
      const job = await second.client.enqueue('other');
      await waitFor(async () => (first.stats().redispatched as number) >= 1, { what: 'the job handed back' });
      expect((await fleet.client.get(job.id))?.status).toBe('QUEUED');
      const w2 = second.createWorker();
      await w2.start();
      await waitFor(async () => (await fleet.client.get(job.id))?.status === 'COMPLETED', {
        timeoutMs: 20_000,
        what: 'the job to run',
      });
      expect((await fleet.client.get(job.id))?.result).toBe('other ran');
      await w2.stop();
      await first.stop();
    } finally {
      await second.close({ graceMs: 0 });
    }
  }, 40_000);
});
