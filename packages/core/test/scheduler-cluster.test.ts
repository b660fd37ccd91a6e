import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { ChildProcess } from 'node:child_process';
import { Jobfleet, migrate, coreMigrations, PgDatabase } from '../src/index.ts';
import { Scheduler, ScheduleService, scheduleTickJob } from '../src/scheduler/index.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../testing/index.ts';
import { startScript, waitExit } from './helpers/processes.ts';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Fire times of a schedule's jobs with how many jobs each has, oldest first. */
async function fireTimes(fleet: Jobfleet, scheduleId: string): Promise<{ at: number; n: number }[]> {
  const { rows } = await fleet.db.query<{ at: string; n: number }>(
    `SELECT metadata->'schedule'->>'fireAt' AS at, count(*)::int AS n FROM jobfleet.jobs
     WHERE schedule_id = $1 AND metadata->'schedule'->>'trigger' = 'cron' GROUP BY 1 ORDER BY 1`,
    [scheduleId],
  );
  return rows.map((r) => ({ at: Date.parse(r.at), n: r.n }));
}

/** Exactly one job per fire time, one fire time per second with no gap, covering the window. */
function expectEverySecondOnce(fires: { at: number; n: number }[], from: number, to: number): void {
  expect(fires.filter((f) => f.n !== 1)).toEqual([]);
  const gaps = fires.slice(1).filter((f, i) => f.at - fires[i]!.at !== 1000);
  expect(gaps).toEqual([]);
  // The first fire time is the first whole second after creation; the last one is within a second of the end.
  expect(fires[0]!.at).toBeLessThanOrEqual(from + 1000);
  expect(fires[fires.length - 1]!.at).toBeGreaterThanOrEqual(to - 1500);
}

describe.runIf(pgAvailable)('several schedulers on one real PostgreSQL', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const children: ChildProcess[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    const pgdb = new PgDatabase({ connectionString: db.url, max: 1 });
    await migrate(pgdb, { schema: 'jobfleet', migrations: coreMigrations() });
    await pgdb.close();
    fleet = await Jobfleet.open({ databaseUrl: db.url, poolSize: 3, jobTypes: [scheduleTickJob] });
  });
  afterAll(async () => {
    for (const c of children) c.kill('SIGKILL');
    await fleet?.close({ graceMs: 0 });
    await db?.drop();
  });

  it('three Jobfleet handles, a per-second schedule for 30 s: exactly one job per fire time, no gap', async () => {
    const handles = await Promise.all(
      [0, 1, 2].map(() => Jobfleet.open({ databaseUrl: db.url, poolSize: 2, jobTypes: [scheduleTickJob], migrate: false })),
    );
    const errors: string[] = [];
    const enqueued = [0, 0, 0];
    const schedulers = handles.map((h, i) => {
      const s = new Scheduler(h, { intervalMs: 250, onError: (e, c) => errors.push(`${c}: ${e.message}`) });
      const tick = s.tick.bind(s);
      s.tick = async () => {
        const r = await tick();
        enqueued[i]! += r.enqueued;
        return r;
      };
      return s;
    });
    const schedule = await new ScheduleService(fleet).create({ name: 'every second', cron: '* * * * * *' });
    const from = Date.now();
    for (const s of schedulers) s.start();
    await sleep(30_000);
    await Promise.all(schedulers.map((s) => s.stop()));
    const to = Date.now();
    await Promise.all(handles.map((h) => h.close()));

    const fires = await fireTimes(fleet, schedule.id);
    expectEverySecondOnce(fires, from, to);
    expect(fires.length).toBeGreaterThanOrEqual(29);
    expect(enqueued.reduce((a, b) => a + b, 0)).toBe(fires.length);
    expect(enqueued.filter((n) => n > 0).length).toBeGreaterThanOrEqual(2); // the work really was shared
    expect(errors).toEqual([]);
    const { rows } = await fleet.db.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobfleet.schedule_fires WHERE schedule_id = $1`,
      [schedule.id],
    );
    expect(rows[0]!.n).toBe(fires.length);
    await new ScheduleService(fleet).pause(schedule.id); // leave nothing for the next test's schedulers
  }, 60_000);

  it('three scheduler processes, one killed mid-way: still one job per second, no gap', async () => {
    children.push(...(await Promise.all([0, 1, 2].map(() => startScript('../scheduler-child.ts', { DATABASE_URL: db.url })))));
    const schedule = await new ScheduleService(fleet).create({ name: 'every second, processes', cron: '* * * * * *' });
    const from = Date.now();
    await sleep(3000);
    children[0]!.kill('SIGKILL');
    await sleep(3500);
    const outputs = children.slice(1).map((c) => {
      let out = '';
      c.stdout!.on('data', (d) => (out += d));
      return () => out;
    });
    const to = Date.now();
    for (const c of children.slice(1)) c.kill('SIGTERM');
    for (const c of children.slice(1)) expect(await waitExit(c)).toBe(0);
    children.splice(0);

    const fires = await fireTimes(fleet, schedule.id);
    expectEverySecondOnce(fires, from, to - 1000); // a loaded machine may lag a little behind
    expect(fires.length).toBeGreaterThanOrEqual(5);
    // The survivors report what they enqueued; the killed one enqueued the rest.
    const survivors = outputs.map((o) => Number(/enqueued=(\d+)/.exec(o())?.[1] ?? -1));
    expect(survivors.every((n) => n >= 0)).toBe(true);
    expect(survivors.reduce((a, b) => a + b, 0)).toBeLessThanOrEqual(fires.length);
    // Fire times after the kill kept coming, one per second.
    expect(fires.filter((f) => f.at > from + 4000).length).toBeGreaterThanOrEqual(2);
  }, 60_000);
});
