import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, type Job, type Jobfleet, type JobEvent, type Worker } from '../src/index.ts';
import { waitFor } from '../testing/index.ts';
import { adapters, type Adapter } from './helpers/adapters.ts';

// Holds each attempt open until the test releases it, and shows the test the job its handler was given.
const held = new Map<string, { job: Job; release: () => void }>();
const hold = defineJob({
  name: 'hold',
  schema: z.object({ n: z.number() }).passthrough(),
  handler: (_p, ctx) => new Promise<string>((resolve) => void held.set(ctx.jobId, { job: ctx.job, release: () => resolve('done') })),
});
const other = defineJob({ name: 'other', queue: 'elsewhere', handler: () => 'other' });

/** Waits until the worker has settled: nothing running, buffered, reserved or unwritten. */
const idle = (worker: Worker) =>
  waitFor(() => {
    const s = worker.stats();
    return s.running === 0 && s.buffered === 0 && s.reserved === 0 && s.pendingOutcomes === 0;
  });

/**
 * Direct start (worker/handoff.ts): a job enqueued by a process whose worker has a free slot is inserted
 * RUNNING under that worker's lease and runs without a claim, unless order or a pause forbids it.
 */
describe.each(adapters())('direct start on $name', ({ name, make }) => {
  let adapter: Adapter;
  let fleet: Jobfleet;
  let worker: Worker;
  const events: JobEvent[] = [];
  const broker = name === 'pg+rabbitmq';

  beforeAll(async () => {
    adapter = await make();
    fleet = await adapter.open([hold, other]);
    fleet.events.subscribe((e) => events.push(e));
    // No notifications and a long poll: a job left QUEUED waits for the in-process wake-up or a claim we cause.
    // It serves 'default' only: jobs of 'elsewhere' are not its to start.
    worker = fleet.createWorker({
      queues: ['default'],
      concurrency: 2,
      prefetch: 0,
      listen: false,
      pollIntervalMs: 60_000,
      leaseMs: 5000,
    });
    await worker.start();
  });
  afterAll(async () => adapter.cleanup());

  const finished = (id: string, f: Jobfleet = fleet) =>
    waitFor(
      async () => {
        const j = await f.client.get(id);
        return j?.status === 'COMPLETED' ? j : null;
      },
      { what: `job ${id} to complete`, timeoutMs: 15_000 },
    );
  const release = async (id: string) => (await waitFor(() => held.get(id), { what: `job ${id} to start` })).release();

  it('a lone job with a free slot is inserted RUNNING and run as stored, with QUEUED, RUNNING, COMPLETED events in order', async () => {
    const before = worker.stats().startedDirectly as number;
    const job = await fleet.client.enqueue('hold', { n: 1, nested: { list: [1, 'two', null] } }, { priority: 2, metadata: { m: 1 } });
    if (broker) {
      // A RabbitMQ-fed worker takes jobs from the broker only.
      expect(job.status).toBe('QUEUED');
      await release(job.id);
      await finished(job.id);
      expect(worker.stats().startedDirectly).toBe(0);
      return;
    }
    expect(job).toMatchObject({ status: 'RUNNING', attempts: 1, workerId: worker.id });
    expect(job.startedAt).toBeInstanceOf(Date);
    // Started before enqueue() returned: no claim came between.
    const h = held.get(job.id)!;
    expect(h).toBeDefined();
    expect(worker.stats().startedDirectly).toBe(before + 1);
    const stored = (await fleet.client.get(job.id))!;
    expect(stored).toMatchObject({ status: 'RUNNING', attempts: 1, workerId: worker.id });
    const { updatedAt, startedAt, ...given } = h.job;
    const { updatedAt: u2, startedAt: s2, ...asStored } = stored;
    expect(given).toEqual(asStored);
    expect(Math.abs(startedAt!.getTime() - s2!.getTime())).toBeLessThan(5000);
    expect(Math.abs(updatedAt.getTime() - u2.getTime())).toBeLessThan(5000);
    h.release();
    expect(await finished(job.id)).toMatchObject({ result: 'done', attempts: 1, error: null });
    await waitFor(() => events.some((e) => e.jobId === job.id && e.status === 'COMPLETED'));
    const states = events.filter((e) => e.jobId === job.id && e.kind === 'state');
    expect(states.map((e) => e.status)).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    expect(states.map((e) => e.attempt ?? 0)).toEqual([0, 1, 1]);
    await idle(worker);
  });

  it('keeps order: behind a waiting job as urgent or more it is QUEUED; ahead of less urgent ones it starts', async () => {
    if (broker) return;
    // A ready job the worker has not claimed yet (written directly: no wake-up reaches the worker).
    const waiting = randomUUID();
    await fleet.db.query(
      `INSERT INTO ${fleet.schema}.jobs (id, type, queue, status, payload, priority) VALUES ($1, 'hold', 'default', 'QUEUED', '{"n":0}', 1)`,
      [waiting],
    );
    const behind = await fleet.client.enqueue('hold', { n: 2 }, { priority: 1 });
    expect(behind.status).toBe('QUEUED');
    // The enqueue woke the worker in-process: it claims both, oldest first.
    await release(waiting);
    await release(behind.id);
    await finished(behind.id);
    await idle(worker);

    const lower = randomUUID();
    await fleet.db.query(
      `INSERT INTO ${fleet.schema}.jobs (id, type, queue, status, payload, priority) VALUES ($1, 'hold', 'default', 'QUEUED', '{"n":0}', -5)`,
      [lower],
    );
    const ahead = await fleet.client.enqueue('hold', { n: 3 }, { priority: 0 });
    expect(ahead.status).toBe('RUNNING');
    await release(ahead.id);
    await finished(ahead.id);
    // The lower-priority job is still there for the next claim.
    worker.wake();
    await release(lower);
    await finished(lower);
    await idle(worker);
  });

  it('never starts a job of a paused queue, a delayed job, a job enqueued in a transaction, or one the worker does not serve', async () => {
    if (broker) return;
    const before = worker.stats().startedDirectly as number;
    await fleet.client.pauseQueue('default');
    const paused = await fleet.client.enqueue('hold', { n: 4 });
    expect(paused.status).toBe('QUEUED');
    const delayed = await fleet.client.enqueue('hold', { n: 5 }, { delay: 60_000 });
    expect(delayed.status).toBe('SCHEDULED');
    await fleet.client.resumeQueue('default');
    const inTx = await fleet.db.transaction((tx) => fleet.client.enqueue('hold', { n: 6 }, {}, { tx }));
    expect(inTx.status).toBe('QUEUED');
    const elsewhere = await fleet.client.enqueue('other');
    expect(elsewhere.status).toBe('QUEUED');
    expect(worker.stats().startedDirectly).toBe(before);
    // The worker still runs the ready ones of its queue through its claims.
    worker.wake();
    await release(paused.id);
    await release(inTx.id);
    await finished(paused.id);
    await finished(inTx.id);
    for (const j of [delayed, elsewhere]) expect(await fleet.client.cancel(j.id)).toMatchObject({ status: 'CANCELLED' });
    await idle(worker);
  });

  it('frees the slot when the enqueue does not start the job (a duplicate key, a failed insert)', async () => {
    if (broker) return;
    const first = await fleet.client.enqueue('hold', { n: 7 }, { idempotencyKey: 'direct-dup' });
    expect(first.status).toBe('RUNNING');
    for (let i = 0; i < 5; i++) {
      const dup = await fleet.client.enqueue('hold', { n: 7 }, { idempotencyKey: 'direct-dup' });
      expect(dup).toMatchObject({ id: first.id, deduplicated: true });
    }
    // A payload PostgreSQL refuses (jsonb cannot hold \u0000): the insert fails and loses nothing else.
    await expect(fleet.client.enqueue('hold', { n: 8, bad: 'a\u0000b' })).rejects.toThrow();
    expect(worker.stats()).toMatchObject({ reserved: 0, running: 1 });
    // Still one free slot of two: the next job starts at once.
    const next = await fleet.client.enqueue('hold', { n: 9 });
    expect(next.status).toBe('RUNNING');
    await release(first.id);
    await release(next.id);
    await finished(first.id);
    await finished(next.id);
    await idle(worker);
  });

  it('with every slot busy the job waits QUEUED, and runs when a slot frees', async () => {
    if (broker) return;
    const a = await fleet.client.enqueue('hold', { n: 10 });
    const b = await fleet.client.enqueue('hold', { n: 11 });
    const c = await fleet.client.enqueue('hold', { n: 12 });
    expect([a.status, b.status, c.status]).toEqual(['RUNNING', 'RUNNING', 'QUEUED']);
    await release(a.id);
    await release(c.id);
    await release(b.id);
    for (const j of [a, b, c]) await finished(j.id);
    await idle(worker);
  });

  it('a worker stopping while an enqueue holds its slot hands the job back: it is QUEUED, not lost', async () => {
    if (broker) return;
    const second = await adapter.open([hold]);
    const w = second.createWorker({ concurrency: 1, prefetch: 0, listen: false, pollIntervalMs: 60_000 });
    await w.start();
    const pending = second.client.enqueue('hold', { n: 13 });
    // The slot is reserved within the enqueue's first turns, long before its insert returns.
    while (w.stats().reserved === 0) await new Promise((r) => setImmediate(r));
    await w.stop({ graceMs: 1000 });
    // stop() resolves only once the enqueue settled and the job was handed back.
    const { rows } = await second.db.query<{ status: string }>(
      `SELECT status FROM ${second.schema}.jobs WHERE payload->>'n' = '13'`,
    );
    expect(rows).toEqual([{ status: 'QUEUED' }]);
    const job = await pending;
    expect(held.has(job.id)).toBe(false);
    expect(await second.client.get(job.id)).toMatchObject({ status: 'QUEUED', attempts: 0, workerId: null });
    // Any worker takes it from there.
    const next = second.createWorker({ concurrency: 1, pollIntervalMs: 100 });
    await next.start();
    await release(job.id);
    await finished(job.id, second);
    await next.stop();
  });

  it('handoff: false keeps every job on the claim path', async () => {
    if (broker) return;
    await worker.stop();
    const second = await adapter.open([hold]);
    const w = second.createWorker({ concurrency: 1, handoff: false, pollIntervalMs: 100 });
    await w.start();
    const job = await second.client.enqueue('hold', { n: 14 });
    expect(job.status).toBe('QUEUED');
    await release(job.id);
    await finished(job.id, second);
    expect(w.stats().startedDirectly).toBe(0);
    await w.stop();
  });
});
