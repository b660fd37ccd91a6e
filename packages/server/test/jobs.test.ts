import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable, waitFor } from '@jobfleet/core/testing';
import type { Worker } from '@jobfleet/core';
import { adminToken, call, newMember, startHarness, type Harness } from './helpers.ts';

/** Reads a Server-Sent Events stream until it ends (or `max` events), returning the parsed events. */
async function readEvents(
  res: Response,
  onEvent: (e: { event: string; data: any }, all: { event: string; data: any }[]) => void = () => {},
): Promise<{ event: string; data: any }[]> {
  const events: { event: string; data: any }[] = [];
  const reader = (res.body as ReadableStream<Uint8Array>).getReader();
  const decoder = new TextDecoder();
  let buf = '';
  for (;;) {
    const { value, done } = await reader.read();
    if (done) break;
    buf += decoder.decode(value, { stream: true });
    let idx: number;
    while ((idx = buf.indexOf('\n\n')) >= 0) {
      const chunk = buf.slice(0, idx);
      buf = buf.slice(idx + 2);
      const event = /^event: (.*)$/m.exec(chunk)?.[1];
      const data = /^data: (.*)$/m.exec(chunk)?.[1];
      if (event && data) {
        const e = { event, data: JSON.parse(data) };
        events.push(e);
        onEvent(e, events);
      }
    }
  }
  return events;
}

