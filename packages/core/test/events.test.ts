import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJob, Jobfleet, JobEventBus, type Database, type JobEvent } from '../src/index.ts';
import { EventRelay } from '../src/events.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../testing/index.ts';
import { decodeEvents, encodeEvents } from '../src/event-wire.ts';

const work = defineJob({
  name: 'work',
  handler: (_p, ctx) => {
    ctx.progress(40, 'working');
    ctx.log('a line');
    return 'ok';
  },
});

describe.runIf(pgAvailable)('events across processes through NOTIFY', () => {
  let db: TestDatabase;
  let api: Jobfleet;
  let workers: Jobfleet;
  beforeAll(async () => {
    db = await createTestDatabase();
    // Two handles on one database stand for an API process and a worker process.
    api = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [work] });
    workers = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [work] });
    await workers.createWorker({ pollIntervalMs: 100 }).start();
  });
  afterAll(async () => {
    await workers?.close();
    await api?.close();
    await db?.drop();
  });

  it('delivers a worker’s state changes, progress and logs to another process, once each', async () => {
    const seen: JobEvent[] = [];
    api.events.subscribe((e) => seen.push(e));
    const job = await api.client.enqueue('work', null);
    await waitFor(() => seen.some((e) => e.jobId === job.id && e.status === 'COMPLETED'), { what: 'the COMPLETED event' });
    const mine = seen.filter((e) => e.jobId === job.id);
    expect(mine.filter((e) => e.kind === 'state').map((e) => e.status)).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    expect(mine.find((e) => e.kind === 'progress')).toMatchObject({ progress: 40, message: 'working', type: 'work' });
    expect(mine.find((e) => e.kind === 'log')).toMatchObject({ message: 'a line' });
  });
  it('a worker with no listener of its own relays outcomes as they landed: a lost lease says nothing, a cancellation CANCELLED', async () => {
    // Held open until the test settles each one, so that all four outcomes share one statement.
    const gates = new Map<string, (fail: boolean) => void>();
    const gated = defineJob({
      name: 'gated',
      maxAttempts: 2,
      backoff: { type: 'exponential', delayMs: 60_000 },
      handler: (_p, ctx) =>
        new Promise((resolve, reject) => gates.set(ctx.jobId, (fail) => (fail ? reject(new Error('no')) : resolve('done')))),
    });
    const fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [gated], receiveEvents: false });
    try {
      // No heartbeat within the test: the statement, not the worker, turns the failure into CANCELLED.
      await fleet.createWorker({ concurrency: 4, leaseMs: 60_000, handoff: false }).start();
      expect(fleet.events.listenerCount()).toBe(0);
      const heard: JobEvent[] = [];
      api.events.subscribe((e) => heard.push(e));
      const [done, stolen, cancelled, retried] = await fleet.client.enqueueMany(
        Array.from({ length: 4 }, (_, i) => ({ type: 'gated', payload: { i } })),
      );
      await waitFor(() => gates.size === 4, { what: 'all four attempts running' });
      await fleet.db.query(`UPDATE ${fleet.schema}.jobs SET lease_token = gen_random_uuid() WHERE id = $1`, [stolen!.id]);
      await fleet.db.query(`UPDATE ${fleet.schema}.jobs SET cancel_requested = true WHERE id = $1`, [cancelled!.id]);
      gates.get(done!.id)!(false);
      gates.get(stolen!.id)!(false);
      gates.get(cancelled!.id)!(true);
      gates.get(retried!.id)!(true);
      await waitFor(
        () => heard.filter((e) => e.kind === 'state' && e.status !== 'RUNNING' && e.status !== 'QUEUED').length >= 3,
        {
          what: 'three outcome events at the API process',
        },
      );
      await new Promise((r) => setTimeout(r, 300));
      const outcomes = (id: string) =>
        heard.filter((e) => e.jobId === id && e.kind === 'state' && e.status !== 'QUEUED').map((e) => `${e.status} ${e.attempt}`);
      expect(outcomes(done!.id)).toEqual(['RUNNING 1', 'COMPLETED 1']);
      expect(outcomes(stolen!.id)).toEqual(['RUNNING 1']);
      expect(outcomes(cancelled!.id)).toEqual(['RUNNING 1', 'CANCELLED 1']);
      expect(outcomes(retried!.id)).toEqual(['RUNNING 1', 'FAILED 1']);
      expect(heard.find((e) => e.jobId === done!.id && e.status === 'COMPLETED')).toMatchObject({
        type: 'gated',
        queue: 'default',
        ownerId: null,
      });
      // The stolen job's row was left as the thief left it.
      expect((await fleet.client.get(stolen!.id))?.status).toBe('RUNNING');
    } finally {
      await fleet.db.query(`UPDATE ${fleet.schema}.jobs SET status = 'CANCELLED' WHERE type = 'gated' AND status = 'RUNNING'`);
      await fleet.close({ graceMs: 0 });
    }
  });

  it('a process opened with receiveEvents: false sends its events but receives nobody else’s', async () => {
    const quiet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [work], receiveEvents: false });
    try {
      const heardByQuiet: JobEvent[] = [];
      const heardByApi: JobEvent[] = [];
      quiet.events.subscribe((e) => heardByQuiet.push(e));
      api.events.subscribe((e) => heardByApi.push(e));
      // Its own enqueue is published locally and relayed: the API process hears it.
      const own = await quiet.client.enqueue('work', null);
      // A job enqueued elsewhere: the worker process's events reach the API process, not this one.
      const other = await api.client.enqueue('work', null);
      await waitFor(() => heardByApi.some((e) => e.jobId === other.id && e.status === 'COMPLETED'), {
        what: 'the API process hearing the other job complete',
      });
      await waitFor(() => heardByApi.some((e) => e.jobId === own.id && e.status === 'COMPLETED'), {
        what: 'the API process hearing the quiet process’s job complete',
      });
      // QUEUED comes from the quiet process, RUNNING and COMPLETED from the worker process: two relays,
      // so the QUEUED may arrive after the RUNNING (streams handle crossed events), but it must arrive.
      expect(heardByApi.filter((e) => e.jobId === own.id && e.kind === 'state').map((e) => e.status)).toContain('QUEUED');
      await new Promise((r) => setTimeout(r, 200));
      expect(heardByQuiet.map((e) => `${e.jobId === own.id ? 'own' : 'other'} ${e.status}`)).toEqual(['own QUEUED']);
    } finally {
      await quiet.close();
    }
  });
  it('relay pacing: a lone event leaves at once; while events arrive fast, at most one NOTIFY per 100 ms', async () => {
    const channel = `${workers.schema}_pace_test`;
    const received: JobEvent[] = [];
    const unlisten = await api.db.listen(channel, (payload) => received.push(...(decodeEvents(payload)?.events ?? [])));
    // The worker process's own connection, noting when the relay sends on the test channel.
    const flushes: number[] = [];
    const real = workers.db;
    const noted = new Proxy(real, {
      get(target, key) {
        if (key === 'query') {
          return (sql: string, params?: unknown[]) => {
            if (params?.[0] === channel) flushes.push(Date.now());
            return target.query(sql, params);
          };
        }
        const v = Reflect.get(target, key, target) as unknown;
        return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
      },
    }) as Database;
    const bus = new JobEventBus();
    const relay = new EventRelay(noted, bus, channel, false);
    await relay.start();
    try {
      const ev = (i: number): JobEvent => ({
        kind: 'state',
        jobId: `0190b6c2-0000-7000-8000-${String(i).padStart(12, '0')}`,
        type: 'work',
        queue: 'default',
        status: 'RUNNING',
        ownerId: null,
        attempt: 1,
        at: '2026-11-24T10:00:00.000Z',
      });
      const t0 = Date.now();
      bus.publish([ev(0)]);
      await waitFor(() => received.length === 1, { what: 'the lone event' });
      expect(flushes[0]! - t0).toBeLessThan(50);
      // Busy: 200 events, then 20 more every 5 ms for 400 ms (4 a ms; still busy if the timer runs 5x late).
      await new Promise((r) => setTimeout(r, 20));
      bus.publish(Array.from({ length: 200 }, (_, i) => ev(i + 1)));
      let next = 201;
      const timer = setInterval(() => bus.publish(Array.from({ length: 20 }, () => ev(next++))), 5);
      await new Promise((r) => setTimeout(r, 400));
      clearInterval(timer);
      await relay.stop();
      await waitFor(() => received.length === next, { what: 'every event at the listener' });
      expect(received.map((e) => e.jobId)).toEqual(Array.from({ length: next }, (_, i) => ev(i).jobId));
      const busy = flushes.slice(1);
      // At 10 ms apart this would be ~40 NOTIFYs.
      expect(busy.length).toBeLessThanOrEqual(8);
      for (let i = 2; i < busy.length - 1; i++) expect(busy[i]! - busy[i - 1]!).toBeGreaterThanOrEqual(95);
    } finally {
      await relay.stop();
      await unlisten();
    }
  });
});

