/**
 * Chaos 5: a `jobfleet scheduler` process SIGKILLed and restarted around fire times of per-second
 * schedules. No fire time fires twice; none is lost beyond the missed-run policy (fire times younger
 * than the scheduler's 10 s on-time window always fire; older ones follow `missedRuns`).
 * Gated: runs with `npm run test:chaos` (JOBFLEET_CHAOS_FULL=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobfleet, ScheduleService, scheduleTickJob } from '../../src/index.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../../testing/index.ts';
import { figure, FULL, sleep, startCli, type Proc } from './helpers.ts';

const MISSED_AFTER_MS = 10_000; // the scheduler's default on-time window
const SHORT_KILLS = 5;
const LONG_OUTAGE_MS = 16_000;

describe.runIf(pgAvailable && FULL)('chaos: the scheduler process killed around fire times', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let proc: Proc | null = null;

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_chaos');
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [scheduleTickJob] });
  });
  afterAll(async () => {
    await proc?.stop('SIGKILL', 5000);
    await fleet?.close();
    await db?.drop();
  });

  const start = async () => {
    const p = startCli(['scheduler'], { DATABASE_URL: db.url });
    await p.waitForOutput(/scheduler running/);
    return p;
  };
  /** Sleeps until `offsetMs` after the next whole second: just when a fire time is being fired. */
  const atNextSecond = (offsetMs: number) => sleep(1000 - (Date.now() % 1000) + offsetMs);

  it('no fire time twice; none lost except as the missed-run policy says', async () => {
    const service = new ScheduleService(fleet);
    const all = await service.create({ name: 'every-second-all', cron: '* * * * * *', missedRuns: 'all' });
    const skip = await service.create({ name: 'every-second-skip', cron: '* * * * * *', missedRuns: 'skip' });
    const once = await service.create({ name: 'every-second-once', cron: '* * * * * *', missedRuns: 'once' });

    proc = await start();
    const began = Date.now();
    const outages: { from: number; to: number }[] = [];
    for (let k = 0; k < SHORT_KILLS + 1; k++) {
      await sleep(2500);
      await atNextSecond(k * 20);
      proc.child.kill('SIGKILL');
      await proc.exited;
      const from = Date.now();
      // The last kill is a long outage: its oldest fire times fall out of the on-time window.
      if (k === SHORT_KILLS) await sleep(LONG_OUTAGE_MS);
      proc = await start();
      outages.push({ from, to: Date.now() });
    }
    await sleep(4000);
    expect((await proc.stop('SIGTERM')).code).toBe(0);
    proc = null;
    const ended = Date.now();

    const fired = async (id: string) =>
      (
        await fleet.db.query<{ at: string; n: number }>(
          `SELECT metadata->'schedule'->>'fireAt' AS at, count(*)::int AS n FROM jobfleet.jobs
           WHERE schedule_id = $1 GROUP BY 1 ORDER BY 1`,
          [id],
        )
      ).rows;
    const report: Record<string, unknown> = { outagesMs: outages.map((o) => o.to - o.from) };
    for (const s of [all, skip, once]) {
      const rows = await fired(s.id);
      // No fire time twice.
      expect(rows.filter((r) => r.n > 1)).toEqual([]);
      const times = rows.map((r) => Date.parse(r.at));
      const first = times[0]!;
      const last = times.at(-1)!;
      expect(first).toBeLessThan(began + 5000);
      expect(last).toBeGreaterThan(ended - 5000);
      const have = new Set(times);
      const missing: number[] = [];
      for (let t = first; t <= last; t += 1000) if (!have.has(t)) missing.push(t);
      // What the policy allows to be missing: fire times older than the on-time window when a
      // scheduler came back, i.e. within an outage and more than MISSED_AFTER_MS before its end.
      const droppable = (t: number) => outages.some((o) => t >= o.from - 1000 && t < o.to - MISSED_AFTER_MS + 1000);
      const beyondPolicy = missing.filter((t) => s.missedRuns === 'all' || !droppable(t));
      if (s.missedRuns === 'once') {
        // At most one missed fire time was fired late per outage; all others may be dropped.
        expect(missing.filter((t) => !droppable(t))).toEqual([]);
      } else {
        expect(beyondPolicy.map((t) => new Date(t).toISOString())).toEqual([]);
      }
      report[s.name] = { fired: rows.length, span: (last - first) / 1000 + 1, missing: missing.length };
    }
    // 'skip' and 'once' did drop fire times during the long outage (the policy was exercised)…
    const longest = Math.max(...outages.map((o) => o.to - o.from));
    if (longest > MISSED_AFTER_MS + 2000) expect((report['every-second-skip'] as { missing: number }).missing).toBeGreaterThan(0);
    figure('scheduler-kill', report);
  }, 300_000);
});
