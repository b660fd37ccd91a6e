/**
 * Load (issue 6): mixed API traffic against a real `jobfleet start` process on real PostgreSQL, at half
 * the highest rate of the same mix the same process sustained a moment earlier (closed loop). No request
 * may fail, every submitted job must complete, p99 latency must not drift upwards, and memory must stay flat.
 *
 * Half of the maximum of *this mix*, not of bare submissions: the bench's HTTP figure (POST only, the jobs
 * left to run later) overstates what the service sustains while it also runs every job it accepts,
 * streams events and answers listings — at half the bare-POST maximum the first runs queued up without end.
 *
 * Short form (≈ 36 s of traffic) in `npm test`, run on its own after the rest of the suite
 * (vitest.load.config.ts); the ten-minute form with `npm run test:load:full`.
 * Figures are printed as `[load] <name>: …` and the per-interval table as Markdown (docs/reliability.md).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable } from '@jobfleet/core/testing';
import { closeAgents } from './client.ts';
import { completedAmong, waitDrained } from './job-store.ts';
import { loadAverage, rssMiB, startService, type Service } from './service.ts';
import { formatKindTable, formatTable, p99Stable, percentile, Recorder, rssFlat, summarize, type Interval } from './stats.ts';
import { MIX, STREAMS_PER_FOLLOW, Traffic } from './traffic.ts';

const FULL = !!process.env.JOBFLEET_LOAD_FULL;
const PLAN = FULL
  ? { calibrateS: 10, warmupS: 30, intervals: 10, intervalS: 60 }
  : // Three intervals of 10 s rather than more, shorter ones: a p99 over ~1,000 samples is less at the mercy of one stall.
    { calibrateS: 5, warmupS: 6, intervals: 3, intervalS: 10 };
/** Closed-loop connections for the calibration: enough to keep two cores busy without queueing for its own sake. */
const CALIBRATION_CONNECTIONS = 32;
/** Unmeasured closed-loop seconds first, so JIT and connection pools are warm when the maximum is taken. */
const CALIBRATION_WARMUP_S = 2;

/**
 * p99 of the last interval ≤ 2 × the first one's + 20 ms. At half load p99 sits at a few to a few tens of
 * milliseconds here, and on a shared 2-core machine one interval's p99 moves by 10–20 ms with nothing
 * changed (a GC pause, a PostgreSQL checkpoint, the other engineers' tests taking a core): the floor
 * absorbs that, while real degradation (listings slowing as the table grows, a leak making GC work
 * harder, a queue building up) grows p99 by hundreds of milliseconds or by multiples.
 */
const P99_FACTOR = 2;
const P99_FLOOR_MS = 20;
/**
 * RSS at the end ≤ 1.5 × RSS after warm-up + 50 MiB. V8 grows its old generation lazily towards the
 * working set for minutes after start, and malloc arenas (socket and pg buffers) fragment a little,
 * so some growth is not a leak. A leak of 1 KiB per request over ten minutes at these rates (≈ 250k
 * requests) is ≈ 250 MiB: far beyond the allowance on a ≈ 200 MiB process. The short form is too short
 * to catch slow leaks; it checks the same bound for gross ones.
 */
const RSS_FACTOR = 1.5;
const RSS_SLACK_MIB = 50;

/** How long the answers to the last planned interval's requests get to land before its p99 is judged. */
const SETTLE_MS = 1000;

const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));
const figure = (name: string, value: unknown) =>
  process.stdout.write(`[load] ${name}: ${typeof value === 'string' ? value : JSON.stringify(value)}\n`);