describe('event wire format', () => {
  const state = (i: number, status: JobEvent['status'], at: string, ownerId: string | null = null): JobEvent => ({
    kind: 'state',
    jobId: `0190b6c2-0000-7000-8000-${String(i).padStart(12, '0')}`,
    type: 'work',
    queue: 'default',
    status,
    ownerId,
    attempt: 1,
    at,
  });

  it('groups runs of state events, keeps their order, and keeps every payload under the limit', () => {
    const at1 = '2026-11-24T10:00:00.000Z';
    const at2 = '2026-11-24T10:00:00.005Z';
    const events = [
      ...Array.from({ length: 300 }, (_, i) => state(i, 'RUNNING', at1)),
      ...Array.from({ length: 300 }, (_, i) => state(i, 'COMPLETED', at2, i % 7 === 0 ? 'owner-a' : null)),
    ];
    const chunks = encodeEvents('origin-1', events, 7800);
    expect(chunks.length).toBeGreaterThan(1);
    for (const c of chunks) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(7800);
    const back = chunks.flatMap((c) => decodeEvents(c)?.events ?? []);
    expect(back).toEqual(events);
    // Well under half the one-array-per-event form (a third without the mixed owners).
    const singles = encodeEvents('origin-1', [...events, { ...state(0, 'RUNNING', at1), kind: 'progress', progress: 5 }], 7800);
    expect(chunks.join('').length * 2).toBeLessThan(singles.join('').length);
  });

  it('sends progress and logs one array per event, in order; refuses garbage', () => {
    const events: JobEvent[] = [
      state(1, 'RUNNING', '2026-11-24T10:00:00.000Z'),
      { ...state(1, 'RUNNING', '2026-11-24T10:00:00.001Z'), kind: 'progress', progress: 50, message: 'half' },
      { ...state(1, 'RUNNING', '2026-11-24T10:00:00.002Z'), kind: 'log', message: 'x'.repeat(2000) },
    ];
    // Multi-byte messages: the limit is in bytes.
    const wide = Array.from({ length: 40 }, (_, i) => ({
      ...state(i, 'RUNNING', 'at'),
      kind: 'log' as const,
      message: '€'.repeat(500),
    }));
    for (const c of encodeEvents('o', wide, 7800)) expect(Buffer.byteLength(c)).toBeLessThanOrEqual(7800);
    const [only, ...rest] = encodeEvents('o', events, 7800);
    expect(rest).toEqual([]);
    const back = decodeEvents(only as string);
    expect(back?.origin).toBe('o');
    expect(back?.events.map((e) => [e.kind, e.progress ?? null, e.message?.length ?? 0])).toEqual([
      ['state', null, 0],
      ['progress', 50, 4],
      ['log', null, 500],
    ]);
    for (const bad of ['', 'not json', '[]', '{"e":[]}', 'null', '{"o":1}']) expect(decodeEvents(bad)).toBeNull();
    expect(decodeEvents('{"o":"x","g":[["state","t","q",null,"QUEUED","at",null,null]]}')?.events).toEqual([]);
  });
});
