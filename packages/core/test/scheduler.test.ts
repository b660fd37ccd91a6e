import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  defineJob,
  InvalidOptionError,
  Jobfleet,
  PayloadValidationError,
  UnknownJobTypeError,
  type JobfleetError,
} from '../src/index.ts';
import {
  defineSchedule,
  InvalidCronError,
  InvalidTimezoneError,
  recentRuns,
  ScheduleNameTakenError,
  ScheduleNotFoundError,
  ScheduleReadOnlyError,
  Scheduler,
  ScheduleService,
  scheduleTickJob,
  SCHEDULE_TICK,
  syncSchedules,
  type Schedule,
} from '../src/scheduler/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../testing/index.ts';

const greet = defineJob({
  name: 'greet',
  schema: z.object({ name: z.string().min(1) }),
  queue: 'greetings',
  handler: ({ name }) => `hello ${name}`,
});
const jobTypes = [greet, scheduleTickJob];

/** A cron expression firing hourly at a minute far from now, so no fire time is ever "on time" in a test. */
function farHourly(): string {
  return `${(new Date().getUTCMinutes() + 30) % 60} * * * *`;
}

async function count(fleet: Jobfleet, sql: string, params: unknown[] = []): Promise<number> {
  const { rows } = await fleet.db.query<{ n: number }>(`SELECT (${sql})::int AS n`, params);
  return rows[0]!.n;
}

async function expectTyped(p: Promise<unknown>, cls: new (...a: never[]) => JobfleetError, code: string, message: RegExp) {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(cls);
  expect((err as JobfleetError).code).toBe(code);
  expect((err as JobfleetError).message).toMatch(message);
}

/** Moves next_run back to the oldest of the last n fire times, as if the scheduler had been down since. */
async function simulateDowntime(fleet: Jobfleet, s: Schedule, n: number): Promise<Date[]> {
  const missed = recentRuns(s.cron, s.timezone, new Date(Date.now() - 86_400_000), new Date(), n).reverse();
  await fleet.db.query(`UPDATE jobfleet.schedules SET next_run = $2 WHERE id = $1`, [s.id, missed[0]!.toISOString()]);
  return missed;
}

