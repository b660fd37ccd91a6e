/**
 * Chaos with RabbitMQ dispatch (issue 8): real worker processes consuming from the machine's RabbitMQ,
 * real PostgreSQL, a ledger counting executions. In `npm test`: workers SIGKILLed while holding
 * unacknowledged messages, the broker connection cut for a while (through a proxy the test owns), and the
 * relay killed before and during publishing. `npm run test:chaos` adds `rabbitmqctl stop_app` / `start_app`
 * of the machine's broker, which would disturb other suites running at the same time.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, Jobfleet } from '../../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../../testing/index.ts';
import { AMQP_URL, amqpAvailable, deleteBrokerTopology } from '../../testing/rabbitmq.ts';
import { createLedger, figure, FULL, ledgerCounts, sleep, startWorker, TcpProxy, type Proc } from './helpers.ts';

const run = promisify(execFile);
const ledger = defineJob({ name: 'ledger', schema: z.object({ n: z.number(), ms: z.number().optional() }), handler: () => null });

describe.runIf(pgAvailable && amqpAvailable)('chaos: RabbitMQ dispatch', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const procs: Proc[] = [];
  const env = (extra: Record<string, string> = {}) => ({
    DATABASE_URL: db.url,
    JOBFLEET_DISPATCH: 'rabbitmq',
    AMQP_URL,
    JOBFLEET_AMQP_PREFIX: db.name,
    CONCURRENCY: '8',
    LEASE_MS: '2000',
    JOB_MS: '20',
    RESCUE_MS: '500',
    ...extra,
  });
  const spawn = async (extra: Record<string, string> = {}) => {
    const p = await startWorker(env(extra));
    procs.push(p);
    return p;
  };
  const enqueue = (from: number, count: number) =>
    fleet.client.enqueueMany(
      Array.from({ length: count }, (_, i) => ({ type: 'ledger', payload: { n: from + i }, options: { maxAttempts: 100 } })),
    );
  const completed = async () =>
    (await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobfleet.jobs WHERE status = 'COMPLETED'`)).rows[0]!.n;
  const outboxRows = async () =>
    (await fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM jobfleet.dispatch_outbox`)).rows[0]!.n;

  beforeEach(async () => {
    db = await createTestDatabase('jobfleet_chaos_amqp');
    // This handle enqueues and inspects; it runs no worker and no relay.
    fleet = await Jobfleet.open({
      databaseUrl: db.url,
      jobTypes: [ledger],
      dispatch: { kind: 'rabbitmq', url: AMQP_URL, prefix: db.name },
    });
    await createLedger(fleet.db);
  });
  afterEach(async () => {
    await Promise.all(procs.splice(0).map((p) => p.stop('SIGKILL', 5000)));
    const topology = fleet.brokerTopology!;
    await fleet.close();
    await deleteBrokerTopology(topology, ['default']).catch(() => {});
    await db.drop();
  });

  it('workers SIGKILLed holding unacknowledged messages: redelivered, each job completes exactly once', async () => {
    const N = 3000;
    const slots = await Promise.all([0, 1, 2].map(() => spawn()));
    await enqueue(0, N);
    const killed = new Set<number>();
    for (let k = 0; k < 3; k++) {
      await sleep(1500);
      const i = k % slots.length;
      const victim = slots[i]!;
      victim.child.kill('SIGKILL');
      await victim.exited;
      killed.add(victim.pid);
      slots[i] = await spawn();
    }
    await waitFor(async () => (await completed()) === N, { timeoutMs: 120_000, intervalMs: 250, what: `${N} completions` });
    const counts = await ledgerCounts(fleet.db);
    figure('rabbitmq worker-kill', { kills: killed.size, ...counts });
    expect(counts).toMatchObject({ jobs: N, completed: N, notCompleted: 0, distinctExecuted: N });
    // Only jobs a killed worker had started run again.
    const { rows } = await fleet.db.query<{ pids: number[] }>(
      `SELECT array_agg(pid ORDER BY at) AS pids FROM public.ledger GROUP BY job_id HAVING count(*) > 1`,
    );
    for (const r of rows) for (const pid of r.pids.slice(0, -1)) expect(killed.has(pid)).toBe(true);
    await waitFor(async () => (await outboxRows()) === 0, { timeoutMs: 20_000, what: 'an empty outbox' });
  }, 240_000);

  it('the broker connection cut for 5 s mid-run: relay and workers reconnect by themselves, nothing lost', async () => {
    const proxy = await TcpProxy.start({ host: '127.0.0.1', port: Number(new URL(AMQP_URL).port || 5672) });
    try {
      const viaProxy = AMQP_URL.replace(/:(\d+)(\/|$)/, `:${proxy.port}$2`);
      await Promise.all([0, 1].map(() => spawn({ AMQP_URL: viaProxy })));
      await enqueue(0, 2000);
      await waitFor(async () => (await completed()) >= 300, { timeoutMs: 60_000, what: '300 completions' });
      await proxy.cut();
      const cutAt = Date.now();
      // Submissions go on while the broker is away: they wait in the outbox.
      await enqueue(2000, 1000);
      await sleep(5000);
      const duringOutage = await completed();
      await proxy.restore();
      await waitFor(async () => (await completed()) === 3000, { timeoutMs: 120_000, intervalMs: 250, what: '3000 completions' });
      const counts = await ledgerCounts(fleet.db);
      figure('rabbitmq connection-cut', { outageMs: Date.now() - cutAt, completedWhenRestored: duringOutage, ...counts });
      expect(counts).toMatchObject({ jobs: 3000, completed: 3000, notCompleted: 0, distinctExecuted: 3000 });
      // No process died, so nothing ran twice: redelivered messages found their jobs finished or running.
      expect(counts.reexecutions).toBe(0);
      await waitFor(async () => (await outboxRows()) === 0, { timeoutMs: 20_000, what: 'an empty outbox' });
    } finally {
      await proxy.close();
    }
  }, 240_000);

  it('the relay killed before and while publishing: every job is published after its restart', async () => {
    const N = 4000;
    // No relay runs: committed jobs wait in the outbox, and nothing reaches the broker.
    const { enableOutbox } = await import('../../src/index.ts');
    await enableOutbox(fleet.db, 'jobfleet');
    await enqueue(0, N);
    expect(await outboxRows()).toBe(N);
    expect((await fleet.brokerStats(['default']))!.queues.default!.messages).toBe(0);

    // A relay starts publishing and is killed part-way (rows published but not yet deleted are published again).
    const relay = await spawn({ ROLE: 'relay' });
    await waitFor(async () => (await outboxRows()) < N, { timeoutMs: 30_000, intervalMs: 5, what: 'the relay to start' });
    relay.child.kill('SIGKILL');
    await relay.exited;
    const left = await outboxRows();
    figure('rabbitmq relay-kill', { outboxLeftAtKill: left });

    await spawn({ ROLE: 'relay' });
    await waitFor(async () => (await outboxRows()) === 0, { timeoutMs: 60_000, what: 'the restarted relay to publish the rest' });
    await spawn();
    await waitFor(async () => (await completed()) === N, { timeoutMs: 120_000, intervalMs: 250, what: `${N} completions` });
    const counts = await ledgerCounts(fleet.db);
    expect(counts).toMatchObject({ jobs: N, completed: N, distinctExecuted: N, reexecutions: 0 });
  }, 240_000);

  it.runIf(FULL)(
    'rabbitmqctl stop_app for 10 s mid-run: everything reconnects, every job completes once',
    async () => {
      await Promise.all([0, 1].map(() => spawn()));
      await enqueue(0, 5000);
      await waitFor(async () => (await completed()) >= 500, { timeoutMs: 60_000, what: '500 completions' });
      await run('rabbitmqctl', ['stop_app'], { timeout: 60_000 });
      try {
        await enqueue(5000, 2000);
        await sleep(10_000);
      } finally {
        await run('rabbitmqctl', ['start_app'], { timeout: 120_000 });
      }
      await waitFor(async () => (await completed()) === 7000, { timeoutMs: 300_000, intervalMs: 500, what: '7000 completions' });
      const counts = await ledgerCounts(fleet.db);
      figure('rabbitmq stop_app', counts);
      expect(counts).toMatchObject({ jobs: 7000, completed: 7000, notCompleted: 0, distinctExecuted: 7000, reexecutions: 0 });
    },
    600_000,
  );
});
