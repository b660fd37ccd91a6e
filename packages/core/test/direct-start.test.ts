import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, JobsLostError, type Job, type Jobfleet, type JobEvent, type Worker } from '../src/index.ts';
import { waitFor } from '../testing/index.ts';
import { confirmFlushSql, flushWalSql } from '../src/sql/enqueue-jobs.ts';
import { adapters, type Adapter } from './helpers/adapters.ts';

// Holds each attempt open until the test releases it, and shows the test the job its handler was given.
const held = new Map<string, { job: Job; release: () => void }>();
const hold = defineJob({
  name: 'hold',
  schema: z.object({ n: z.number() }).passthrough(),
  handler: (_p, ctx) =>
    new Promise<string>((resolve) => void held.set(ctx.jobId, { job: ctx.job, release: () => resolve('done') })),
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
    const job = await fleet.client.enqueue(
      'hold',
      { n: 1, nested: { list: [1, 'two', null] } },
      { priority: 2, metadata: { m: 1 } },
    );
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

  /**
   * Stands between a fleet and its database for the flush statements (sql/enqueue-jobs.ts: flushWalSql,
   * and confirmFlushSql, which also counts the jobs): holds the first until the test opens the gate, or
   * fails it. `beforeRetry` runs before each flush after the first.
   */
  function interceptFlush(f: Jobfleet, mode: 'hold' | 'fail', beforeRetry?: () => Promise<void>) {
    const db = f.db as { query: Jobfleet['db']['query'] };
    const original = db.query;
    let open!: () => void;
    const gate = new Promise<void>((r) => (open = r));
    const seen = { flushes: 0 };
    db.query = (async (sql: string, params?: unknown[]) => {
      if (sql.includes("'jobfleet.flush'")) {
        seen.flushes++;
        if (seen.flushes > 1) await beforeRetry?.();
        else if (mode === 'fail') throw new Error('connection lost during the flush');
        else await gate;
      }
      return original.call(f.db, sql, params);
    }) as Jobfleet['db']['query'];
    const restore = () => {
      db.query = original;
      open();
    };
    return { seen, open, restore };
  }
  // `held` outlives each adapter's run: only a job of this fleet counts.
  const heldWith = (n: number, since: Date) =>
    waitFor(() => [...held.values()].find((h) => (h.job.payload as { n: number }).n === n && h.job.createdAt >= since), {
      what: `job n=${n} to start`,
    });

  it('starts the job as soon as its insert commits, and answers the enqueue only once the commit is on disk', async () => {
    if (broker) return;
    const flush = interceptFlush(fleet, 'hold');
    try {
      let answered = false;
      const since = new Date(Date.now() - 1);
      const pending = fleet.client.enqueue('hold', { n: 15 }).finally(() => (answered = true));
      // The handler runs while the enqueue still waits for the WAL flush.
      const h = await heldWith(15, since);
      // It may finish meanwhile, but its outcome is written only after the flush (the worker holds it).
      h.release();
      await new Promise((r) => setTimeout(r, 100));
      expect(answered).toBe(false);
      expect(flush.seen.flushes).toBe(1);
      expect(await fleet.client.get(h.job.id)).toMatchObject({ status: 'RUNNING' });
      flush.open();
      const job = await pending;
      expect(job).toMatchObject({ id: h.job.id, status: 'RUNNING', attempts: 1 });
      await finished(job.id);
      await waitFor(() => events.some((e) => e.jobId === job.id && e.status === 'COMPLETED'));
      const states = events.filter((e) => e.jobId === job.id && e.kind === 'state').map((e) => e.status);
      expect(states).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    } finally {
      flush.restore();
    }
    // Jobs enqueued in bulk never start directly, so they never wait for a second statement.
    const bulk = interceptFlush(fleet, 'fail');
    try {
      const jobs = await fleet.client.enqueueMany([{ type: 'other' }, { type: 'other' }]);
      expect(jobs.map((j) => j.status)).toEqual(['QUEUED', 'QUEUED']);
      expect(bulk.seen.flushes).toBe(0);
      for (const j of jobs) await fleet.client.cancel(j.id);
    } finally {
      bulk.restore();
    }
    await idle(worker);
  });

  it('the flush takes a transaction id and writes WAL, so its commit waits for the disk (and for every commit before it)', async () => {
    if (broker) return;
    // PostgreSQL skips the flush at commit for a transaction without an id or without WAL of its own
    // (a bare txid_current() takes an id but writes nothing, and commits without waiting).
    const flushes: [string, unknown[]][] = [
      [flushWalSql, []],
      [confirmFlushSql(fleet.schema), [[randomUUID()]]],
    ];
    for (const [sql, params] of flushes) {
      const probe = await fleet.db.transaction(async (tx) => {
        const before = await tx.query<{ lsn: string }>('SELECT pg_current_wal_insert_lsn()::text AS lsn');
        await tx.query(sql, params);
        const { rows } = await tx.query<{ xid: string | null; moved: boolean }>(
          'SELECT txid_current_if_assigned()::text AS xid, pg_current_wal_insert_lsn() > $1::pg_lsn AS moved',
          [before.rows[0]?.lsn],
        );
        return rows[0];
      });
      expect(probe?.xid).not.toBeNull();
      expect(probe?.moved).toBe(true);
    }
  });

  it('a flush that fails is confirmed on another connection: the jobs are there, so the enqueue answers', async () => {
    if (broker) return;
    const flush = interceptFlush(fleet, 'fail');
    const since = new Date(Date.now() - 1);
    let job: Job;
    try {
      job = await fleet.client.enqueue('hold', { n: 16 });
    } finally {
      flush.restore();
    }
    expect(flush.seen.flushes).toBe(2);
    expect(job).toMatchObject({ status: 'RUNNING' });
    expect(worker.stats().reserved).toBe(0);
    const h = await heldWith(16, since);
    expect(h.job.id).toBe(job.id);
    h.release();
    expect(await finished(job.id)).toMatchObject({ result: 'done', attempts: 1 });
    await idle(worker);
  });

  it('a job the server lost before its flush (a crash, a failover) fails its enqueue; the attempt that started changes nothing', async () => {
    if (broker) return;
    const since = new Date(Date.now() - 1);
    // The crash, as the retried flush sees it: the committed row is gone.
    const flush = interceptFlush(fleet, 'fail', async () => {
      await fleet.db.query(`DELETE FROM ${fleet.schema}.jobs WHERE payload->>'n' = '18'`);
    });
    let failed: unknown;
    try {
      await fleet.client.enqueue('hold', { n: 18 }).catch((err: unknown) => (failed = err));
    } finally {
      flush.restore();
    }
    expect(failed).toBeInstanceOf(JobsLostError);
    expect(failed).toMatchObject({ code: 'ENQUEUE_LOST', details: { lost: 1, of: 1 } });
    expect(flush.seen.flushes).toBe(2);
    // The handler had started; its outcome finds no row (as after a lost lease) and writes nothing.
    const h = await heldWith(18, since);
    h.release();
    await idle(worker);
    expect(await fleet.client.get(h.job.id)).toBeNull();

    // A first flush that answers but finds the job gone (another server took over in between) fails alike.
    const gone = interceptFlush(fleet, 'hold', undefined);
    const pending = fleet.client.enqueue('hold', { n: 19 }).catch((err: unknown) => err);
    const h2 = await heldWith(19, since);
    await fleet.db.query(`DELETE FROM ${fleet.schema}.jobs WHERE id = $1`, [h2.job.id]);
    gone.restore();
    expect(await pending).toMatchObject({ code: 'ENQUEUE_LOST' });
    h2.release();
    await idle(worker);
  });

  it('a submission whose key is taken is answered only after a flush: the job it finds may not be on disk yet', async () => {
    if (broker) return;
    const since = new Date(Date.now() - 1);
    const first = await fleet.client.enqueue('hold', { n: 17 }, { idempotencyKey: 'flush-dup' });
    expect(first.status).toBe('RUNNING');
    const flush = interceptFlush(fleet, 'fail');
    try {
      await expect(fleet.client.enqueue('hold', { n: 17 }, { idempotencyKey: 'flush-dup' })).rejects.toThrow(
        'connection lost during the flush',
      );
      expect(flush.seen.flushes).toBe(1);
    } finally {
      flush.restore();
    }
    expect(await fleet.client.enqueue('hold', { n: 17 }, { idempotencyKey: 'flush-dup' })).toMatchObject({
      id: first.id,
      deduplicated: true,
    });
    (await heldWith(17, since)).release();
    await finished(first.id);
    await idle(worker);
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