describe.runIf(pgAvailable)('schedules on real PostgreSQL', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let service: ScheduleService;

  beforeAll(async () => {
    db = await createTestDatabase();
    fleet = await Jobfleet.open({ databaseUrl: db.url, poolSize: 4, jobTypes });
    service = new ScheduleService(fleet);
  });
  afterAll(async () => {
    await fleet?.close({ graceMs: 0 });
    await db?.drop();
  });
  beforeEach(async () => {
    await fleet.db.query('DELETE FROM jobfleet.schedules');
    await fleet.db.query('DELETE FROM jobfleet.jobs');
  });

  describe('bad input: a typed error with a clear message, and nothing stored', () => {
    const ok = { name: 'nightly', cron: '0 3 * * *', jobType: 'greet', payload: { name: 'Ada' } };
    it.each([
      ['wrong field count', { ...ok, cron: '* * * *' }, InvalidCronError, 'INVALID_CRON', /has 4 fields/],
      [
        'out-of-range minute',
        { ...ok, cron: '61 * * * *' },
        InvalidCronError,
        'INVALID_CRON',
        /minute .* out of range: minute must be from 0 to 59/,
      ],
      ['garbage', { ...ok, cron: 'every day at noon' }, InvalidCronError, 'INVALID_CRON', /has 4 fields/],
      [
        'garbage in a field',
        { ...ok, cron: 'x 3 * * *' },
        InvalidCronError,
        'INVALID_CRON',
        /minute field "x" contains characters/,
      ],
      [
        'invalid timezone',
        { ...ok, timezone: 'Mars/Olympus_Mons' },
        InvalidTimezoneError,
        'INVALID_TIMEZONE',
        /not a known IANA time zone/,
      ],
      ['unknown job type', { ...ok, jobType: 'nope' }, UnknownJobTypeError, 'UNKNOWN_JOB_TYPE', /No job type named "nope"/],
      [
        'payload failing the schema',
        { ...ok, payload: { name: 42 } },
        PayloadValidationError,
        'INVALID_PAYLOAD',
        /does not match job type "greet": name:/,
      ],
      ['missing payload', { ...ok, payload: undefined }, PayloadValidationError, 'INVALID_PAYLOAD', /greet/],
      ['no cron at all', { name: 'x' }, InvalidOptionError, 'INVALID_OPTION', /cron: a cron expression is required/],
      ['an empty name', { ...ok, name: '' }, InvalidOptionError, 'INVALID_OPTION', /name: must not be empty/],
      ['an unknown field', { ...ok, colour: 'red' }, InvalidOptionError, 'INVALID_OPTION', /colour/],
      ['a bad policy', { ...ok, missedRuns: 'sometimes' }, InvalidOptionError, 'INVALID_OPTION', /missedRuns/],
      [
        'a reserved enqueue option',
        { ...ok, options: { runAt: new Date() } },
        InvalidOptionError,
        'INVALID_OPTION',
        /options.runAt cannot be set/,
      ],
      ['a bad enqueue option', { ...ok, options: { priority: 'high' } }, InvalidOptionError, 'INVALID_OPTION', /priority/],
    ] as const)('%s', async (_what, input, cls, code, message) => {
      await expectTyped(service.create(input as never), cls as never, code, message);
      expect(await count(fleet, 'SELECT count(*) FROM jobfleet.schedules')).toBe(0);
    });

    it('an update that would break a schedule changes nothing', async () => {
      const s = await service.create(ok);
      await expectTyped(service.update(s.id, { cron: '0 0 32 * *' }), InvalidCronError, 'INVALID_CRON', /day-of-month/);
      await expectTyped(service.update(s.id, { payload: {} }), PayloadValidationError, 'INVALID_PAYLOAD', /name/);
      expect(await service.get(s.id)).toEqual(s);
    });
  });

  it('creates seed-003 style (name, description, schedule, isActive) with the built-in tick', async () => {
    const s = await service.create({
      name: 'Daily Email Notification',
      description: 'Send daily newsletter',
      schedule: '0 9 * * *',
      isActive: true,
    });
    expect(s).toMatchObject({
      jobType: SCHEDULE_TICK,
      cron: '0 9 * * *',
      timezone: 'UTC',
      isActive: true,
      lastRun: null,
      source: 'api',
    });
    expect(s.nextRun!.getTime()).toBeGreaterThan(Date.now());
    expect(s.nextRun!.getUTCHours()).toBe(9);
    await expectTyped(
      service.create({ name: 'Daily Email Notification', cron: '@daily' }),
      ScheduleNameTakenError,
      'SCHEDULE_NAME_TAKEN',
      /already exists/,
    );
  });

  it('scopes schedules by owner: members see their own, admins all', async () => {
    const a = await service.create({ name: 'mine', cron: '@hourly' }, { ownerId: 'alice' });
    const b = await service.create({ name: 'mine', cron: '@hourly' }, { ownerId: 'bob' }); // same name, other owner
    expect(a.ownerId).toBe('alice');
    expect(await service.get(b.id, { ownerId: 'alice' })).toBeNull();
    expect((await service.list({}, { ownerId: 'alice' })).schedules.map((s) => s.id)).toEqual([a.id]);
    expect((await service.list()).schedules).toHaveLength(2);
    await expectTyped(
      service.update(b.id, { isActive: false }, { ownerId: 'alice' }),
      ScheduleNotFoundError,
      'SCHEDULE_NOT_FOUND',
      /No schedule/,
    );
    await expectTyped(service.delete(b.id, { ownerId: 'alice' }), ScheduleNotFoundError, 'SCHEDULE_NOT_FOUND', /No schedule/);
    await expectTyped(service.trigger(b.id, { ownerId: 'alice' }), ScheduleNotFoundError, 'SCHEDULE_NOT_FOUND', /No schedule/);
    const job = await service.trigger(a.id, { ownerId: 'alice' });
    expect(job.ownerId).toBe('alice');
    expect((await service.runs(a.id, {}, { ownerId: 'alice' })).jobs.map((j) => j.id)).toEqual([job.id]);
    // Paging.
    const page = await service.list({ limit: 1 });
    expect(page.schedules).toHaveLength(1);
    expect((await service.list({ limit: 1, cursor: page.nextCursor! })).schedules[0]!.id).toBe(b.id);
  });

  it('updates: a new cron restarts the timetable; pausing stops firing; delete keeps the jobs', async () => {
    const s = await service.create({ name: 'u', cron: '0 9 * * *', jobType: 'greet', payload: { name: 'Ada' } });
    const u = await service.update(s.id, { cron: '30 18 * * *', timezone: 'Europe/Berlin', description: 'evening' });
    expect(u).toMatchObject({ cron: '30 18 * * *', timezone: 'Europe/Berlin', description: 'evening', payload: { name: 'Ada' } });
    expect(u.nextRun!.getUTCMinutes()).toBe(30);
    expect(await service.upcoming(s.id, 2)).toHaveLength(2);
    const scheduler = new Scheduler(fleet);
    await service.pause(s.id);
    await simulateDowntime(fleet, u, 2);
    expect((await scheduler.tick()).enqueued).toBe(0);
    const resumed = await service.resume(s.id);
    expect(resumed.nextRun!.getTime()).toBeGreaterThan(Date.now()); // no catch-up of the paused time
    await service.trigger(s.id);
    const deleted = await service.delete(s.id);
    expect(deleted.id).toBe(s.id);
    expect(await service.get(s.id)).toBeNull();
    expect(await count(fleet, 'SELECT count(*) FROM jobfleet.jobs WHERE schedule_id = $1', [s.id])).toBe(1);
  });

  describe('restart after downtime', () => {
    it.each([
      ['skip', 0],
      ['once', 1],
      ['all', 5],
    ] as const)('missedRuns %s fires %i job(s) for 5 missed fire times, then nothing more', async (policy, expected) => {
      const s = await service.create({
        name: `m-${policy}`,
        cron: farHourly(),
        jobType: 'greet',
        payload: { name: 'Ada' },
        missedRuns: policy,
      });
      const missed = await simulateDowntime(fleet, s, 5);
      // A scheduler on a fresh handle, as after a restart.
      const restarted = await Jobfleet.open({ databaseUrl: db.url, poolSize: 2, jobTypes, migrate: false });
      try {
        const scheduler = new Scheduler(restarted);
        const r = await scheduler.tick();
        expect(r.enqueued).toBe(expected);
        expect(r.skippedMissed).toBe(5 - expected);
        expect((await scheduler.tick()).enqueued).toBe(0);
      } finally {
        await restarted.close();
      }
      const { jobs } = await service.runs(s.id);
      const fireTimes = jobs.map((j) => (j.metadata as { schedule: { fireAt: string } }).schedule.fireAt).sort();
      expect(fireTimes).toEqual(missed.slice(5 - expected).map((d) => d.toISOString()));
      expect(jobs.every((j) => j.type === 'greet' && j.queue === 'greetings' && j.scheduleId === s.id)).toBe(true);
      const after = (await service.get(s.id))!;
      expect(after.nextRun!.getTime()).toBeGreaterThan(Date.now());
      expect(after.lastRun?.toISOString() ?? null).toBe(expected ? missed[4]!.toISOString() : null);
    });

    it('missedRuns all catches up at most maxCatchUp fire times, the latest ones', async () => {
      const s = await service.create({
        name: 'bounded',
        cron: farHourly(),
        jobType: 'greet',
        payload: { name: 'A' },
        missedRuns: 'all',
        maxCatchUp: 3,
      });
      const missed = await simulateDowntime(fleet, s, 8);
      expect((await new Scheduler(fleet).tick()).enqueued).toBe(3);
      const fired = (await service.runs(s.id)).jobs
        .map((j) => (j.metadata as { schedule: { fireAt: string } }).schedule.fireAt)
        .sort();
      expect(fired).toEqual(missed.slice(5).map((d) => d.toISOString()));
    });
  });

  it('overlap skip: no new job while the previous one is unfinished', async () => {
    const s = await service.create({
      name: 'ov',
      cron: farHourly(),
      jobType: 'greet',
      payload: { name: 'A' },
      overlap: 'skip',
      missedRuns: 'all',
    });
    const scheduler = new Scheduler(fleet);
    await simulateDowntime(fleet, s, 3);
    expect(await scheduler.tick()).toMatchObject({ enqueued: 1, skippedOverlap: 2 });
    const { rows } = await fleet.db.query<{ outcome: string; job_id: string | null }>(
      `SELECT outcome, job_id FROM jobfleet.schedule_fires WHERE schedule_id = $1 ORDER BY fire_at`,
      [s.id],
    );
    expect(rows.map((r) => r.outcome)).toEqual(['enqueued', 'skipped_overlap', 'skipped_overlap']);
    // Still queued: the next fire time is skipped too.
    await fleet.db.query(`DELETE FROM jobfleet.schedule_fires WHERE schedule_id = $1`, [s.id]);
    await simulateDowntime(fleet, s, 1);
    expect(await scheduler.tick()).toMatchObject({ enqueued: 0, skippedOverlap: 1 });
    // Once it has finished, the schedule fires again.
    await fleet.db.query(`UPDATE jobfleet.jobs SET status = 'COMPLETED', finished_at = now() WHERE schedule_id = $1`, [s.id]);
    await fleet.db.query(`DELETE FROM jobfleet.schedule_fires WHERE schedule_id = $1`, [s.id]);
    await simulateDowntime(fleet, s, 1);
    expect(await scheduler.tick()).toMatchObject({ enqueued: 1, skippedOverlap: 0 });
    // overlap allow (the default) fires regardless.
    const a = await service.create({
      name: 'ov-allow',
      cron: farHourly(),
      jobType: 'greet',
      payload: { name: 'A' },
      missedRuns: 'all',
    });
    await simulateDowntime(fleet, a, 3);
    expect(await scheduler.tick()).toMatchObject({ enqueued: 3, skippedOverlap: 0 });
  });

  it('a fire time already recorded is never enqueued twice (the database key holds even if next_run is rewound)', async () => {
    const s = await service.create({
      name: 'rewind',
      cron: farHourly(),
      jobType: 'greet',
      payload: { name: 'A' },
      missedRuns: 'all',
    });
    await simulateDowntime(fleet, s, 4);
    const scheduler = new Scheduler(fleet);
    expect((await scheduler.tick()).enqueued).toBe(4);
    await simulateDowntime(fleet, s, 4);
    expect((await scheduler.tick()).enqueued).toBe(0);
    expect(await count(fleet, 'SELECT count(*) FROM jobfleet.jobs WHERE schedule_id = $1', [s.id])).toBe(4);
  });

  it('trigger fires now without disturbing the timetable', async () => {
    const s = await service.create({ name: 'now', cron: '0 9 * * *', jobType: 'greet', payload: { name: 'A' }, isActive: false });
    const job = await service.trigger(s.id);
    expect(job).toMatchObject({ type: 'greet', scheduleId: s.id, status: 'QUEUED' });
    expect((job.metadata as { schedule: object }).schedule).toMatchObject({ id: s.id, name: 'now', trigger: 'manual' });
    const after = (await service.get(s.id))!;
    expect(after.nextRun).toEqual(s.nextRun);
    expect(after.lastRun).not.toBeNull();
    await expectTyped(
      service.trigger('00000000-0000-0000-0000-000000000000'),
      ScheduleNotFoundError,
      'SCHEDULE_NOT_FOUND',
      /No schedule/,
    );
    await expectTyped(service.trigger('not-a-uuid'), ScheduleNotFoundError, 'SCHEDULE_NOT_FOUND', /No schedule/);
  });

  it('a schedule whose job type has gone records the error and does not block the others', async () => {
    const broken = await service.create({ name: 'broken', cron: farHourly(), jobType: 'greet', payload: { name: 'A' } });
    const fine = await service.create({ name: 'fine', cron: farHourly(), jobType: 'greet', payload: { name: 'B' } });
    await fleet.db.query(`UPDATE jobfleet.schedules SET job_type = 'vanished' WHERE id = $1`, [broken.id]);
    await simulateDowntime(fleet, broken, 1);
    await simulateDowntime(fleet, fine, 1);
    const errors: string[] = [];
    const r = await new Scheduler(fleet, { onError: (e) => errors.push(e.message) }).tick();
    expect(r).toMatchObject({ enqueued: 1, failed: 1 });
    expect(errors[0]).toMatch(/vanished/);
    expect((await service.get(broken.id))!.lastError).toMatch(/No job type named "vanished"/);
    expect(await count(fleet, 'SELECT count(*) FROM jobfleet.schedule_fires WHERE schedule_id = $1', [broken.id])).toBe(0);
  });

  it('runs the built-in tick end to end with a worker', async () => {
    const s = await service.create({ name: 'seed style', cron: '@hourly' });
    const worker = fleet.createWorker({ queues: ['default'], pollIntervalMs: 50 });
    await worker.start();
    try {
      const job = await service.trigger(s.id);
      const done = (await waitFor(
        async () => {
          const j = await fleet.client.get(job.id);
          return j?.status === 'COMPLETED' ? j : null;
        },
        { what: 'the tick job to complete' },
      ))!;
      expect(done.result).toMatchObject({ schedule: 'seed style', scheduleId: s.id, trigger: 'manual' });
      expect((done.result as { firedAt: string }).firedAt).toMatch(/^\d{4}-\d\d-\d\dT/);
    } finally {
      await worker.stop({ graceMs: 0 });
    }
  });

  it('syncs schedules declared in code: upsert by name, read-only through the API, removed when no longer declared', async () => {
    const decls = [
      defineSchedule({
        name: 'report',
        cron: '0 6 * * 1',
        timezone: 'Europe/Berlin',
        jobType: 'greet',
        payload: { name: 'team' },
      }),
      defineSchedule({ name: 'heartbeat', cron: '*/5 * * * *' }),
    ];
    expect(() => defineSchedule({ name: 'bad', cron: '99 * * * *' })).toThrow(InvalidCronError);
    expect(await syncSchedules(fleet, decls)).toMatchObject({ created: ['report', 'heartbeat'], updated: [], removed: [] });
    expect(await syncSchedules(fleet, decls)).toMatchObject({ created: [], unchanged: ['report', 'heartbeat'] });
    const report = (await service.list({ name: 'report' })).schedules[0]!;
    expect(report).toMatchObject({ source: 'code', ownerId: null, timezone: 'Europe/Berlin', jobType: 'greet' });
    await expectTyped(
      service.update(report.id, { cron: '0 7 * * 1' }),
      ScheduleReadOnlyError,
      'SCHEDULE_READ_ONLY',
      /declared in code/,
    );
    await expectTyped(service.delete(report.id), ScheduleReadOnlyError, 'SCHEDULE_READ_ONLY', /declared in code/);
    expect((await service.pause(report.id)).isActive).toBe(false); // pausing is allowed
    const changed = [
      defineSchedule({
        name: 'report',
        cron: '0 7 * * 1',
        timezone: 'Europe/Berlin',
        jobType: 'greet',
        payload: { name: 'team' },
      }),
    ];
    expect(await syncSchedules(fleet, changed)).toMatchObject({ updated: ['report'], removed: ['heartbeat'] });
    const after = (await service.get(report.id))!;
    expect(after).toMatchObject({ cron: '0 7 * * 1', isActive: false }); // the operator's pause survives
    // A declaration that fails validation writes nothing.
    await expect(
      syncSchedules(fleet, [...changed, defineSchedule({ name: 'x', cron: '@daily', jobType: 'nope' })]),
    ).rejects.toThrow(UnknownJobTypeError);
    expect((await service.list()).schedules.map((s) => s.name)).toEqual(['report']);
  });
});

