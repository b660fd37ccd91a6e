/**
 * `jobfleet schedules …` and `jobfleet scheduler` on a real PostgreSQL through DATABASE_URL: each command
 * is the real CLI in a child process; an engine handle in the test reads what they did.
 */
import { Jobfleet, SCHEDULE_TICK } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '@jobfleet/core/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { freePort, isOneLineError, runCli, startCli } from './helpers.ts';

interface ScheduleJson {
  id: string;
  name: string;
  schedule: string;
  cron: string;
  timezone: string;
  jobType: string;
  payload: unknown;
  isActive: boolean;
  lastRun: string | null;
  nextRun: string | null;
}

describe.runIf(pgAvailable)('jobfleet schedules on PostgreSQL', () => {
  let db: TestDatabase;
  let env: Record<string, string>;
  let fleet: Jobfleet;

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_cli_sched');
    env = { DATABASE_URL: db.url, LOG_LEVEL: 'warn' };
    // Creates the tables; the CLI processes share them.
    fleet = await Jobfleet.open({ databaseUrl: db.url });
  });
  afterAll(async () => {
    await fleet?.close().catch(() => {});
    await db?.drop();
  });

  const ok = async (args: string[]) => {
    const r = await runCli(args, env);
    if (r.code !== 0) throw new Error(`jobfleet ${args.join(' ')} exited ${r.code}: ${r.stderr}`);
    return r.stdout;
  };
  const okJson = async <T>(args: string[]): Promise<T> => JSON.parse(await ok([...args, '--json'])) as T;
  const count = async (): Promise<number> => {
    const { rows } = await fleet.db.query<{ n: string }>(`SELECT count(*)::text AS n FROM ${fleet.schema}.schedules`);
    return Number(rows[0]!.n);
  };

  it('creates, lists, pauses, resumes, triggers and deletes schedules', async () => {
    const nightly = await okJson<ScheduleJson>(['schedules', 'create', '--name', 'nightly', '--cron', '0 3 * * *']);
    expect(nightly).toMatchObject({
      name: 'nightly',
      schedule: '0 3 * * *',
      cron: '0 3 * * *',
      timezone: 'UTC',
      jobType: SCHEDULE_TICK,
      isActive: true,
      lastRun: null,
    });
    expect(new Date(nightly.nextRun!).getUTCHours()).toBe(3);

    const text = await ok([
      'schedules',
      'create',
      '--name',
      'reverse often',
      '--cron',
      '*/10 * * * *',
      '--timezone',
      'Europe/Berlin',
      '--job-type',
      'reverse_string',
      '--payload',
      '"abc"',
      '--overlap',
      'skip',
    ]);
    expect(text).toMatch(
      /^Created schedule reverse often \(id [0-9a-f-]{36}\): \*\/10 \* \* \* \* Europe\/Berlin → reverse_string; next run \S+Z\.$/m,
    );

    const table = await ok(['schedules', 'list']);
    expect(table).toMatch(/^ID\s+NAME\s+CRON\s+TZ\s+JOB TYPE\s+STATUS\s+LAST RUN\s+NEXT RUN/);
    expect(table).toMatch(/nightly\s+0 3 \* \* \*\s+UTC\s+jobfleet\.schedule-tick\s+active\s+-\s+\S+Z/);
    expect(table).toMatch(/reverse often\s+\*\/10 \* \* \* \*\s+Europe\/Berlin\s+reverse_string\s+active/);

    // By name or by id.
    expect(await ok(['schedules', 'pause', 'nightly'])).toMatch(/^Paused schedule nightly/);
    const paused = await okJson<{ schedules: ScheduleJson[] }>(['schedules', 'list', '--paused']);
    expect(paused.schedules.map((s) => s.name)).toEqual(['nightly']);
    expect(paused.schedules[0]).toMatchObject({ isActive: false, nextRun: null });
    expect(await ok(['schedules', 'resume', nightly.id])).toMatch(/^Resumed schedule nightly .*next run \S+Z\./);
    expect((await okJson<{ schedules: ScheduleJson[] }>(['schedules', 'list', '--active'])).schedules).toHaveLength(2);

    const job = await okJson<{ id: string; type: string; scheduleId: string; payload: unknown }>([
      'schedules',
      'trigger',
      'reverse often',
    ]);
    expect(job).toMatchObject({ type: 'reverse_string', payload: 'abc' });
    const stored = await fleet.client.get(job.id);
    expect(stored?.scheduleId).toBe(job.scheduleId);
    const runs = await okJson<{ jobs: { id: string }[] }>(['schedules', 'runs', 'reverse often']);
    expect(runs.jobs.map((j) => j.id)).toEqual([job.id]);
    expect(await ok(['schedules', 'get', 'reverse often'])).toMatch(/last run:\s+\S+Z/);

    expect(await ok(['schedules', 'delete', nightly.id])).toMatch(/^Deleted schedule nightly/);
    const gone = await runCli(['schedules', 'get', nightly.id], env);
    expect(gone.code).toBe(1);
    expect(isOneLineError(gone.stderr)).toBe(true);
    expect(gone.stderr).toMatch(/No schedule with id or name/);
    expect(await count()).toBe(1);
  }, 180_000);

  it('refuses bad input with one clear line on stderr, storing nothing', async () => {
    const before = await count();
    const create = (...extra: string[]) => ['schedules', 'create', '--name', 'bad', ...extra];
    const cases: [string[], number, RegExp][] = [
      [create('--cron', '61 * * * *'), 1, /Invalid cron expression "61 \* \* \* \*": the minute field "61" has 61, out of range/],
      [create('--cron', '* * *'), 1, /it has 3 fields; use 5/],
      [create('--cron', `0 9 * * *'; DROP TABLE jobfleet.schedules; --`), 1, /Invalid cron expression/],
      [create('--cron', '0 9 * * *', '--timezone', 'Mars/Olympus'), 1, /"Mars\/Olympus" is not a known IANA time zone/],
      [create('--cron', '0 9 * * *', '--job-type', 'no_such_type'), 1, /No job type named "no_such_type"/],
      [create('--cron', '0 9 * * *', '--job-type', 'Fibonacci', '--payload', '{"iterations":"many"}'), 1, /iterations/],
      [create('--cron', '0 9 * * *', '--payload', '{not json'), 2, /the payload is not valid JSON/],
      [create('--cron', '0 9 * * *', '--overlap', 'sometimes'), 2, /--overlap must be "allow" or "skip"/],
      [create('--cron', '0 9 * * *', '--missed-runs', 'never'), 2, /--missed-runs must be/],
      [['schedules', 'create', '--name', 'bad'], 2, /required option '--cron <expr>' not specified/],
      [['schedules', 'create', '--name', 'n'.repeat(201), '--cron', '@daily'], 1, /name: Too big|200/],
      [['schedules', 'pause', 'no such schedule'], 1, /No schedule with id or name "no such schedule"/],
      [['schedules', 'trigger', '01a20c50-39c0-775b-92f1-58e6dcdf629e'], 1, /No schedule with id or name/],
      [['schedules', 'list', '--limit', 'lots'], 2, /--limit must be a whole number/],
      [['scheduler', '--interval-ms', '0'], 2, /--interval-ms must be between 10 and 60000/],
    ];
    for (const [args, code, message] of cases) {
      const r = await runCli(args, env);
      expect(r.code, `jobfleet ${args.join(' ')}: ${r.stderr}`).toBe(code);
      expect(isOneLineError(r.stderr), `one line for ${args.join(' ')}: ${r.stderr}`).toBe(true);
      expect(r.stderr).toMatch(message);
    }
    // The scheduler role needs a shared database.
    const embedded = await runCli(['scheduler'], { LOG_LEVEL: 'warn' });
    expect(embedded.code).toBe(1);
    expect(embedded.stderr).toMatch(/needs a shared PostgreSQL: set DATABASE_URL/);
    expect(await count()).toBe(before);
  }, 240_000);

  it('`jobfleet scheduler` fires a per-second schedule, and stops on SIGTERM', async () => {
    const s = await okJson<ScheduleJson>(['schedules', 'create', '--name', 'every second', '--cron', '* * * * * *']);
    const scheduler = startCli(['scheduler', '--interval-ms', '100'], env);
    try {
      await scheduler.waitForOutput(/Jobfleet scheduler running/);
      const jobs = await waitFor(
        async () => {
          const page = await fleet.client.list({ scheduleId: s.id });
          return page.jobs.length >= 2 ? page.jobs : null;
        },
        { timeoutMs: 10_000, intervalMs: 100, what: 'two jobs of the per-second schedule' },
      );
      expect(jobs.every((j) => j.type === SCHEDULE_TICK)).toBe(true);
    } finally {
      const stopped = await scheduler.stop('SIGTERM');
      expect(stopped.code).toBe(0);
    }
    await ok(['schedules', 'delete', s.id]);
  }, 120_000);

  it('`jobfleet start` runs a scheduler and a worker that knows the built-in tick job', async () => {
    const s = await okJson<ScheduleJson>(['schedules', 'create', '--name', 'ticking', '--cron', '* * * * * *']);
    const port = await freePort();
    const start = startCli(['start', '--port', String(port)], env);
    try {
      await start.waitForOutput(/listening on http/, 120_000);
      const done = await waitFor(
        async () => {
          const page = await fleet.client.list({ scheduleId: s.id, status: ['COMPLETED'] });
          return page.jobs.length >= 1 ? page.jobs : null;
        },
        { timeoutMs: 20_000, intervalMs: 200, what: 'a completed tick of the schedule' },
      );
      expect(done[0]!.result).toMatchObject({ schedule: 'ticking', scheduleId: s.id, trigger: 'cron' });
    } finally {
      expect((await start.stop('SIGTERM')).code).toBe(0);
    }
    const after = await okJson<ScheduleJson>(['schedules', 'get', s.id]);
    expect(after.lastRun).not.toBeNull();
    await ok(['schedules', 'pause', s.id]);
  }, 180_000);
});