describe.runIf(pgAvailable)(`load: mixed API traffic at half the measured maximum (${FULL ? 'full, 10 min' : 'short'})`, () => {
  let svc: Service;

  beforeAll(async () => {
    svc = await startService();
  }, 120_000);
  afterAll(async () => {
    closeAgents();
    await svc?.stop();
  });

  it(
    'no errors, every job completes, p99 stable, memory flat',
    async () => {
      const tagInterval = (interval: Interval) => {
        interval.rssMiB = rssMiB(svc.proc.pid);
        interval.load = loadAverage();
      };
      figure('plan', { ...PLAN, mix: MIX, streamsPerFollow: STREAMS_PER_FOLLOW, load: loadAverage() });

      const calRecorder = new Recorder();
      const cal = new Traffic(svc, calRecorder, 0);
      await cal.saturate(CALIBRATION_CONNECTIONS, CALIBRATION_WARMUP_S, 'calibration warm-up');
      const maxPerSec = await cal.saturate(CALIBRATION_CONNECTIONS, PLAN.calibrateS);
      await cal.stop();
      const calRow = summarize(calRecorder.intervals[1]!);
      figure('calibration', {
        maxRequestsPerSec: Math.round(maxPerSec),
        connections: CALIBRATION_CONNECTIONS,
        seconds: PLAN.calibrateS,
        p50Ms: Number(calRow.p50.toFixed(1)),
        p99Ms: Number(calRow.p99.toFixed(1)),
        load: loadAverage(),
      });
      expect(
        calRecorder.intervals.reduce((n, i) => n + i.errors, 0),
        `calibration errors:\n${calRecorder.errorSamples.join('\n')}`,
      ).toBe(0);
      // The calibration's backlog runs off first, so the first interval is not measured against it.
      await waitDrained(svc.db.url, 180_000);
      expect(await completedAmong(svc.db.url, cal.submitted), 'calibration jobs that reached COMPLETED').toBe(
        cal.submitted.length,
      );

      const rate = Math.max(20, Math.round(maxPerSec / 2));
      const recorder = new Recorder();
      const traffic = new Traffic(svc, recorder, rate);
      figure('rate', {
        requestsPerSec: rate,
        operationsPerSec: Number(traffic.opsPerSec.toFixed(1)),
        note: `half of ${Math.round(maxPerSec)} requests/s of the same mix; a follow is 1 submission + ${STREAMS_PER_FOLLOW} streams`,
      });
      const warmup = recorder.begin('warm-up');
      traffic.start();
      await sleep(PLAN.warmupS * 1000);
      tagInterval(warmup);
      const rssStart = warmup.rssMiB!;

      for (let i = 1; i <= PLAN.intervals; i++) {
        const interval = recorder.begin(`${i}/${PLAN.intervals}`);
        await sleep(PLAN.intervalS * 1000);
        tagInterval(interval);
      }
      // One stall (a checkpoint's fsyncs, a neighbour taking a core) can lift a single interval's p99 past
      // the limit; drift does not go away an interval later. So the traffic runs on into a recheck interval,
      // and if the last planned one is over the limit once its late answers are in, the recheck decides.
      // (CI once saw 38.8 → 132.8 ms in the last of three, every kind of request alike, reads included.)
      const lastPlanned = recorder.current()!;
      const recheck = recorder.begin('recheck');
      await sleep(SETTLE_MS);
      if (p99Stable(summarize(recorder.intervals[1]!), summarize(lastPlanned), P99_FACTOR, P99_FLOOR_MS)) {
        recorder.dropCurrent();
      } else {
        figure(
          'p99 recheck',
          `${summarize(lastPlanned).p99.toFixed(1)} ms in the last interval is over the limit: one more decides`,
        );
        await sleep(PLAN.intervalS * 1000 - SETTLE_MS);
        tagInterval(recheck);
        recorder.end();
      }
      const rssEnd = recorder.current()!.rssMiB!;
      await traffic.stop();

      const t0 = performance.now();
      const counts = await waitDrained(svc.db.url, 300_000);
      const drainS = (performance.now() - t0) / 1000;
      const completed = await completedAmong(svc.db.url, traffic.submitted);
      const rssDrained = rssMiB(svc.proc.pid);

      const rows = recorder.intervals.map(summarize);
      const measured = rows.slice(1);
      const all = recorder.intervals.slice(1).flatMap((i) => i.latencies);
      const errors = rows.reduce((n, r) => n + r.errors, 0);
      process.stdout.write(`\n${formatTable(rows)}\n\n${formatKindTable(rows)}\n\n`);
      figure('totals', {
        requests: rows.reduce((n, r) => n + r.requests, 0),
        errors,
        jobsSubmitted: traffic.submitted.length,
        jobsCompleted: completed,
        statusCounts: counts,
        streams: traffic.streams,
        drainAfterTrafficS: Number(drainS.toFixed(1)),
        measuredMs: { p50: Number(percentile(all, 50).toFixed(1)), p99: Number(percentile(all, 99).toFixed(1)) },
      });
      figure('rss MiB', {
        afterWarmup: Math.round(rssStart),
        end: Math.round(rssEnd),
        afterDrain: Math.round(rssDrained),
        limit: Math.round(rssStart * RSS_FACTOR + RSS_SLACK_MIB),
      });
      const first = measured[0]!;
      const last = measured[measured.length - 1]!;
      figure('p99 ms', {
        first: Number(first.p99.toFixed(1)),
        last: Number(last.p99.toFixed(1)),
        limit: Number((first.p99 * P99_FACTOR + P99_FLOOR_MS).toFixed(1)),
      });

      expect(errors, `errors:\n${recorder.errorSamples.join('\n')}`).toBe(0);
      expect(traffic.submitted.length).toBeGreaterThan(0);
      expect(completed, 'submitted jobs that reached COMPLETED').toBe(traffic.submitted.length);
      expect(
        Object.keys(counts).filter((s) => s !== 'COMPLETED' && counts[s]! > 0),
        'jobs not COMPLETED',
      ).toEqual([]);
      expect(traffic.streams.sawCompleted, 'event streams that saw COMPLETED').toBe(traffic.streams.opened);
      expect(
        p99Stable(first, last, P99_FACTOR, P99_FLOOR_MS),
        `p99 ${first.p99.toFixed(1)} ms in the first interval, ${last.p99.toFixed(1)} ms in the last (${last.label})`,
      ).toBe(true);
      expect(
        rssFlat(rssStart, rssEnd, RSS_FACTOR, RSS_SLACK_MIB),
        `RSS ${rssStart.toFixed(0)} MiB after warm-up, ${rssEnd.toFixed(0)} MiB at the end`,
      ).toBe(true);
    },
    FULL ? 30 * 60_000 : 5 * 60_000,
  );
});