describe('schedules on PGlite (smoke)', () => {
  let fleet: Jobfleet;
  beforeAll(async () => {
    fleet = await Jobfleet.open({ memory: true, jobTypes });
  });
  afterAll(async () => fleet?.close({ graceMs: 0 }));

  it('creates, fires after downtime, triggers and lists runs', async () => {
    const service = new ScheduleService(fleet);
    const s = await service.create({ name: 'p', cron: farHourly(), jobType: 'greet', payload: { name: 'A' }, missedRuns: 'all' });
    await expectTyped(service.create({ name: 'q', cron: '61 * * * *' }), InvalidCronError, 'INVALID_CRON', /minute/);
    await simulateDowntime(fleet, s, 2);
    // PGlite has one connection: nothing may query outside the tick's transaction while it is open,
    // not even a stale job type catalog or an unknown job type.
    const broken = await service.create({ name: 'broken', cron: farHourly(), jobType: 'greet', payload: { name: 'A' } });
    await fleet.db.query(`UPDATE jobfleet.schedules SET job_type = 'vanished' WHERE id = $1`, [broken.id]);
    await simulateDowntime(fleet, broken, 1);
    fleet.client.catalog.invalidate();
    const scheduler = new Scheduler(fleet);
    expect(await scheduler.tick()).toMatchObject({ enqueued: 2, failed: 1 });
    expect((await scheduler.tick()).enqueued).toBe(0);
    fleet.client.catalog.invalidate();
    await service.trigger(s.id);
    fleet.client.catalog.invalidate();
    expect((await service.update(s.id, { payload: { name: 'B' } })).payload).toEqual({ name: 'B' });
    expect((await service.runs(s.id)).jobs).toHaveLength(3);
    scheduler.start();
    await scheduler.stop();
  });
});