describe.runIf(pgAvailable)('jobs REST API (real PostgreSQL)', () => {
  let h: Harness;
  let admin: string;
  let a: Awaited<ReturnType<typeof newMember>>;
  let b: Awaited<ReturnType<typeof newMember>>;
  const workers: Worker[] = [];

  beforeAll(async () => {
    h = await startHarness({ config: { bodyLimit: 64 * 1024 } });
    admin = await adminToken(h);
    a = await newMember(h, 'alice');
    b = await newMember(h, 'bob');
  });
  afterAll(async () => {
    await Promise.all(workers.map((w) => w.stop({ graceMs: 500 })));
    await h?.close();
  });

  const enqueue = (token: string, body: unknown, headers: Record<string, string> = {}) =>
    call(h, 'POST', '/api/v1/jobs', { token, body, headers });

  it('enqueues: 201, camelCase job plus jobId and created_at; owner is the caller', async () => {
    const r = await enqueue(a.token, { type: 'reverse_string', payload: 'hello', options: { queue: 'hold' } });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({
      type: 'reverse_string',
      status: 'QUEUED',
      queue: 'hold',
      payload: 'hello',
      ownerId: a.id,
      attempts: 0,
    });
    expect(r.body.jobId).toBe(r.body.id);
    expect(r.body.created_at).toBe(r.body.createdAt);
    expect(new Date(r.body.createdAt).getTime()).toBeGreaterThan(Date.now() - 60_000);
    // ownerId in options cannot impersonate someone else.
    const spoof = await enqueue(a.token, { type: 'noop', options: { queue: 'hold', ownerId: b.id } });
    expect(spoof.status).toBe(201);
    expect(spoof.body.ownerId).toBe(a.id);
  });

  it('stores SQL metacharacters verbatim and harmlessly', async () => {
    const evil = `Robert'); DROP TABLE ${h.fleet.schema}.jobs; -- \\ " $1 %s \u0000x`.replace('\u0000', '');
    const r = await enqueue(a.token, {
      type: 'reverse_string',
      payload: evil,
      options: { queue: 'hold', idempotencyKey: "'; DELETE FROM users; --" },
    });
    expect(r.status).toBe(201);
    const got = await call(h, 'GET', `/api/v1/jobs/${r.body.id}`, { token: a.token });
    expect(got.body.payload).toBe(evil);
    expect(got.body.idempotencyKey).toBe("'; DELETE FROM users; --");
    const filtered = await call(h, 'GET', `/api/v1/jobs?type=${encodeURIComponent("x' OR '1'='1")}`, { token: admin });
    expect(filtered.status).toBe(200);
    expect(filtered.body.jobs).toEqual([]);
    const users = await h.fleet.db.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${h.fleet.schema}.users`);
    expect(users.rows[0]?.n).toBeGreaterThanOrEqual(3);
  });

  it('idempotency key (option or Idempotency-Key header): the second call returns the same job with 200', async () => {
    const first = await enqueue(a.token, { type: 'noop', options: { queue: 'hold' } }, { 'idempotency-key': 'order-42' });
    expect(first.status).toBe(201);
    const again = await enqueue(a.token, { type: 'noop', options: { queue: 'hold' } }, { 'idempotency-key': 'order-42' });
    expect(again.status).toBe(200);
    expect(again.body.id).toBe(first.body.id);
    expect(again.body.deduplicated).toBe(true);
    const viaOption = await enqueue(a.token, { type: 'noop', options: { queue: 'hold', idempotencyKey: 'order-42' } });
    expect(viaOption.status).toBe(200);
    expect(viaOption.body.id).toBe(first.body.id);
    // Keys are per owner: Bob's "order-42" is his own job.
    const bob = await enqueue(b.token, { type: 'noop', options: { queue: 'hold' } }, { 'idempotency-key': 'order-42' });
    expect(bob.status).toBe(201);
    expect(bob.body.id).not.toBe(first.body.id);
    const tooLong = await enqueue(a.token, { type: 'noop' }, { 'idempotency-key': 'k'.repeat(300) });
    expect(tooLong.status).toBe(400);
  });

  it('refuses bad input with the error shape', async () => {
    const cases: [unknown, number, string][] = [
      [{}, 400, 'VALIDATION_FAILED'],
      [{ payload: 'x' }, 400, 'VALIDATION_FAILED'],
      [{ type: 42 }, 400, 'VALIDATION_FAILED'],
      [{ type: '' }, 400, 'VALIDATION_FAILED'],
      [{ type: ['noop'] }, 400, 'VALIDATION_FAILED'],
      [{ type: 'noop', options: 'fast' }, 400, 'VALIDATION_FAILED'],
      [{ type: 'noop', options: { priority: 'high' } }, 400, 'INVALID_OPTION'],
      [{ type: 'noop', options: { queue: 'bad queue!' } }, 400, 'INVALID_OPTION'],
      [{ type: 'noop', options: { bogus: 1 } }, 400, 'INVALID_OPTION'],
      [{ type: 'no_such_type', payload: {} }, 422, 'UNKNOWN_JOB_TYPE'],
      [{ type: "'; DROP TABLE jobs; --" }, 422, 'UNKNOWN_JOB_TYPE'],
      [{ type: 'Fibonacci', payload: { iterations: 'ten' } }, 422, 'INVALID_PAYLOAD'],
      [{ type: 'Fibonacci', payload: { iterations: 5000 } }, 422, 'INVALID_PAYLOAD'],
      [{ type: 'reverse_string', payload: 12 }, 422, 'INVALID_PAYLOAD'],
      [[{ type: 'noop' }], 400, 'VALIDATION_FAILED'],
      ['noop', 400, 'VALIDATION_FAILED'],
    ];
    for (const [body, status, code] of cases) {
      const r = await enqueue(a.token, body);
      expect({ body, status: r.status, code: r.body?.error?.code }).toEqual({ body, status, code });
      expect(typeof r.body.error.message).toBe('string');
      expect(JSON.stringify(r.body)).not.toMatch(/\bat .*\.ts:\d+/);
    }
    const missing = await enqueue(a.token, { payload: 1 });
    expect(missing.body.error.details.issues).toEqual([{ path: 'body.type', message: expect.any(String) }]);
  });

  it('malformed JSON → 400, oversized body → 413, wrong content type → 415', async () => {
    const bad = await call(h, 'POST', '/api/v1/jobs', { token: a.token, raw: '{"type": "noop",' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('MALFORMED_JSON');
    const big = await call(h, 'POST', '/api/v1/jobs', {
      token: a.token,
      body: { type: 'reverse_string', payload: 'x'.repeat(70 * 1024) },
    });
    expect(big.status).toBe(413);
    expect(big.body.error.code).toBe('PAYLOAD_TOO_LARGE');
    const xml = await call(h, 'POST', '/api/v1/jobs', {
      token: a.token,
      raw: '<job/>',
      headers: { 'content-type': 'application/xml' },
    });
    expect(xml.status).toBe(415);
    expect(xml.body.error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
    const proto = await call(h, 'POST', '/api/v1/jobs', {
      token: a.token,
      raw: '{"type":"noop","options":{"queue":"hold"},"__proto__":{"admin":true}}',
    });
    expect(proto.status).toBe(400);
  });

  it('bulk: all or nothing, in one request', async () => {
    const jobs = Array.from({ length: 250 }, (_, i) => ({
      type: 'reverse_string',
      payload: `s${i}`,
      options: { queue: 'bulk' },
    }));
    const r = await call(h, 'POST', '/api/v1/jobs/bulk', { token: a.token, body: { jobs } });
    expect(r.status).toBe(201);
    expect(r.body.jobs).toHaveLength(250);
    expect(r.body.jobs[249]).toMatchObject({ payload: 's249', ownerId: a.id, status: 'QUEUED' });
    expect(new Set(r.body.jobs.map((j: { id: string }) => j.id)).size).toBe(250);

    const before = (await h.fleet.client.queues()).find((q) => q.name === 'bulk')?.counts.QUEUED;
    const oneBad = await call(h, 'POST', '/api/v1/jobs/bulk', {
      token: a.token,
      body: {
        jobs: [
          { type: 'noop', options: { queue: 'bulk' } },
          { type: 'Fibonacci', payload: { iterations: -1 }, options: { queue: 'bulk' } },
        ],
      },
    });
    expect(oneBad.status).toBe(422);
    expect(oneBad.body.error.message).toMatch(/#1/);
    expect((await h.fleet.client.queues()).find((q) => q.name === 'bulk')?.counts.QUEUED).toBe(before);

    expect((await call(h, 'POST', '/api/v1/jobs/bulk', { token: a.token, body: { jobs: [] } })).status).toBe(400);
    expect((await call(h, 'POST', '/api/v1/jobs/bulk', { token: a.token, body: { jobs: 'many' } })).status).toBe(400);
    expect((await call(h, 'POST', '/api/v1/jobs/bulk', { token: a.token, body: {} })).status).toBe(400);
    const tooMany = await call(h, 'POST', '/api/v1/jobs/bulk', {
      token: a.token,
      body: { jobs: Array.from({ length: 10_001 }, () => ({ type: 'a' })) },
    });
    expect([400, 413]).toContain(tooMany.status);
  });

  it('lists with filters and a cursor; members see only their own jobs', async () => {
    const page1 = await call(h, 'GET', '/api/v1/jobs?queue=bulk&limit=100', { token: a.token });
    expect(page1.status).toBe(200);
    expect(page1.body.jobs).toHaveLength(100);
    expect(page1.body.nextCursor).toBeTruthy();
    const page2 = await call(h, 'GET', `/api/v1/jobs?queue=bulk&limit=100&cursor=${page1.body.nextCursor}`, { token: a.token });
    expect(page2.body.jobs).toHaveLength(100);
    const ids = new Set([...page1.body.jobs, ...page2.body.jobs].map((j: { id: string }) => j.id));
    expect(ids.size).toBe(200);

    const byStatus = await call(h, 'GET', '/api/v1/jobs?status=QUEUED,RUNNING&type=reverse_string&limit=500', { token: a.token });
    expect(byStatus.body.jobs.length).toBeGreaterThanOrEqual(250);
    expect(
      byStatus.body.jobs.every(
        (j: { status: string; type: string }) => j.type === 'reverse_string' && ['QUEUED', 'RUNNING'].includes(j.status),
      ),
    ).toBe(true);
    const future = await call(
      h,
      'GET',
      `/api/v1/jobs?createdAfter=${encodeURIComponent(new Date(Date.now() + 3_600_000).toISOString())}`,
      { token: a.token },
    );
    expect(future.body.jobs).toEqual([]);

    const bobs = await call(h, 'GET', '/api/v1/jobs?limit=500', { token: b.token });
    expect(bobs.body.jobs.length).toBeGreaterThan(0);
    expect(bobs.body.jobs.every((j: { ownerId: string }) => j.ownerId === b.id)).toBe(true);
    // Asking for someone else's jobs by ownerId gives nothing.
    const peek = await call(h, 'GET', `/api/v1/jobs?ownerId=${a.id}`, { token: b.token });
    expect(peek.body.jobs).toEqual([]);
    const all = await call(h, 'GET', `/api/v1/jobs?ownerId=${b.id}`, { token: admin });
    expect(all.body.jobs.length).toBe(bobs.body.jobs.length);

    for (const q of ['status=DONE', 'limit=0', 'limit=501', 'limit=abc', 'cursor=xyz', 'createdAfter=yesterday', 'batchId=1']) {
      const r = await call(h, 'GET', `/api/v1/jobs?${q}`, { token: a.token });
      expect({ q, status: r.status }).toEqual({ q, status: 400 });
    }
    expect((await call(h, 'GET', '/api/v1/jobs')).status).toBe(401);
  });

  it("authorization matrix: B cannot see or touch A's job (404), admin can", async () => {
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'hold' } })).body;
    for (const [method, path] of [
      ['GET', `/api/v1/jobs/${job.id}`],
      ['POST', `/api/v1/jobs/${job.id}/cancel`],
      ['POST', `/api/v1/jobs/${job.id}/retry`],
      ['DELETE', `/api/v1/jobs/${job.id}`],
      ['GET', `/api/v1/jobs/${job.id}/events`],
    ] as const) {
      const r = await call(h, method, path, { token: b.token });
      expect({ method, path, status: r.status, code: r.body.error?.code }).toEqual({
        method,
        path,
        status: 404,
        code: 'JOB_NOT_FOUND',
      });
      const anon = await call(h, method, path);
      expect(anon.status).toBe(401);
    }
    expect((await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: a.token })).status).toBe(200);
    expect((await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: admin })).status).toBe(200);
    const cancelled = await call(h, 'POST', `/api/v1/jobs/${job.id}/cancel`, { token: admin });
    expect(cancelled.status).toBe(200);
    expect(cancelled.body.status).toBe('CANCELLED');
  });

  it('cancel, retry, delete; wrong states → 409; unknown or non-UUID ids → 404', async () => {
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'hold' } })).body;
    const c = await call(h, 'POST', `/api/v1/jobs/${job.id}/cancel`, { token: a.token });
    expect(c.status).toBe(200);
    expect(c.body.status).toBe('CANCELLED');
    const again = await call(h, 'POST', `/api/v1/jobs/${job.id}/cancel`, { token: a.token });
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('INVALID_STATE');
    const r = await call(h, 'POST', `/api/v1/jobs/${job.id}/retry`, { token: a.token });
    expect(r.status).toBe(200);
    expect(r.body.status).toBe('QUEUED');
    const d = await call(h, 'DELETE', `/api/v1/jobs/${job.id}`, { token: a.token });
    expect(d.status).toBe(200);
    expect(d.body.id).toBe(job.id);
    expect((await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: a.token })).status).toBe(404);
    for (const id of ['not-a-uuid', '1', "1' OR '1'='1", '00000000-0000-0000-0000-000000000000', '%00']) {
      for (const [method, suffix] of [
        ['GET', ''],
        ['POST', '/cancel'],
        ['POST', '/retry'],
        ['DELETE', ''],
      ] as const) {
        const res = await call(h, method, `/api/v1/jobs/${encodeURIComponent(id)}${suffix}`, { token: a.token });
        expect({ id, method, suffix, status: res.status }).toEqual({ id, method, suffix, status: 404 });
      }
    }
  });

  it('scopes: a jobs:read key reads but cannot write; a jobs:write key writes', async () => {
    const read = (await call(h, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'r', scopes: ['jobs:read'] } })).body
      .key;
    const write = (await call(h, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'w', scopes: ['jobs:write'] } }))
      .body.key;
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': read } })).status).toBe(200);
    expect((await call(h, 'POST', '/api/v1/jobs', { headers: { 'x-api-key': read }, body: { type: 'noop' } })).status).toBe(403);
    const w = await call(h, 'POST', '/api/v1/jobs', {
      headers: { 'x-api-key': write },
      body: { type: 'noop', options: { queue: 'hold' } },
    });
    expect(w.status).toBe(201);
    expect(w.body.ownerId).toBe(a.id);
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': write } })).status).toBe(403);
    expect((await call(h, 'GET', '/api/v1/users', { headers: { 'x-api-key': write } })).status).toBe(403);
    // An admin's key with only jobs:read is not an admin key.
    const adminRead = (await call(h, 'POST', '/api/v1/api-keys', { token: admin, body: { name: 'ar', scopes: ['jobs:read'] } }))
      .body.key;
    expect((await call(h, 'GET', '/api/v1/users', { headers: { 'x-api-key': adminRead } })).status).toBe(403);
    const adminAll = (await call(h, 'POST', '/api/v1/api-keys', { token: admin, body: { name: 'aa', scopes: ['admin'] } })).body
      .key;
    expect((await call(h, 'GET', '/api/v1/users', { headers: { 'x-api-key': adminAll } })).status).toBe(200);
  });

  it('job types list names, schemas and live workers', async () => {
    const r = await call(h, 'GET', '/api/v1/job-types', { token: a.token });
    expect(r.status).toBe(200);
    const rev = r.body.jobTypes.find((t: { name: string }) => t.name === 'reverse_string');
    expect(rev).toMatchObject({ queue: 'default', description: expect.any(String), workers: expect.any(Number) });
    expect(rev.payloadSchema).toMatchObject({ type: 'string' });
    expect((await call(h, 'GET', '/api/v1/job-types')).status).toBe(401);
  });

  it('streams a job over SSE: QUEUED → RUNNING → COMPLETED, then ends; the job shows its result', async () => {
    const job = (await enqueue(a.token, { type: 'reverse_string', payload: 'stressed', options: { queue: 'sse' } })).body;
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    let started = false;
    const events = await readEvents(res, (e) => {
      if (!started && e.data.status === 'QUEUED') {
        started = true;
        const w = h.fleet.createWorker({ queues: ['sse'], concurrency: 2 });
        workers.push(w);
        void w.start();
      }
    });
    const states = events.filter((e) => e.event === 'state').map((e) => e.data.status);
    expect(states).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
    const last = events[events.length - 1];
    expect(last?.data.job.result).toBe('desserts');
    expect(events.every((e) => e.data.jobId === job.id)).toBe(true);

    const got = await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: a.token });
    expect(got.body).toMatchObject({ status: 'COMPLETED', result: 'desserts', error: null });
    expect(got.body.updated_at).toBe(got.body.updatedAt);

    // A finished job: one event and the stream ends at once.
    const done = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    const once = await readEvents(done);
    expect(once.map((e) => e.data.status)).toEqual(['COMPLETED']);
    // Subscriptions are released when streams end.
    await waitFor(() => h.fleet.events.listenerCount() <= 2, { what: 'SSE listeners to be released' });
  });

  it('SSE carries progress events between the state changes', async () => {
    const products = [
      { name: 'a', price: 1 },
      { name: 'b', price: 2 },
      { name: 'c', price: 3 },
    ];
    const job = (await enqueue(a.token, { type: 'LoadProducts', payload: products, options: { queue: 'sse2' } })).body;
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    let started = false;
    const events = await readEvents(res, () => {
      if (started) return;
      started = true;
      const w = h.fleet.createWorker({ queues: ['sse2'], concurrency: 1 });
      workers.push(w);
      void w.start();
    });
    const kinds = events.map((e) => (e.event === 'state' ? e.data.status : `${e.event}:${Math.round(e.data.progress)}`));
    expect(kinds).toEqual(['QUEUED', 'RUNNING', 'progress:33', 'progress:67', 'progress:100', 'COMPLETED']);
    expect(events[2]?.data.message).toBe('loaded a');
    expect(events[5]?.data.job.result).toEqual({ loaded: 3, totalValue: 6 });
  });

  it('SSE: a client that disconnects releases its subscription', async () => {
    const before = h.fleet.events.listenerCount();
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'hold' } })).body;
    const ctl = new AbortController();
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, {
      headers: { authorization: `Bearer ${a.token}` },
      signal: ctl.signal,
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    await reader.read();
    expect(h.fleet.events.listenerCount()).toBe(before + 1);
    ctl.abort();
    await waitFor(() => h.fleet.events.listenerCount() === before, { what: 'the listener to go' });
  });

  it("SSE: an earlier attempt's state arriving late does not move a live job back", async () => {
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'crossed' } })).body;
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    const base = { kind: 'state' as const, jobId: job.id, type: 'noop', queue: 'crossed', ownerId: job.ownerId };
    let sent = false;
    const events = await readEvents(res, () => {
      if (sent) return;
      sent = true;
      // As when a worker's RUNNING overtakes the enqueuer's QUEUED on the way between processes.
      const at = new Date().toISOString();
      h.fleet.events.publish([{ ...base, status: 'RUNNING', attempt: 1, at }]);
      h.fleet.events.publish([{ ...base, status: 'QUEUED', attempt: 0, at }]);
      h.fleet.events.publish([{ ...base, status: 'COMPLETED', attempt: 1, at }]);
    });
    expect(events.map((e) => e.data.status)).toEqual(['QUEUED', 'RUNNING', 'COMPLETED']);
  });

  it('SSE: a job handed back at shutdown (attempt uncounted) shows QUEUED again, from the database', async () => {
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'handed-back' } })).body;
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    const base = { kind: 'state' as const, jobId: job.id, type: 'noop', queue: 'handed-back', ownerId: job.ownerId };
    let queuedSeen = 0;
    const events = await readEvents(res, (e) => {
      if (e.data.status !== 'QUEUED') return;
      queuedSeen++;
      if (queuedSeen === 1) {
        // A worker claims it, then shuts down and hands it back: the release's QUEUED carries attempt 0,
        // as an enqueuer's late QUEUED does, so the event alone is dropped; the database says QUEUED.
        const at = new Date().toISOString();
        h.fleet.events.publish([{ ...base, status: 'RUNNING', attempt: 1, at }]);
        h.fleet.events.publish([{ ...base, status: 'QUEUED', attempt: 0, at }]);
      } else {
        void h.fleet.db.query(
          `UPDATE ${h.fleet.schema}.jobs SET status = 'COMPLETED', result = '"later"', finished_at = now() WHERE id = $1`,
          [job.id],
        );
      }
    });
    expect(events.map((e) => e.data.status)).toEqual(['QUEUED', 'RUNNING', 'QUEUED', 'COMPLETED']);
    expect(events[3]?.data.job.result).toBe('later');
  });

  it('SSE: a state change whose event never arrives still reaches the stream, from the database', async () => {
    const job = (await enqueue(a.token, { type: 'noop', options: { queue: 'lost-event' } })).body;
    const res = await fetch(`${h.base}/api/v1/jobs/${job.id}/events`, { headers: { authorization: `Bearer ${a.token}` } });
    const t0 = Date.now();
    let changed = false;
    const events = await readEvents(res, () => {
      if (changed) return;
      changed = true;
      // Finished behind the event bus's back, as if its notification had been lost.
      void h.fleet.db.query(
        `UPDATE ${h.fleet.schema}.jobs SET status = 'COMPLETED', result = '"done"', finished_at = now() WHERE id = $1`,
        [job.id],
      );
    });
    expect(events.map((e) => e.data.status)).toEqual(['QUEUED', 'COMPLETED']);
    expect(events[1]?.data.job.result).toBe('done');
    expect(Date.now() - t0).toBeLessThan(12_000);
  });

  it('dead letters: list and replay', async () => {
    const job = (await enqueue(a.token, { type: 'flaky', payload: { permanent: true }, options: { queue: 'dl' } })).body;
    const w = h.fleet.createWorker({ queues: ['dl'], concurrency: 1 });
    workers.push(w);
    await w.start();
    await waitFor(async () => (await h.fleet.client.get(job.id))?.status === 'DEAD', { what: 'the job to die' });
    await w.stop({ graceMs: 500 });

    const got = await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: a.token });
    expect(got.body.error).toMatchObject({ message: expect.stringMatching(/permanently/), code: 'PERMANENT_FAILURE' });
    expect(got.body.error).not.toHaveProperty('stack');

    const list = await call(h, 'GET', '/api/v1/dead-letters', { token: a.token });
    expect(list.status).toBe(200);
    expect(list.body.jobs.map((j: { id: string }) => j.id)).toContain(job.id);
    expect((await call(h, 'GET', '/api/v1/dead-letters', { token: b.token })).body.jobs).toEqual([]);
    // Bob replaying "everything" replays only his own: nothing.
    const bobReplay = await call(h, 'POST', '/api/v1/dead-letters/replay', { token: b.token, body: {} });
    expect(bobReplay.body).toEqual({ replayed: 0, ids: [] });
    expect((await call(h, 'POST', '/api/v1/dead-letters/replay', { token: a.token, body: { ids: ['nope'] } })).status).toBe(400);
    const replay = await call(h, 'POST', '/api/v1/dead-letters/replay', { token: a.token, body: { ids: [job.id] } });
    expect(replay.status).toBe(200);
    expect(replay.body).toEqual({ replayed: 1, ids: [job.id] });
    expect((await call(h, 'GET', `/api/v1/jobs/${job.id}`, { token: a.token })).body.status).toBe('QUEUED');
  });

  it('queues: list for readers, pause/resume for admins only', async () => {
    const list = await call(h, 'GET', '/api/v1/queues', { token: a.token });
    expect(list.status).toBe(200);
    const hold = list.body.queues.find((q: { name: string }) => q.name === 'hold');
    expect(hold.counts.QUEUED).toBeGreaterThan(0);
    expect((await call(h, 'POST', '/api/v1/queues/hold/pause', { token: a.token })).status).toBe(403);
    const paused = await call(h, 'POST', '/api/v1/queues/hold/pause', { token: admin });
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ name: 'hold', paused: true });
    expect(
      (await call(h, 'GET', '/api/v1/queues', { token: a.token })).body.queues.find((q: { name: string }) => q.name === 'hold')
        .paused,
    ).toBe(true);
    const resumed = await call(h, 'POST', '/api/v1/queues/hold/resume', { token: admin });
    expect(resumed.body.paused).toBe(false);
    const bad = await call(h, 'POST', `/api/v1/queues/${encodeURIComponent("x'; --")}/pause`, { token: admin });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_OPTION');
  });

  it('health, readiness, metrics, OpenAPI and docs', async () => {
    expect((await call(h, 'GET', '/healthz')).body).toEqual({ status: 'ok' });
    const ready = await call(h, 'GET', '/readyz');
    expect(ready.status).toBe(200);
    expect(ready.body).toMatchObject({ status: 'ready', database: 'pg' });
    expect((await call(h, 'GET', '/api/v1/readyz')).status).toBe(200);

    const metrics = await fetch(`${h.base}/metrics`);
    expect(metrics.status).toBe(200);
    const text = await metrics.text();
    expect(text).toMatch(/jobfleet_jobs_enqueued_total\{type="reverse_string",queue="bulk"\} 250/);
    expect(text).toMatch(/jobfleet_jobs_completed_total\{type="reverse_string",queue="sse"\} 1/);
    expect(text).toMatch(/jobfleet_jobs_failed_total\{type="flaky",queue="dl",final="true"\} 1/);
    expect(text).toMatch(/jobfleet_job_run_seconds_count\{type="reverse_string",queue="sse"\} 1/);
    expect(text).toMatch(/jobfleet_queue_jobs\{queue="bulk",status="QUEUED"\} 250/);
    expect(text).toMatch(/jobfleet_http_requests_total\{method="POST",route="\/api\/v1\/jobs",status="201"\}/);

    const spec = await call(h, 'GET', '/openapi.json');
    expect(spec.status).toBe(200);
    expect(spec.body.openapi).toMatch(/^3\./);
    for (const p of [
      '/api/v1/jobs',
      '/api/v1/jobs/{id}',
      '/api/v1/jobs/{id}/events',
      '/api/v1/auth/login',
      '/api/v1/api-keys',
      '/api/v1/users',
    ]) {
      expect(spec.body.paths).toHaveProperty([p]);
    }
    expect(spec.body.paths['/api/v1/jobs'].post.requestBody).toBeTruthy();
    expect(spec.body.paths['/api/v1/jobs'].post.responses).toHaveProperty(['201']);

    const docs = await fetch(`${h.base}/docs/`);
    expect(docs.status).toBe(200);
    expect(await docs.text()).toMatch(/swagger/i);
    const csp = docs.headers.get('content-security-policy') ?? '';
    expect(csp).toMatch(/default-src 'self'/);
    expect(csp).toMatch(/script-src 'self'/);
    expect(csp).not.toMatch(/https?:\/\//);
    expect(csp).not.toMatch(/upgrade-insecure-requests/);
    const bundle = await fetch(`${h.base}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    await bundle.arrayBuffer();

    const api = await fetch(`${h.base}/api/v1/jobs`, { headers: { authorization: `Bearer ${a.token}` } });
    expect(api.headers.get('x-content-type-options')).toBe('nosniff');
    expect(api.headers.get('x-request-id')).toBeTruthy();
    const unknown = await call(h, 'GET', '/api/v1/nothing-here', { token: a.token });
    expect(unknown.status).toBe(404);
    expect(unknown.body.error.code).toBe('NOT_FOUND');
  });
});
