import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import pg from 'pg';
import {
  defineJob,
  InvalidOptionError,
  InvalidStateError,
  JobfleetClient,
  JobNotFoundError,
  PayloadValidationError,
  UnknownJobTypeError,
  type Jobfleet,
} from '../src/index.ts';
import { adapters, type Adapter } from './helpers/adapters.ts';

const echo = defineJob({
  name: 'echo',
  description: 'Returns its payload',
  schema: z.object({ text: z.string().max(100), n: z.number().int().optional() }),
  queue: 'texts',
  priority: 5,
  maxAttempts: 4,
  handler: (p) => p,
});
const anything = defineJob({ name: 'anything', handler: () => null });

describe.each(adapters())('client on $name', ({ make }) => {
  let adapter: Adapter;
  let fleet: Jobfleet;

  beforeAll(async () => {
    adapter = await make();
    fleet = await adapter.open([echo, anything]);
  });
  afterAll(async () => adapter.cleanup());

  it('enqueues a job with the job type defaults and reads it back', async () => {
    const job = await fleet.client.enqueue('echo', { text: 'hi' });
    expect(job).toMatchObject({
      type: 'echo',
      status: 'QUEUED',
      queue: 'texts',
      priority: 5,
      maxAttempts: 4,
      attempts: 0,
      deduplicated: false,
    });
    const read = await fleet.client.get(job.id);
    expect(read).toMatchObject({ id: job.id, status: 'QUEUED', payload: { text: 'hi' }, queue: 'texts' });
    expect(read!.createdAt.getTime()).toBeLessThanOrEqual(Date.now() + 1000);
    // The returned job is built without reading it back; it must be the stored job exactly.
    const { deduplicated: _, ...returned } = job;
    expect(returned).toEqual(read);
  });

  it('lets options override the defaults and schedules delayed jobs', async () => {
    const job = await fleet.client.enqueue(
      'echo',
      { text: 'later' },
      { queue: 'other', priority: -3, delay: 60_000, maxAttempts: 1, metadata: { k: 'v' } },
    );
    expect(job).toMatchObject({ status: 'SCHEDULED', queue: 'other', priority: -3, maxAttempts: 1, metadata: { k: 'v' } });
    expect(job.runAt.getTime()).toBeGreaterThan(Date.now() + 50_000);
  });

  it('returns the existing job for a repeated idempotency key, even when submitted concurrently', async () => {
    const results = await Promise.all(
      Array.from({ length: 20 }, () => fleet.client.enqueue('echo', { text: 'once' }, { idempotencyKey: 'key-1' })),
    );
    const ids = new Set(results.map((r) => r.id));
    expect(ids.size).toBe(1);
    expect(results.filter((r) => !r.deduplicated)).toHaveLength(1);
    const other = await fleet.client.enqueue('echo', { text: 'once' }, { idempotencyKey: 'key-1', ownerId: 'someone-else' });
    expect(other.id).not.toBe(results[0]!.id);
    const page = await fleet.client.list({ type: 'echo', limit: 500 });
    expect(page.jobs.filter((j) => j.idempotencyKey === 'key-1')).toHaveLength(2);
  });

  it('refuses an unknown job type, an invalid payload and bad options, writing nothing', async () => {
    const before = (await fleet.client.list({ limit: 500 })).jobs.length;
    await expect(fleet.client.enqueue('nope', {})).rejects.toBeInstanceOf(UnknownJobTypeError);
    await expect(fleet.client.enqueue('echo', { text: 42 })).rejects.toBeInstanceOf(PayloadValidationError);
    await expect(fleet.client.enqueue('echo', { text: 'x'.repeat(101) })).rejects.toThrow(/text/);
    await expect(fleet.client.enqueue('echo', { text: 'a' }, { priority: 'high' as unknown as number })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    await expect(fleet.client.enqueue('echo', { text: 'a' }, { maxAttempts: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(fleet.client.enqueue('echo', { text: 'a' }, { delay: 5, runAt: new Date() })).rejects.toThrow(
      /either runAt or delay/,
    );
    await expect(fleet.client.enqueue('echo', { text: 'a' }, { bogus: 1 } as never)).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(fleet.client.enqueue('echo', { text: 'a' }, { queue: "x'; DROP TABLE jobs;--" })).rejects.toBeInstanceOf(
      InvalidOptionError,
    );
    // One bad spec in a batch writes none of it.
    await expect(
      fleet.client.enqueueMany([
        { type: 'echo', payload: { text: 'ok' } },
        { type: 'echo', payload: {} },
      ]),
    ).rejects.toThrow(/Job #1/);
    expect((await fleet.client.list({ limit: 500 })).jobs.length).toBe(before);
  });

  it('stores hostile strings verbatim', async () => {
    const text = `'; DROP TABLE jobfleet.jobs; -- \u0000?`.replace('\u0000', '');
    const job = await fleet.client.enqueue('echo', { text });
    expect((await fleet.client.get(job.id))!.payload).toEqual({ text });
  });

  it('stores every kind of JSON payload, metadata and backoff as sent (the insert reads them as json, then casts)', async () => {
    const payloads: unknown[] = [
      null,
      'text',
      '',
      0,
      -1.5e300,
      true,
      false,
      [],
      {},
      [1, 'two', null, { three: [3] }],
      { nested: { deep: { list: [1, 2, 3], none: null } }, 'é\u2028"\\': 'quotes " and \\ and \n' },
    ];
    const many = await fleet.client.enqueueMany(
      payloads.map((payload, i) => ({
        type: 'anything',
        payload,
        options: { metadata: { i, tags: ['a', 'b'] }, backoff: { type: 'fixed' as const, delayMs: 250 + i } },
      })),
    );
    const one = await fleet.client.enqueue('anything', { single: true }, { metadata: { via: 'enqueue' } });
    for (const [i, job] of many.entries()) {
      const read = await fleet.client.get(job.id);
      expect(read!.payload, `payload #${i}`).toEqual(payloads[i]);
      expect(read!.metadata).toEqual({ i, tags: ['a', 'b'] });
      expect(read!.backoff).toMatchObject({ type: 'fixed', delayMs: 250 + i });
    }
    const { rows } = await fleet.db.query<{ kind: string }>(
      `SELECT jsonb_typeof(payload) AS kind FROM jobfleet.jobs WHERE id = $1`,
      [many[1]!.id],
    );
    expect(rows[0]!.kind).toBe('string'); // a JSON string, not the text of one
    expect((await fleet.client.get(one.id))!).toMatchObject({ payload: { single: true }, metadata: { via: 'enqueue' } });
  });

  it('enqueues thousands in one call', async () => {
    const jobs = await fleet.client.enqueueMany(Array.from({ length: 6000 }, (_, i) => ({ type: 'anything', payload: { i } })));
    expect(jobs).toHaveLength(6000);
    expect(new Set(jobs.map((j) => j.id)).size).toBe(6000);
    const { rows } = await fleet.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobfleet.jobs WHERE id = ANY($1::uuid[])`,
      [jobs.map((j) => j.id)],
    );
    expect(rows[0]!.n).toBe(6000);
  });

  it('lists with filters and cursor pagination, newest first', async () => {
    const made = await fleet.client.enqueueMany(
      Array.from({ length: 7 }, (_, i) => ({ type: 'echo', payload: { text: `p${i}` }, options: { ownerId: 'pager' } })),
    );
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await fleet.client.list({ ownerId: 'pager', limit: 3, cursor });
      seen.push(...page.jobs.map((j) => j.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(made.map((j) => j.id).reverse());
    await expect(fleet.client.list({ limit: 0 })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(fleet.client.list({ status: 'DONE' as never })).rejects.toBeInstanceOf(InvalidOptionError);
    await expect(fleet.client.list({ cursor: 'nope' })).rejects.toBeInstanceOf(InvalidOptionError);
    // A scope restricts to the owner's jobs whatever the filter says.
    expect((await fleet.client.list({ ownerId: 'pager' }, { ownerId: 'intruder' })).jobs).toHaveLength(0);
  });

  it('lists several statuses merged newest first across pages, each status from its own index branch', async () => {
    const made = await fleet.client.enqueueMany(
      Array.from({ length: 9 }, (_, i) => ({ type: 'echo', payload: { text: `s${i}` }, options: { ownerId: 'merger' } })),
    );
    // Every third job cancelled, every third one scheduled later: three statuses interleaved by id.
    for (const [i, j] of made.entries()) if (i % 3 === 1) await fleet.client.cancel(j.id);
    const later = made.filter((_, i) => i % 3 === 2).map((j) => j.id);
    await fleet.db.query(
      `UPDATE jobfleet.jobs SET status = 'SCHEDULED', run_at = now() + interval '1 hour' WHERE id = ANY($1::uuid[])`,
      [later],
    );
    const want = made
      .filter((_, i) => i % 3 !== 0)
      .map((j) => j.id)
      .reverse();
    const seen: string[] = [];
    let cursor: string | undefined;
    for (;;) {
      const page = await fleet.client.list({
        ownerId: 'merger',
        status: ['SCHEDULED', 'CANCELLED', 'CANCELLED'],
        limit: 4,
        cursor,
      });
      expect(page.jobs.length).toBeLessThanOrEqual(4);
      seen.push(...page.jobs.map((j) => j.id));
      if (!page.nextCursor) break;
      cursor = page.nextCursor;
    }
    expect(seen).toEqual(want);
    const one = await fleet.client.list({ ownerId: 'merger', status: 'CANCELLED' });
    expect(one.jobs.map((j) => j.status)).toEqual(['CANCELLED', 'CANCELLED', 'CANCELLED']);
  });

  it('cancels, retries, replays and deletes with clear errors for wrong states', async () => {
    const job = await fleet.client.enqueue('echo', { text: 'c' }, { ownerId: 'alice' });
    await expect(fleet.client.cancel(job.id, { ownerId: 'bob' })).rejects.toBeInstanceOf(JobNotFoundError);
    const cancelled = await fleet.client.cancel(job.id, { ownerId: 'alice' });
    expect(cancelled.status).toBe('CANCELLED');
    await expect(fleet.client.cancel(job.id)).rejects.toBeInstanceOf(InvalidStateError);
    const retried = await fleet.client.retry(job.id);
    expect(retried).toMatchObject({ status: 'QUEUED', attempts: 0 });
    await expect(fleet.client.retry(job.id)).rejects.toBeInstanceOf(InvalidStateError);
    await fleet.db.query(`UPDATE jobfleet.jobs SET status = 'DEAD', attempts = 4 WHERE id = $1`, [job.id]);
    const replay = await fleet.client.replayDead({ ids: [job.id] });
    expect(replay).toEqual({ replayed: 1, ids: [job.id] });
    const deleted = await fleet.client.delete(job.id);
    expect(deleted.id).toBe(job.id);
    expect(await fleet.client.get(job.id)).toBeNull();
    await expect(fleet.client.delete(job.id)).rejects.toBeInstanceOf(JobNotFoundError);
    await expect(fleet.client.get('not-a-uuid')).resolves.toBeNull();
    await expect(fleet.client.cancel('not-a-uuid')).rejects.toBeInstanceOf(JobNotFoundError);
  });

  it('reports queues with counts and pauses them', async () => {
    await fleet.client.pauseQueue('texts');
    let q = (await fleet.client.queues()).find((x) => x.name === 'texts');
    expect(q?.paused).toBe(true);
    expect(q!.counts.QUEUED).toBeGreaterThan(0);
    await fleet.client.resumeQueue('texts');
    q = (await fleet.client.queues()).find((x) => x.name === 'texts');
    expect(q?.paused).toBe(false);
    await expect(fleet.client.pauseQueue('bad name!')).rejects.toBeInstanceOf(InvalidOptionError);
  });

  it('lets a process without the code list and validate job types published by a worker', async () => {
    const worker = fleet.createWorker({ concurrency: 1, queues: ['idle-queue'] });
    await worker.start();
    const bare = new JobfleetClient({ db: fleet.db });
    const types = await bare.jobTypes();
    const echoInfo = types.find((t) => t.name === 'echo');
    expect(echoInfo).toMatchObject({ description: 'Returns its payload', queue: 'texts', workers: 1 });
    expect(echoInfo!.payloadSchema).toMatchObject({ type: 'object' });
    await expect(bare.enqueue('echo', { text: 7 })).rejects.toBeInstanceOf(PayloadValidationError);
    const ok = await bare.enqueue('echo', { text: 'from afar' });
    expect(ok).toMatchObject({ queue: 'texts', priority: 5, maxAttempts: 4 });
    await worker.stop();
    expect((await bare.jobTypes()).find((t) => t.name === 'echo')?.workers).toBe(0);
  });
});

describe.each(adapters().filter((a) => a.name === 'pg'))('transactional enqueue on $name', ({ make }) => {
  let adapter: Adapter;
  let fleet: Jobfleet;
  beforeAll(async () => {
    adapter = await make();
    fleet = await adapter.open([echo]);
  });
  afterAll(async () => adapter.cleanup());

  it('enqueues inside the caller’s own pg transaction: rolled back, no job; committed, the job', async () => {
    const client = new pg.Client({ connectionString: adapter.url });
    await client.connect();
    try {
      await client.query('BEGIN');
      const rolled = await fleet.client.enqueue('echo', { text: 'rollback' }, {}, { tx: client });
      await client.query('ROLLBACK');
      expect(await fleet.client.get(rolled.id)).toBeNull();
      await client.query('BEGIN');
      const kept = await fleet.client.enqueue('echo', { text: 'commit' }, {}, { tx: client });
      expect(await fleet.client.get(kept.id)).toBeNull(); // not visible before commit
      await client.query('COMMIT');
      expect((await fleet.client.get(kept.id))?.status).toBe('QUEUED');
    } finally {
      await client.end();
    }
  });
});
