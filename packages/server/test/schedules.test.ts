 
/**
 * Cron schedules over REST and GraphQL, on a real PostgreSQL: seed 003's CRUD with lastRun/nextRun, run
 * now + runs with a real worker, a per-second schedule firing on its own, member isolation, and every kind
 * of bad input refused in words with nothing stored.
 */
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobfleet, scheduleTickJob, SCHEDULE_TICK, type Scheduler, type Worker } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '@jobfleet/core/testing';
import { exampleJobTypes } from '@jobfleet/examples';
import { buildServer, createAuthService, loadServerConfig, serverMigrations, type ServerConfig } from '../src/index.ts';
import { adminToken, call, newMember, TEST_SECRET, type Harness } from './helpers.ts';

type Member = Awaited<ReturnType<typeof newMember>>;

interface GqlResult {
  status: number;
  data: Record<string, any> | null;
  errors?: { message: string; extensions?: { code?: string; details?: any } }[];
}

/** Like helpers' startHarness, with the built-in schedule-tick job type registered next to the examples. */
async function startScheduleHarness(): Promise<Harness> {
  const db: TestDatabase = await createTestDatabase('jobfleet_sched');
  const fleet = await Jobfleet.open({
    databaseUrl: db.url,
    jobTypes: [...exampleJobTypes, scheduleTickJob],
    migrations: serverMigrations(),
  });
  const config: ServerConfig = { ...loadServerConfig({}), rateLimitPerMinute: 100_000, bodyLimit: 64 * 1024 };
  const auth = createAuthService({ fleet, config, secret: TEST_SECRET });
  const admin = (await auth.ensureAdmin('admin@example.com')) as { email: string; password: string };
  const app = await buildServer({ fleet, auth, config, logger: pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }) });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const addr = app.server.address();
  const base = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  return {
    fleet,
    auth,
    app,
    config,
    base,
    db,
    admin,
    close: async () => {
      await app.close();
      await fleet.close({ graceMs: 1000 });
      await db.drop();
    },
  };
}

