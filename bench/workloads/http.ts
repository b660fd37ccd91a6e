import autocannon from 'autocannon';
import { JobfleetHttpClient } from '@jobfleet/client';
import { DEFAULT_SCHEMA, PgDatabase } from '@jobfleet/core';
import { processTree, rssMiB, treeCpuMs } from '../proc.ts';
import { prepare, sleep } from '../resources.ts';
import { startService } from '../service.ts';

export interface HttpOptions {
  connections: number;
  durationS: number;
  /** Copies of the service under one supervisor (`jobfleet api --processes N`). */
  processes: number;
  /** Unrecorded run first (JIT, pools, caches), seconds. */
  warmupS: number;
}

export interface HttpResult {
  system: 'jobfleet-http';
  connections: number;
  /** Service copies; absent in results written before `--processes` existed (then 1). */
  processes?: number;
  durationS: number;
  /** Successful (2xx) submissions per second over the measured run. */
  perSec: number;
  /** Latency percentiles, ms (autocannon's histogram: whole milliseconds). */
  p50: number;
  p90: number;
  p99: number;
  max: number;
  requests: number;
  ok2xx: number;
  non2xx: number;
  /** Connection errors, timeouts included. */
  errors: number;
  timeouts: number;
  statusCodes: Record<string, number>;
  /**
   * Jobs the database holds after the runs (warm-up included). Between the 2xx count and the
   * requests sent: autocannon closes its connections at the deadline, and the server may still
   * store what was in flight then (at most one request per connection per run).
   */
  stored: number;
  /** 2xx responses of both runs. */
  stored2xx: number;
  /** Requests sent in both runs. */
  sent: number;
  /** The service's processes: CPU per 1,000 requests in the measured run (all of them), and the largest peak RSS of one. */
  serverCpuMsPer1k: number;
  serverPeakRssMiB: number;
  /** Committed and rolled-back transactions of the database per request in the measured run (pg_stat_database). */
  pgTransactionsPerRequest: number;
  ok: boolean;
  error?: string;
}

const BODY = JSON.stringify({ type: 'noop', payload: null });

/**
 * Workload 4 (Jobfleet only): the real service (`jobfleet api` from packages/cli) on a fresh
 * database; a user registers and logs in, creates an API key with the jobs:write scope, and
 * autocannon submits the example `noop` job type with that key, `connections` at a time.
 */
export async function runHttp(opts: HttpOptions): Promise<HttpResult> {
  const prepared = await prepare('postgresql', 'jobfleet_http');
  const databaseUrl = prepared.res.databaseUrl as string;
  const service = await startService(databaseUrl, 'api', 120_000, opts.processes).catch(async (err: unknown) => {
    await prepared.cleanup();
    throw err;
  });
  try {
    const api = new JobfleetHttpClient({ baseUrl: service.baseUrl });
    const credentials = { email: 'bench@example.com', password: 'benchmark password 1' };
    await api.register(credentials);
    await api.login(credentials);
    const { key } = await api.apiKeys.create({ name: 'benchmark', scopes: ['jobs:write'] });
    const options = {
      url: `${service.baseUrl}/api/v1/jobs`,
      method: 'POST' as const,
      headers: { 'content-type': 'application/json', 'x-api-key': key },
      body: BODY,
      connections: opts.connections,
    };
    const warm = opts.warmupS > 0 ? await autocannon({ ...options, duration: opts.warmupS }) : null;
    const db = new PgDatabase({ connectionString: databaseUrl, max: 1 });
    const x0 = await transactions(db);
    const pids = processTree(service.pid);
    const cpu0 = treeCpuMs(pids);
    const r = await autocannon({ ...options, duration: opts.durationS });
    const cpu1 = treeCpuMs(pids);
    const peaks = pids.map((pid) => rssMiB(pid)?.peak ?? NaN).filter(Number.isFinite);
    const x1 = await transactions(db);
    const stored = await db
      .query<{ n: number }>(`SELECT count(*)::int AS n FROM ${DEFAULT_SCHEMA}.jobs WHERE type = 'noop'`)
      .then((q) => q.rows[0]?.n ?? -1)
      .finally(() => db.close());
    const stored2xx = r['2xx'] + (warm?.['2xx'] ?? 0);
    const sent = r.requests.sent + (warm?.requests.sent ?? 0);
    const statusCodes = Object.fromEntries(Object.entries(r.statusCodeStats).map(([code, s]) => [code, Number(s.count)]));
    const errors: string[] = [];
    if (r.errors) errors.push(`${r.errors} connection errors (${r.timeouts} timeouts)`);
    if (r.non2xx) errors.push(`${r.non2xx} non-2xx responses (${JSON.stringify(statusCodes)})`);
    if (stored < stored2xx || stored > sent)
      errors.push(`the database holds ${stored} noop jobs for ${stored2xx} 2xx responses and ${sent} requests sent`);
    return {
      system: 'jobfleet-http',
      connections: opts.connections,
      processes: opts.processes,
      durationS: r.duration,
      perSec: r['2xx'] / r.duration,
      p50: r.latency.p50,
      p90: r.latency.p90,
      p99: r.latency.p99,
      max: r.latency.max,
      requests: r.requests.total,
      ok2xx: r['2xx'],
      non2xx: r.non2xx,
      errors: r.errors,
      timeouts: r.timeouts,
      statusCodes,
      stored,
      stored2xx,
      sent,
      serverCpuMsPer1k: cpu0 !== null && cpu1 !== null && r.requests.total > 0 ? (cpu1 - cpu0) / (r.requests.total / 1000) : NaN,
      serverPeakRssMiB: peaks.length ? Math.max(...peaks) : NaN,
      // The service's maintenance loops and the probe's own queries add a few per second: noise here.
      pgTransactionsPerRequest: r.requests.total > 0 ? (x1 - x0) / r.requests.total : NaN,
      ok: errors.length === 0,
      ...(errors.length ? { error: errors.join('; ') } : {}),
    };
  } finally {
    await service.stop();
    await prepared.cleanup();
  }
}

/** Transactions of this database so far. Backends publish their counts at most once a second, hence the wait. */
async function transactions(db: PgDatabase): Promise<number> {
  await sleep(1100);
  await db.query('SELECT pg_stat_clear_snapshot()');
  const { rows } = await db.query<{ n: string }>(
    'SELECT (xact_commit + xact_rollback)::text AS n FROM pg_stat_database WHERE datname = current_database()',
  );
  return Number(rows[0]?.n ?? NaN);
}
