/**
 * Chaos 2: the database goes away for ~10 s under a stream of jobs. On a private PostgreSQL cluster
 * (the machine's own is never stopped): a `jobfleet api` and a `jobfleet worker` process, a client
 * submitting keyed jobs over HTTP, `pg_ctl stop -m fast` mid-run, then start again.
 * Gated: runs with `npm run test:chaos` (JOBFLEET_CHAOS_FULL=1).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import { defineJob, Jobfleet } from '../../src/index.ts';
import { pgAvailable, waitFor } from '../../testing/index.ts';
import {
  createLedger,
  figure,
  freePort,
  FULL,
  http,
  LEDGER_JOBS_DIR,
  ledgerCounts,
  PrivateCluster,
  signIn,
  sleep,
  startCli,
  type Proc,
} from './helpers.ts';

const ledger = defineJob({ name: 'ledger', schema: z.object({ n: z.number(), ms: z.number().optional() }), handler: () => null });

const OUTAGE_MS = 10_000;

describe.runIf(pgAvailable && FULL && PrivateCluster.available())('chaos: the database stops for 10 s mid-run', () => {
  let cluster: PrivateCluster;
  let fleet: Jobfleet | null = null;
  const procs: Proc[] = [];
  const errors: string[] = [];

  beforeAll(async () => {
    cluster = await PrivateCluster.create();
    await cluster.start();
  }, 180_000);
  afterAll(async () => {
    await Promise.all(procs.map((p) => p.stop('SIGKILL', 5000)));
    await fleet?.close().catch(() => {});
    await cluster?.destroy();
  }, 120_000);

  it('API answers 503 DATABASE_UNAVAILABLE and never crashes; workers and LISTEN reconnect; nothing lost or stuck', async () => {
    fleet = await Jobfleet.open({
      databaseUrl: cluster.url,
      jobTypes: [ledger],
      onError: (e, ctx) => errors.push(`${ctx}: ${e.message}`),
    });
    await createLedger(fleet.db);
    const port = await freePort();
    const base = `http://127.0.0.1:${port}`;
    const api = startCli(['api', '--jobs', LEDGER_JOBS_DIR], {
      DATABASE_URL: cluster.url,
      PORT: String(port),
      JOBFLEET_RATE_LIMIT: '10000000',
    });
    const worker = startCli(['worker', '--jobs', LEDGER_JOBS_DIR, '--concurrency', '10'], { DATABASE_URL: cluster.url });
    procs.push(api, worker);
    await Promise.all([api.waitForOutput(/listening on http/), worker.waitForOutput(/worker running/)]);
    const token = await signIn(base, 'outage@example.com');

    // This process's own LISTEN connection: it must hear notifications again after the restart.
    let wakes = 0;
    await fleet.db.listen(fleet.channels.wake, () => wakes++);

    // The stream: keyed submissions, each retried with its key until answered.
    let stop = false;
    let n = 0;
    const failures: { status: number; body: unknown; phase: string }[] = [];
    let phase = 'before';
    const submit = async () => {
      while (!stop) {
        const key = `outage-${n}`;
        const i = n++;
        for (;;) {
          const r = await http(base, 'POST', '/api/v1/jobs', {
            token,
            headers: { 'idempotency-key': key },
            body: { type: 'ledger', payload: { n: i, ms: 20 } },
          });
          if (r.status === 201 || r.status === 200) break;
          failures.push({ status: r.status, body: r.body, phase });
          await sleep(200);
        }
        await sleep(20);
      }
    };
    // Readiness, sampled every 250 ms.
    const ready: { phase: string; status: number; code?: string }[] = [];
    const probe = async () => {
      while (!stop) {
        const r = await http(base, 'GET', '/readyz', { timeoutMs: 5000 });
        ready.push({ phase, status: r.status, ...(r.body?.error?.code ? { code: r.body.error.code as string } : {}) });
        await sleep(250);
      }
    };
    const running = [submit(), submit(), probe()];

    await sleep(5000);
    phase = 'down';
    const t0 = Date.now();
    await cluster.stop();
    await sleep(OUTAGE_MS);
    await cluster.start();
    const downMs = Date.now() - t0;
    phase = 'after';
    await sleep(8000);
    stop = true;
    await Promise.all(running);

    // Neither process crashed.
    expect(api.alive()).toBe(true);
    expect(worker.alive()).toBe(true);
    // While the database was away, the API answered 503 with the documented error shape, nothing else.
    const down = failures.filter((f) => f.phase === 'down');
    expect(down.length).toBeGreaterThan(0);
    for (const f of failures) {
      expect(f.status).toBe(503);
      expect(f.body).toEqual({ error: { code: 'DATABASE_UNAVAILABLE', message: expect.any(String), details: null } });
    }
    // /readyz: 200, then 503 DATABASE_UNAVAILABLE while away, then 200 again.
    expect(ready.filter((r) => r.phase === 'before').every((r) => r.status === 200)).toBe(true);
    expect(ready.some((r) => r.phase === 'down' && r.status === 503 && r.code === 'DATABASE_UNAVAILABLE')).toBe(true);
    expect(ready.every((r) => r.status === 200 || (r.status === 503 && r.code === 'DATABASE_UNAVAILABLE'))).toBe(true);
    expect(ready.at(-1)!.status).toBe(200);

    // Every submitted job completes (the worker reconnected); nothing stays RUNNING once the rescuer ran.
    await waitFor(async () => (await ledgerCounts(fleet!.db)).completed === n, {
      timeoutMs: 180_000,
      intervalMs: 500,
      what: `all ${n} jobs to complete`,
    });
    const counts = await ledgerCounts(fleet.db);
    expect(counts.jobs).toBe(n);
    expect(counts.running).toBe(0);
    expect(counts.distinctExecuted).toBe(n);

    // LISTEN reconnected: in the worker and API processes (their LISTEN backends are back) and here.
    const { rows: listeners } = await fleet.db.query<{ n: number }>(
      `SELECT count(DISTINCT pid)::int AS n FROM pg_stat_activity WHERE query ILIKE 'LISTEN%' AND pid <> pg_backend_pid()`,
    );
    expect(listeners[0]!.n).toBeGreaterThanOrEqual(3);
    const before = wakes;
    await fleet.client.enqueue('ledger', { n: -1 });
    await waitFor(() => wakes > before, { timeoutMs: 30_000, what: 'a wake-up notification after the restart' });
    await waitFor(async () => (await ledgerCounts(fleet!.db)).completed === n + 1, { timeoutMs: 60_000 });

    figure('db-outage', {
      downMs,
      submitted: n,
      failuresDuringOutage: down.length,
      failureStatuses: [...new Set(failures.map((f) => f.status))],
      readyz: {
        before: ready.filter((r) => r.phase === 'before').length,
        down503: ready.filter((r) => r.phase === 'down' && r.status === 503).length,
        after200: ready.filter((r) => r.phase === 'after' && r.status === 200).length,
      },
      ...counts,
      listenBackends: listeners[0]!.n,
    });

    const [ea, ew] = await Promise.all([api.stop('SIGTERM'), worker.stop('SIGTERM')]);
    expect(ea.code).toBe(0);
    expect(ew.code).toBe(0);
  }, 600_000);
});