describe.runIf(pgAvailable)('schedules over REST and GraphQL (real PostgreSQL)', () => {
  let h: Harness;
  let admin: string;
  let a: Member;
  let b: Member;
  let worker: Worker;

  beforeAll(async () => {
    h = await startScheduleHarness();
    admin = await adminToken(h);
    a = await newMember(h, 'alice');
    b = await newMember(h, 'bob');
    worker = h.fleet.createWorker({ concurrency: 4, pollIntervalMs: 100 });
    await worker.start();
  });
  afterAll(async () => {
    await h?.close();
  });

  const rest = (method: string, path: string, token: string, body?: unknown) =>
    call(h, method, `/api/v1/schedules${path}`, body === undefined ? { token } : { token, body });

  async function gql(query: string, variables: Record<string, unknown> | undefined, token?: string): Promise<GqlResult> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (token) headers.authorization = `Bearer ${token}`;
    const res = await fetch(`${h.base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: Record<string, any> | null; errors?: GqlResult['errors'] };
    return { status: res.status, data: body.data ?? null, errors: body.errors };
  }

  const count = async (): Promise<number> => {
    const { rows } = await h.fleet.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${h.fleet.schema}.schedules`);
    return Number(rows[0]!.n);
  };

  async function waitForJob(id: string, token: string) {
    return waitFor(
      async () => {
        const r = await call(h, 'GET', `/api/v1/jobs/${id}`, { token });
        return r.status === 200 && ['COMPLETED', 'DEAD', 'FAILED'].includes(r.body.status) ? r.body : null;
      },
      { timeoutMs: 15_000, what: `job ${id} to finish` },
    );
  }

  // ------------------------------------------------------------------ REST CRUD
  it('creates a schedule from seed 003 body; every response carries lastRun and nextRun', async () => {
    const seed = {
      name: 'Daily Email Notification',
      description: 'Send daily newsletter to users',
      schedule: '0 9 * * *',
      isActive: true,
    };
    const created = await rest('POST', '', a.token, seed);
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({
      ...seed,
      cron: '0 9 * * *',
      timezone: 'UTC',
      jobType: SCHEDULE_TICK,
      ownerId: a.id,
      source: 'api',
      lastRun: null,
    });
    const next = new Date(created.body.nextRun);
    expect(next.getTime()).toBeGreaterThan(Date.now());
    expect(next.getTime()).toBeLessThanOrEqual(Date.now() + 86_400_000);
    expect(next.getUTCHours()).toBe(9);
    expect(next.getUTCMinutes()).toBe(0);
    const id = created.body.id as string;

    const one = await rest('GET', `/${id}`, a.token);
    expect(one.status).toBe(200);
    expect(one.body).toMatchObject({ id, name: seed.name, schedule: '0 9 * * *', lastRun: null, nextRun: created.body.nextRun });

    const list = await rest('GET', '', a.token);
    expect(list.status).toBe(200);
    expect(list.body.nextCursor).toBeNull();
    const listed = list.body.schedules.find((s: any) => s.id === id);
    expect(listed).toBeDefined();
    expect(listed).toHaveProperty('lastRun', null);
    expect(listed).toHaveProperty('nextRun', created.body.nextRun);

    // PATCH: a new rule moves nextRun; isActive false pauses (nextRun null); true resumes.
    const patched = await rest('PATCH', `/${id}`, a.token, { schedule: '30 18 * * 1-5', description: null });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ schedule: '30 18 * * 1-5', cron: '30 18 * * 1-5', description: null });
    expect(new Date(patched.body.nextRun).getUTCHours()).toBe(18);
    const paused = await rest('PATCH', `/${id}`, a.token, { isActive: false });
    expect(paused.body).toMatchObject({ isActive: false, nextRun: null, lastRun: null });
    const resumed = await rest('POST', `/${id}/resume`, a.token);
    expect(resumed.status).toBe(200);
    expect(resumed.body.isActive).toBe(true);
    expect(resumed.body.nextRun).not.toBeNull();
    const pausedAgain = await rest('POST', `/${id}/pause`, a.token);
    expect(pausedAgain.body).toMatchObject({ isActive: false, nextRun: null });

    // Active/paused filter.
    const onlyPaused = await call(h, 'GET', '/api/v1/schedules?isActive=false', { token: a.token });
    expect(onlyPaused.body.schedules.map((s: any) => s.id)).toContain(id);
    const onlyActive = await call(h, 'GET', '/api/v1/schedules?isActive=true', { token: a.token });
    expect(onlyActive.body.schedules.map((s: any) => s.id)).not.toContain(id);

    const deleted = await rest('DELETE', `/${id}`, a.token);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ id, lastRun: null, nextRun: null });
    expect((await rest('GET', `/${id}`, a.token)).status).toBe(404);
    const again = await rest('DELETE', `/${id}`, a.token);
    expect(again.status).toBe(404);
    expect(again.body.error.code).toBe('SCHEDULE_NOT_FOUND');
  });

  it('names are unique per owner (409), not across owners', async () => {
    const body = { name: 'nightly', schedule: '0 3 * * *' };
    const first = await rest('POST', '', a.token, body);
    expect(first.status).toBe(201);
    const dup = await rest('POST', '', a.token, body);
    expect(dup.status).toBe(409);
    expect(dup.body.error).toMatchObject({ code: 'SCHEDULE_NAME_TAKEN' });
    expect(dup.body.error.message).toMatch(/nightly/);
    const other = await rest('POST', '', b.token, body);
    expect(other.status).toBe(201);
    await rest('DELETE', `/${first.body.id}`, a.token);
    await rest('DELETE', `/${other.body.id}`, b.token);
  });

  it('previews the next fire times of an expression without storing anything', async () => {
    const before = await count();
    const r = await rest('POST', '/preview', a.token, { cron: '0 12 * * *', timezone: 'Europe/Berlin', count: 3 });
    expect(r.status).toBe(200);
    expect(r.body.nextRuns).toHaveLength(3);
    // 12:00 in Berlin is 10:00 or 11:00 UTC.
    for (const t of r.body.nextRuns) expect([10, 11]).toContain(new Date(t).getUTCHours());
    const bad = await rest('POST', '/preview', a.token, { cron: '0 25 * * *' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('INVALID_CRON');
    expect(bad.body.error.message).toMatch(/hour/);
    expect(await count()).toBe(before);
  });

  // ------------------------------------------------------------------ trigger + runs
  it('triggers a schedule now: the job runs to COMPLETED and shows in runs; lastRun is set', async () => {
    const s = await rest('POST', '', a.token, {
      name: 'reverse every morning',
      cron: '0 6 * * *',
      jobType: 'reverse_string',
      payload: 'hello',
    });
    expect(s.status).toBe(201);
    const t = await rest('POST', `/${s.body.id}/trigger`, a.token);
    expect(t.status).toBe(201);
    expect(t.body).toMatchObject({ type: 'reverse_string', payload: 'hello', scheduleId: s.body.id, ownerId: a.id });
    // The schedule rides along: its lastRun is now, its nextRun unchanged.
    expect(t.body.schedule).toMatchObject({ id: s.body.id, nextRun: s.body.nextRun });
    expect(new Date(t.body.schedule.lastRun).getTime()).toBeGreaterThan(Date.now() - 60_000);
    const done = await waitForJob(t.body.id, a.token);
    expect(done).toMatchObject({ status: 'COMPLETED', result: 'olleh' });

    const runs = await rest('GET', `/${s.body.id}/runs`, a.token);
    expect(runs.status).toBe(200);
    expect(runs.body.jobs).toHaveLength(1);
    expect(runs.body.jobs[0]).toMatchObject({ id: t.body.id, status: 'COMPLETED', scheduleId: s.body.id });
    expect(runs.body.schedule).toMatchObject({ id: s.body.id, lastRun: t.body.schedule.lastRun, nextRun: s.body.nextRun });
    const completedOnly = await call(h, 'GET', `/api/v1/schedules/${s.body.id}/runs?status=FAILED,DEAD`, { token: a.token });
    expect(completedOnly.body.jobs).toHaveLength(0);

    const after = await rest('GET', `/${s.body.id}`, a.token);
    expect(after.body.lastRun).not.toBeNull();
    expect(new Date(after.body.lastRun).getTime()).toBeGreaterThan(Date.now() - 60_000);
    expect(after.body.nextRun).toBe(s.body.nextRun); // the timetable is untouched by a manual run
  });

  it('a seed-003 schedule (no job type) runs the built-in tick job', async () => {
    const s = await rest('POST', '', a.token, { name: 'tick only', description: null, schedule: '@daily', isActive: true });
    expect(s.status).toBe(201);
    expect(s.body.schedule).toBe('@daily');
    const t = await rest('POST', `/${s.body.id}/trigger`, a.token);
    expect(t.status).toBe(201);
    const done = await waitForJob(t.body.id, a.token);
    expect(done.status).toBe('COMPLETED');
    expect(done.result).toMatchObject({ schedule: 'tick only', scheduleId: s.body.id, trigger: 'manual' });
  });

  it('a per-second schedule fires at least twice within ~3 s with a running scheduler', async () => {
    const s = await rest('POST', '', a.token, { name: 'every second', schedule: '* * * * * *' });
    expect(s.status).toBe(201);
    const scheduler: Scheduler = h.fleet.createScheduler({ intervalMs: 100 });
    scheduler.start();
    try {
      const started = Date.now();
      const runs = await waitFor(
        async () => {
          const r = await rest('GET', `/${s.body.id}/runs`, a.token);
          return r.body.jobs.length >= 2 ? r.body.jobs : null;
        },
        { timeoutMs: 3_500, intervalMs: 100, what: 'two runs of the per-second schedule' },
      );
      expect(Date.now() - started).toBeLessThan(3_500);
      expect(runs.length).toBeGreaterThanOrEqual(2);
      for (const j of runs) expect(j).toMatchObject({ type: SCHEDULE_TICK, scheduleId: s.body.id, ownerId: a.id });
      // Each fire time once: the jobs' fire stamps are distinct whole seconds.
      const fires = runs.map((j: any) => j.metadata.schedule.fireAt);
      expect(new Set(fires).size).toBe(fires.length);
      const after = await rest('GET', `/${s.body.id}`, a.token);
      expect(after.body.lastRun).not.toBeNull();
      expect(new Date(after.body.nextRun).getTime()).toBeGreaterThan(new Date(after.body.lastRun).getTime());
    } finally {
      await scheduler.stop();
      await rest('DELETE', `/${s.body.id}`, a.token);
    }
  });

  // ------------------------------------------------------------------ isolation
  it("members cannot see or change each other's schedules (404); admins can", async () => {
    const s = await rest('POST', '', a.token, { name: 'alice private', schedule: '0 0 1 * *' });
    const id = s.body.id as string;
    for (const [method, path, body] of [
      ['GET', `/${id}`, undefined],
      ['PATCH', `/${id}`, { name: 'stolen' }],
      ['POST', `/${id}/pause`, undefined],
      ['POST', `/${id}/trigger`, undefined],
      ['GET', `/${id}/runs`, undefined],
      ['DELETE', `/${id}`, undefined],
    ] as const) {
      const r = await rest(method, path, b.token, body);
      expect(r.status, `${method} ${path}`).toBe(404);
      expect(r.body.error.code).toBe('SCHEDULE_NOT_FOUND');
    }
    const bList = await rest('GET', '', b.token);
    expect(bList.body.schedules.map((x: any) => x.id)).not.toContain(id);
    // Asking for someone else's schedules by ownerId gives nothing.
    const spy = await call(h, 'GET', `/api/v1/schedules?ownerId=${a.id}`, { token: b.token });
    expect(spy.body.schedules).toEqual([]);
    // A member cannot create a schedule in someone else's name.
    const spoof = await rest('POST', '', b.token, { name: 'spoof', schedule: '0 0 * * *', ownerId: a.id });
    expect(spoof.status).toBe(201);
    expect(spoof.body.ownerId).toBe(b.id);

    // GraphQL: the same.
    const gq = await gql(`query($id: ID!) { schedule(id: $id) { id } }`, { id }, b.token);
    expect(gq.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
    const gdel = await gql(`mutation($id: ID!) { deleteSchedule(id: $id) { id } }`, { id }, b.token);
    expect(gdel.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');

    // Admins see and change everyone's.
    const adminGet = await rest('GET', `/${id}`, admin);
    expect(adminGet.status).toBe(200);
    expect(adminGet.body.ownerId).toBe(a.id);
    const adminList = await rest('GET', '', admin);
    const ids = adminList.body.schedules.map((x: any) => x.id);
    expect(ids).toContain(id);
    expect(ids).toContain(spoof.body.id);
    const adminPatch = await rest('PATCH', `/${id}`, admin, { description: 'checked by admin' });
    expect(adminPatch.status).toBe(200);
    expect(adminPatch.body).toMatchObject({ description: 'checked by admin', ownerId: a.id });
    const gAdmin = await gql(`query($id: ID!) { schedule(id: $id) { id ownerId } }`, { id }, admin);
    expect(gAdmin.data?.schedule).toMatchObject({ id, ownerId: a.id });
    // An admin may create a schedule for a user.
    const forA = await rest('POST', '', admin, { name: 'made for alice', schedule: '0 0 * * *', ownerId: a.id });
    expect(forA.body.ownerId).toBe(a.id);
    expect((await rest('GET', `/${forA.body.id}`, a.token)).status).toBe(200);

    for (const x of [id, spoof.body.id, forA.body.id]) expect((await rest('DELETE', `/${x}`, admin)).status).toBe(200);
  });

  it('documents the routes in OpenAPI', async () => {
    const doc = await call(h, 'GET', '/openapi.json');
    expect(doc.status).toBe(200);
    for (const path of [
      '/api/v1/schedules',
      '/api/v1/schedules/{id}',
      '/api/v1/schedules/{id}/trigger',
      '/api/v1/schedules/{id}/runs',
    ])
      expect(Object.keys(doc.body.paths)).toContain(path);
    expect(Object.keys(doc.body.paths['/api/v1/schedules/{id}'])).toEqual(expect.arrayContaining(['get', 'patch', 'delete']));
  });

  it('needs authentication and the schedules scopes', async () => {
    const anon = await call(h, 'GET', '/api/v1/schedules');
    expect(anon.status).toBe(401);
    const g = await gql(`{ schedules { nodes { id } } }`, undefined);
    expect(g.errors?.[0]?.extensions?.code).toBe('UNAUTHENTICATED');
    // An API key limited to jobs cannot touch schedules.
    const key = await call(h, 'POST', '/api/v1/api-keys', { token: a.token, body: { name: 'jobs only', scopes: ['jobs:read'] } });
    expect(key.status).toBe(201);
    const withKey = await call(h, 'GET', '/api/v1/schedules', { headers: { 'x-api-key': key.body.key } });
    expect(withKey.status).toBe(403);
    const readKey = await call(h, 'POST', '/api/v1/api-keys', {
      token: a.token,
      body: { name: 'schedules read', scopes: ['schedules:read'] },
    });
    const list = await call(h, 'GET', '/api/v1/schedules', { headers: { 'x-api-key': readKey.body.key } });
    expect(list.status).toBe(200);
    const write = await call(h, 'POST', '/api/v1/schedules', {
      headers: { 'x-api-key': readKey.body.key },
      body: { name: 'x', schedule: '@hourly' },
    });
    expect(write.status).toBe(403);
  });

  // ------------------------------------------------------------------ bad input
  const evil = `x'); DROP TABLE jobfleet.schedules; --`;
  const badRest: [string, unknown, number, string, RegExp][] = [
    ['minute out of range', { name: 'bad', schedule: '61 * * * *' }, 400, 'INVALID_CRON', /minute field "61".*0 to 59/],
    ['hour out of range', { name: 'bad', cron: '0 24 * * *' }, 400, 'INVALID_CRON', /hour field/],
    ['too few fields', { name: 'bad', schedule: '* * * *' }, 400, 'INVALID_CRON', /4 fields; use 5/],
    ['garbage cron', { name: 'bad', schedule: 'every day at nine' }, 400, 'INVALID_CRON', /Invalid cron expression/],
    ['empty cron', { name: 'bad', schedule: '' }, 400, 'VALIDATION_FAILED', /schedule/],
    ['missing cron', { name: 'bad' }, 400, 'INVALID_OPTION', /cron expression is required/],
    ['both spellings, different', { name: 'bad', cron: '0 1 * * *', schedule: '0 2 * * *' }, 400, 'INVALID_OPTION', /differ/],
    ['SQL in the cron', { name: 'bad', schedule: `0 9 * * *'; ${evil}` }, 400, 'INVALID_CRON', /Invalid cron/],
    ['unknown time zone', { name: 'bad', schedule: '0 9 * * *', timezone: 'Mars/Olympus' }, 400, 'INVALID_TIMEZONE', /IANA/],
    ['offset as time zone', { name: 'bad', schedule: '0 9 * * *', timezone: '+02:00' }, 400, 'INVALID_TIMEZONE', /IANA/],
    ['SQL in the time zone', { name: 'bad', schedule: '0 9 * * *', timezone: `UTC'; ${evil}` }, 400, 'INVALID_TIMEZONE', /IANA/],
    [
      'unknown job type',
      { name: 'bad', schedule: '0 9 * * *', jobType: 'no_such_type' },
      422,
      'UNKNOWN_JOB_TYPE',
      /no_such_type/,
    ],
    [
      'payload failing the schema',
      { name: 'bad', schedule: '0 9 * * *', jobType: 'Fibonacci', payload: { iterations: 'ten' } },
      422,
      'INVALID_PAYLOAD',
      /iterations/,
    ],
    ['missing payload the type needs', { name: 'bad', schedule: '0 9 * * *', jobType: 'sleep' }, 422, 'INVALID_PAYLOAD', /sleep/],
    ['missing name', { schedule: '0 9 * * *' }, 400, 'VALIDATION_FAILED', /body\.name.*required/],
    ['blank name', { name: '   ', schedule: '0 9 * * *' }, 400, 'INVALID_OPTION', /name: must not be empty/],
    ['name of the wrong type', { name: 123, schedule: '0 9 * * *' }, 400, 'VALIDATION_FAILED', /body\.name must be string/],
    ['cron of the wrong type', { name: 'bad', schedule: 9 }, 400, 'VALIDATION_FAILED', /body\.schedule must be string/],
    ['isActive of the wrong type', { name: 'bad', schedule: '0 9 * * *', isActive: 'yes' }, 400, 'VALIDATION_FAILED', /isActive/],
    [
      'overlap not in the list',
      { name: 'bad', schedule: '0 9 * * *', overlap: 'sometimes' },
      400,
      'VALIDATION_FAILED',
      /overlap/,
    ],
    ['options not an object', { name: 'bad', schedule: '0 9 * * *', options: 'fast' }, 400, 'VALIDATION_FAILED', /options/],
    [
      'reserved option',
      { name: 'bad', schedule: '0 9 * * *', options: { idempotencyKey: 'k' } },
      400,
      'INVALID_OPTION',
      /idempotencyKey cannot be set/,
    ],
    ['oversized name', { name: 'n'.repeat(201), schedule: '0 9 * * *' }, 400, 'VALIDATION_FAILED', /name.*200/],
    [
      'oversized description',
      { name: 'bad', description: 'd'.repeat(2001), schedule: '0 9 * * *' },
      400,
      'VALIDATION_FAILED',
      /description/,
    ],
    ['oversized cron', { name: 'bad', schedule: '0 '.repeat(150) }, 400, 'VALIDATION_FAILED', /schedule.*200/],
    ['unknown field', { name: 'bad', schedule: '0 9 * * *', cronn: '0 9 * * *' }, 400, 'INVALID_OPTION', /cronn/],
  ];

  it.each(badRest)('REST refuses %s, in words, storing nothing', async (_what, body, status, code, message) => {
    const before = await count();
    const r = await rest('POST', '', a.token, body);
    expect(r.status).toBe(status);
    expect(r.body.error.code).toBe(code);
    expect(r.body.error.message).toMatch(message);
    expect(r.body.error.message).not.toMatch(/\bat .*\.ts:\d+/); // no stack
    expect(await count()).toBe(before);
  });

  it('names the cron field at fault in details', async () => {
    const r = await rest('POST', '', a.token, { name: 'bad', schedule: '0 9 32 * *' });
    expect(r.status).toBe(400);
    expect(r.body.error.details).toMatchObject({ field: 'day-of-month', value: '32' });
    expect(r.body.error.message).toMatch(/day-of-month/);
  });

  it('refuses malformed JSON, and bad PATCHes leave the schedule as it was', async () => {
    const before = await count();
    const raw = await call(h, 'POST', '/api/v1/schedules', { token: a.token, raw: '{"name": "x", "schedule": ' });
    expect(raw.status).toBe(400);
    expect(raw.body.error.code).toBe('MALFORMED_JSON');
    expect(await count()).toBe(before);

    const s = await rest('POST', '', a.token, { name: 'stays as it is', schedule: '15 4 * * *' });
    const id = s.body.id as string;
    for (const [patch, status, code] of [
      [{ schedule: '99 * * * *' }, 400, 'INVALID_CRON'],
      [{ timezone: 'Nowhere/Land' }, 400, 'INVALID_TIMEZONE'],
      [{ jobType: 'no_such_type' }, 422, 'UNKNOWN_JOB_TYPE'],
      [{ jobType: 'fibonacci_calc', payload: 'not a number' }, 422, 'INVALID_PAYLOAD'],
      [{ name: '' }, 400, 'VALIDATION_FAILED'],
      [{}, 400, 'VALIDATION_FAILED'],
      [{ isActive: 1 }, 400, 'VALIDATION_FAILED'],
    ] as const) {
      const r = await rest('PATCH', `/${id}`, a.token, patch);
      expect(r.status, JSON.stringify(patch)).toBe(status);
      expect(r.body.error.code).toBe(code);
    }
    const after = await rest('GET', `/${id}`, a.token);
    expect(after.body).toMatchObject({
      name: 'stays as it is',
      schedule: '15 4 * * *',
      timezone: 'UTC',
      jobType: SCHEDULE_TICK,
      updatedAt: s.body.updatedAt,
    });
    expect((await rest('GET', '/not-a-uuid', a.token)).status).toBe(404);
    expect((await rest('GET', `/${'9'.repeat(101)}`, a.token)).status).toBe(400);
    await rest('DELETE', `/${id}`, a.token);
  });

  it('stores SQL metacharacters in names and descriptions verbatim and harmlessly', async () => {
    const r = await rest('POST', '', a.token, {
      name: evil,
      description: `"; DELETE FROM users; -- \\ $1 %s`,
      schedule: '0 9 * * *',
    });
    expect(r.status).toBe(201);
    expect(r.body.name).toBe(evil);
    const back = await rest('GET', `/${r.body.id}`, a.token);
    expect(back.body).toMatchObject({ name: evil, description: `"; DELETE FROM users; -- \\ $1 %s` });
    const byName = await call(h, 'GET', `/api/v1/schedules?name=${encodeURIComponent(evil)}`, { token: a.token });
    expect(byName.body.schedules.map((s: any) => s.id)).toEqual([r.body.id]);
    await rest('DELETE', `/${r.body.id}`, a.token);
    expect(await count()).toBeGreaterThanOrEqual(0); // the table is still there
  });

  // ------------------------------------------------------------------ GraphQL
  const FIELDS = `id name description schedule cron timezone jobType payload isActive overlap missedRuns lastRun nextRun ownerId source createdAt`;

  it('GraphQL: create (seed 003 input), read, list, update, pause, resume, trigger, runs, delete, preview', async () => {
    const created = await gql(
      `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { ${FIELDS} upcoming(count: 3) } }`,
      { i: { name: 'GraphQL newsletter', description: 'Send daily newsletter', schedule: '0 9 * * *', isActive: true } },
      a.token,
    );
    expect(created.errors).toBeUndefined();
    const s = created.data!.createSchedule;
    expect(s).toMatchObject({
      name: 'GraphQL newsletter',
      schedule: '0 9 * * *',
      cron: '0 9 * * *',
      timezone: 'UTC',
      jobType: SCHEDULE_TICK,
      isActive: true,
      overlap: 'ALLOW',
      missedRuns: 'ONCE',
      lastRun: null,
      ownerId: a.id,
      source: 'API',
    });
    expect(new Date(s.nextRun).getUTCHours()).toBe(9);
    expect(s.upcoming).toHaveLength(3);
    expect(s.upcoming[0]).toBe(s.nextRun);

    const list = await gql(`{ schedules { nodes { id lastRun nextRun } nextCursor } }`, undefined, a.token);
    expect(list.errors).toBeUndefined();
    expect(list.data!.schedules.nodes).toContainEqual({ id: s.id, lastRun: null, nextRun: s.nextRun });
    const filtered = await gql(`{ schedules(filter: { isActive: false }) { nodes { id } } }`, undefined, a.token);
    expect(filtered.data!.schedules.nodes.map((n: any) => n.id)).not.toContain(s.id);

    const one = await gql(`query($id: ID!) { schedule(id: $id) { id name lastRun nextRun } }`, { id: s.id }, a.token);
    expect(one.data!.schedule).toEqual({ id: s.id, name: 'GraphQL newsletter', lastRun: null, nextRun: s.nextRun });

    const updated = await gql(
      `mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { schedule timezone jobType payload overlap nextRun } }`,
      {
        id: s.id,
        i: { cron: '0 8 * * *', timezone: 'Europe/Berlin', jobType: 'uppercase_text', payload: 'hi', overlap: 'SKIP' },
      },
      a.token,
    );
    expect(updated.errors).toBeUndefined();
    expect(updated.data!.updateSchedule).toMatchObject({
      schedule: '0 8 * * *',
      timezone: 'Europe/Berlin',
      jobType: 'uppercase_text',
      payload: 'hi',
      overlap: 'SKIP',
    });
    expect([6, 7]).toContain(new Date(updated.data!.updateSchedule.nextRun).getUTCHours());

    const paused = await gql(`mutation($id: ID!) { pauseSchedule(id: $id) { isActive nextRun } }`, { id: s.id }, a.token);
    expect(paused.data!.pauseSchedule).toEqual({ isActive: false, nextRun: null });
    const resumed = await gql(`mutation($id: ID!) { resumeSchedule(id: $id) { isActive nextRun } }`, { id: s.id }, a.token);
    expect(resumed.data!.resumeSchedule.isActive).toBe(true);
    expect(resumed.data!.resumeSchedule.nextRun).not.toBeNull();

    const trig = await gql(
      `mutation($id: ID!) { triggerSchedule(id: $id) { id type status scheduleId payload } }`,
      { id: s.id },
      a.token,
    );
    expect(trig.errors).toBeUndefined();
    expect(trig.data!.triggerSchedule).toMatchObject({ type: 'uppercase_text', scheduleId: s.id, payload: 'hi' });
    await waitForJob(trig.data!.triggerSchedule.id, a.token);
    const runs = await gql(
      `query($id: ID!) { scheduleRuns(id: $id) { nodes { id status result scheduleId } nextCursor } }`,
      { id: s.id },
      a.token,
    );
    expect(runs.errors).toBeUndefined();
    expect(runs.data!.scheduleRuns.nodes).toEqual([
      { id: trig.data!.triggerSchedule.id, status: 'COMPLETED', result: 'HI', scheduleId: s.id },
    ]);
    const withLastRun = await gql(`query($id: ID!) { schedule(id: $id) { lastRun } }`, { id: s.id }, a.token);
    expect(withLastRun.data!.schedule.lastRun).not.toBeNull();

    const preview = await gql(
      `{ previewSchedule(cron: "*/15 * * * *", timezone: "Asia/Kolkata", count: 4) }`,
      undefined,
      a.token,
    );
    expect(preview.errors).toBeUndefined();
    expect(preview.data!.previewSchedule).toHaveLength(4);
    const [t0, t1] = preview.data!.previewSchedule.map((t: string) => new Date(t).getTime());
    expect(t1 - t0).toBe(15 * 60_000);

    const del = await gql(`mutation($id: ID!) { deleteSchedule(id: $id) { id name } }`, { id: s.id }, a.token);
    expect(del.data!.deleteSchedule).toEqual({ id: s.id, name: 'GraphQL newsletter' });
    const gone = await gql(`query($id: ID!) { schedule(id: $id) { id } }`, { id: s.id }, a.token);
    expect(gone.errors?.[0]?.extensions?.code).toBe('NOT_FOUND');
  });

  const create = `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }`;
  const badGql: [string, Record<string, unknown>, string, RegExp][] = [
    ['minute out of range', { name: 'bad', schedule: '61 * * * *' }, 'INVALID_CRON', /minute field "61"/],
    ['too many fields', { name: 'bad', cron: '* * * * * * *' }, 'INVALID_CRON', /7 fields/],
    ['SQL in the cron', { name: 'bad', cron: `0 9 * * *'; ${evil}` }, 'INVALID_CRON', /Invalid cron/],
    ['missing cron', { name: 'bad' }, 'VALIDATION_FAILED', /cron expression is required/],
    ['unknown time zone', { name: 'bad', schedule: '0 9 * * *', timezone: 'Mars/Olympus' }, 'INVALID_TIMEZONE', /IANA/],
    ['unknown job type', { name: 'bad', schedule: '0 9 * * *', jobType: 'no_such_type' }, 'UNKNOWN_JOB_TYPE', /no_such_type/],
    [
      'payload failing the schema',
      { name: 'bad', schedule: '0 9 * * *', jobType: 'fibonacci_calc', payload: 'x' },
      'INVALID_PAYLOAD',
      /fibonacci_calc/,
    ],
    ['missing name', { schedule: '0 9 * * *' }, 'VALIDATION_FAILED', /name/],
    ['name of the wrong type', { name: 123, schedule: '0 9 * * *' }, 'VALIDATION_FAILED', /String/],
    ['isActive of the wrong type', { name: 'bad', schedule: '0 9 * * *', isActive: 'yes' }, 'VALIDATION_FAILED', /Boolean/],
    [
      'overlap not in the enum',
      { name: 'bad', schedule: '0 9 * * *', overlap: 'SOMETIMES' },
      'VALIDATION_FAILED',
      /ScheduleOverlap/,
    ],
    ['oversized name', { name: 'n'.repeat(201), schedule: '0 9 * * *' }, 'VALIDATION_FAILED', /name.*200/],
    [
      'oversized description',
      { name: 'bad', description: 'd'.repeat(2001), schedule: '0 9 * * *' },
      'VALIDATION_FAILED',
      /description/,
    ],
    ['oversized cron', { name: 'bad', schedule: '0 '.repeat(150) }, 'VALIDATION_FAILED', /schedule/],
    ['options not an object', { name: 'bad', schedule: '0 9 * * *', options: 'fast' }, 'VALIDATION_FAILED', /options/],
  ];

  it.each(badGql)('GraphQL refuses %s with extensions.code, storing nothing', async (_what, input, code, message) => {
    const before = await count();
    const r = await gql(create, { i: input }, a.token);
    expect(r.data?.createSchedule ?? null).toBeNull();
    expect(r.errors?.[0]?.extensions?.code).toBe(code);
    expect(r.errors?.[0]?.message).toMatch(message);
    expect(await count()).toBe(before);
  });

  it('GraphQL names the cron field in details, and refuses bad updates and previews', async () => {
    const r = await gql(create, { i: { name: 'bad', schedule: '0 9 * 13 *' } }, a.token);
    expect(r.errors?.[0]?.extensions).toMatchObject({ code: 'INVALID_CRON', details: { field: 'month', value: '13' } });

    const s = await gql(create, { i: { name: 'gql keeps', schedule: '0 1 * * *' } }, a.token);
    const id = s.data!.createSchedule.id as string;
    const upd = `mutation($id: ID!, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { id } }`;
    expect((await gql(upd, { id, i: { cron: '0 1 * * 8' } }, a.token)).errors?.[0]?.extensions?.code).toBe('INVALID_CRON');
    expect((await gql(upd, { id, i: { timezone: 'Utopia' } }, a.token)).errors?.[0]?.extensions?.code).toBe('INVALID_TIMEZONE');
    expect((await gql(upd, { id, i: {} }, a.token)).errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    const dup = await gql(create, { i: { name: 'gql keeps', schedule: '0 2 * * *' } }, a.token);
    expect(dup.errors?.[0]?.extensions?.code).toBe('SCHEDULE_NAME_TAKEN');
    const same = await gql(`query($id: ID!) { schedule(id: $id) { cron timezone } }`, { id }, a.token);
    expect(same.data!.schedule).toEqual({ cron: '0 1 * * *', timezone: 'UTC' });

    const preview = await gql(`{ previewSchedule(cron: "0 0 31 2 *") }`, undefined, a.token);
    expect(preview.errors?.[0]?.extensions?.code).toBe('INVALID_CRON');
    const tooMany = await gql(`{ previewSchedule(cron: "@hourly", count: 1000) }`, undefined, a.token);
    expect(tooMany.errors?.[0]?.extensions?.code).toBe('VALIDATION_FAILED');
    await gql(`mutation($id: ID!) { deleteSchedule(id: $id) { id } }`, { id }, a.token);
  });
});
