/** The BENCHMARKS.md tables of workloads 4 (HTTP), 6 (scale-out), 7 (soak) and 8 (memory), with their targets. */
import { int, mib, msPerJob, pct, ratio } from './format.ts';
import type { MemoryStats } from './memory.ts';
import { efficiency, linearIdeal } from './stats.ts';
import { isJobfleet } from './systems/index.ts';
import type { HttpResult } from './workloads/http.ts';
import type { MemoryResult } from './workloads/memory.ts';
import type { ScaleoutResult } from './workloads/scaleout.ts';
import type { SoakResult } from './workloads/soak.ts';

/** The goals issue 5 sets for Jobfleet. */
export const TARGETS = {
  httpPerSec: 10_000,
  httpP99Ms: 50,
  /** Last tenth of a soak's completions at least this fraction of the first tenth's rate (a drop of at most 10%). */
  soakRatio: 0.9,
  /** Worker RSS at steady state: 150 MB (10^6 bytes), in MiB. */
  workerRssMiB: 150e6 / 2 ** 20,
} as const;

const yes = (ok: boolean): string => (ok ? 'met' : '**not met**');

export function httpTargetsMet(r: Pick<HttpResult, 'perSec' | 'p99' | 'errors' | 'non2xx'>): {
  rate: boolean;
  p99: boolean;
  errors: boolean;
} {
  return { rate: r.perSec >= TARGETS.httpPerSec, p99: r.p99 <= TARGETS.httpP99Ms, errors: r.errors === 0 && r.non2xx === 0 };
}

export interface HttpParams {
  connections: number;
  durationS: number;
  /** Service copies (`--processes`), one table each; absent in results from before it existed: 1. */
  processes?: number[];
  warmupS: number;
  role: string;
  env: Record<string, string>;
}

export function renderHttp(rows: HttpResult[], p: HttpParams | undefined): string[] {
  if (!rows.length) return [];
  const env = p
    ? Object.entries(p.env)
        .map(([k, v]) => `\`${k}=${v}\``)
        .join(', ')
    : '';
  const out = [
    '#### (4) HTTP enqueue: `POST /api/v1/jobs` on the real service (Jobfleet only: no peer has an HTTP API)',
    '',
    `\`jobfleet ${p?.role ?? 'api'}\` (packages/cli: HTTP API and maintenance, no worker) on a fresh PostgreSQL database, with ${env}. ` +
      'A user registers and logs in and creates an API key (scope `jobs:write`); autocannon 9.0.0 (programmatic API, in the benchmark process on the same cores) ' +
      `submits \`{"type":"noop","payload":null}\` with the key as \`X-API-Key\` over ${p?.connections ?? '?'} connections for ${p?.durationS ?? '?'} s after an unrecorded ${p?.warmupS ?? '?'} s warm-up. ` +
      "Latency is autocannon's, in whole milliseconds.",
    '',
  ];
  for (const r of rows) {
    const met = httpTargetsMet(r);
    const copies = r.processes ?? 1;
    out.push(
      copies === 1
        ? '**One service process** (`jobfleet api`):'
        : `**${copies} service processes** (\`jobfleet api --processes ${copies}\`: copies under one supervisor sharing the port, on the same cores as autocannon and PostgreSQL):`,
      '',
      '| Measure | Value | Target |',
      '|---|---:|---|',
      `| Submissions/s (2xx responses ÷ duration) | **${int(r.perSec)}** | ≥ ${int(TARGETS.httpPerSec)}: ${yes(met.rate)} |`,
      `| Latency p50 / p90 / p99 / max, ms | ${int(r.p50)} / ${int(r.p90)} / **${int(r.p99)}** / ${int(r.max)} | p99 ≤ ${TARGETS.httpP99Ms}: ${yes(met.p99)} |`,
      `| Errors (timeouts) / non-2xx responses | ${int(r.errors)} (${int(r.timeouts)}) / ${int(r.non2xx)} | 0: ${yes(met.errors)} |`,
      `| Requests / 2xx in ${r.durationS.toFixed(1)} s | ${int(r.requests)} / ${int(r.ok2xx)} | |`,
      `| Jobs stored / 2xx responses / requests sent (warm-up included) | ${int(r.stored)} / ${int(r.stored2xx)} / ${int(r.sent)} | between 2xx and sent: ${yes(r.stored >= r.stored2xx && r.stored <= r.sent)} |`,
      `| Service: CPU per 1,000 requests (all processes), ms / peak RSS of one process, MiB | ${int(r.serverCpuMsPer1k)} / ${int(r.serverPeakRssMiB)} | |`,
      `| PostgreSQL transactions per request | ${Number.isFinite(r.pgTransactionsPerRequest) ? r.pgTransactionsPerRequest.toFixed(2) : '—'} | |`,
      '',
    );
    if (r.error) out.push(`Problems: ${r.error}`, '');
  }
  return out;
}

export interface ScaleoutParams {
  processes: number[];
  concurrency: number;
  jobMs: number;
  warmupMs: number;
  windowMs: number;
  poolSize: number;
}

/** One row per system and process count, with the ideal from that system's own 1-process rate. */
export function scaleoutRows(
  rows: ScaleoutResult[],
): (ScaleoutResult & { ideal: number; efficiency: number; ofSlots: number })[] {
  return rows.map((r) => {
    const one = rows.find((o) => o.system === r.system && o.processes === 1 && o.ok);
    const ideal = linearIdeal(r.processes, r.concurrency, r.jobMs, one?.jobsPerSec);
    const slots = linearIdeal(r.processes, r.concurrency, r.jobMs);
    return { ...r, ideal, efficiency: efficiency(r.jobsPerSec, ideal), ofSlots: efficiency(r.jobsPerSec, slots) };
  });
}

export function renderScaleout(rows: ScaleoutResult[], p: ScaleoutParams | undefined, label: (id: string) => string): string[] {
  if (!rows.length) return [];
  const conc = p?.concurrency ?? rows[0]?.concurrency ?? 50;
  const jobMs = p?.jobMs ?? rows[0]?.jobMs ?? 10;
  const systems = [...new Set(rows.map((r) => r.system))];
  const sorted = scaleoutRows(rows).sort(
    (a, b) => systems.indexOf(a.system) - systems.indexOf(b.system) || a.processes - b.processes,
  );
  const stmtNote = rows.map((r) => r.pg?.statementNote).find((n) => n);
  const anyStmt = rows.some((r) => r.pg?.statementMsPerJob != null);
  const bold = (id: string, t: string): string => (isJobfleet(id) ? `**${t}**` : t);
  const out = [
    `#### (6) Scale-out: jobs that wait ${jobMs} ms, worker processes of ${conc} concurrency each on one database`,
    '',
    `Each point is a fresh database: the session process enqueues a backlog and disconnects, then the worker processes (child processes of the session, each connected with at most ${p?.poolSize ?? '?'} connections) start; ` +
      `after ${(p?.warmupMs ?? NaN) / 1000} s of warm-up the jobs finished in a ${(p?.windowMs ?? NaN) / 1000} s window (counted in the workers over IPC) give the rate. ` +
      `Linear ideal: processes × ${conc} / ${jobMs / 1000} s, capped by the system's own 1-process rate × processes; efficiency = measured ÷ ideal ` +
      `(so 100% at 1 process by construction); "of slots" = measured ÷ (processes × ${conc} / ${jobMs / 1000} s), uncapped. ` +
      "All processes share the machine's cores with PostgreSQL and Redis, so CPU bounds the larger points.",
    '',
    '| System | processes | jobs/s | linear ideal | efficiency | of slots | PG statement time, ms/job | PG backend CPU, ms/job | worker CPU, ms/job | worker RSS steady / peak, MiB | backlog | verified |',
    '|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of sorted) {
    const stmt = r.pg ? (r.pg.statementMsPerJob != null ? msPerJob(r.pg.statementMsPerJob) : 'n/a') : '— (Redis)';
    const cpu = r.pg ? (r.pg.backendCpuMsPerJob != null ? msPerJob(r.pg.backendCpuMsPerJob) : 'n/a') : '— (Redis)';
    out.push(
      `| ${bold(r.system, label(r.system))} | ${r.processes} | ${bold(r.system, int(r.jobsPerSec))} | ${int(r.ideal)} | ${pct(r.efficiency)} | ${pct(r.ofSlots)} | ${stmt} | ${cpu} | ${r.workerCpuMsPerJob != null && Number.isFinite(r.workerCpuMsPerJob) ? msPerJob(r.workerCpuMsPerJob) : 'n/a'} | ${int(r.workerSteadyRssMiB)} / ${int(r.workerPeakRssMiB)} | ${int(r.backlog)}${r.drainedEarly ? ' (ran out)' : ''} | ${r.ok ? 'yes' : `NO: ${r.error ?? 'failed'}`} |`,
    );
  }
  out.push('');
  if (!anyStmt)
    out.push(
      `PostgreSQL statement time is unavailable on this server${stmtNote ? ` (PostgreSQL: "${stmtNote}")` : ''}: \`pg_stat_statements\` is not in \`shared_preload_libraries\`, ` +
        "and the benchmark does not change the server configuration. The backend CPU column is measured instead: CPU time (from /proc) of the session database's backends during the window, per job. Worker CPU: CPU time (from /proc) of all worker processes over the window, per job.",
      '',
    );
  else
    out.push(
      "PG statement time: `total_exec_time` of the session database in `pg_stat_statements` over the window, per job. PG backend CPU: CPU time (from /proc) of that database's backends, per job. Worker CPU: CPU time (from /proc) of all worker processes over the window, per job.",
      '',
    );
  return out;
}

export function renderSoak(rows: (SoakResult & { memory?: MemoryStats })[]): string[] {
  if (!rows.length) return [];
  const out = ['#### (7) Soak: Jobfleet on PostgreSQL, a large drain, then the cleaner', ''];
  for (const r of rows) {
    const size = (s: SoakResult['sizes']['drained']): string => `${mib(s.total)} / ${mib(s.indexes)} / ${int(s.rows)}`;
    out.push(
      `${int(r.n)} no-op jobs enqueued in bulk (10,000 per call) and drained by one worker (concurrency ${r.concurrency}); throughput of the first and last tenth of completions from the jobs' \`finished_at\`. ` +
        `Then the cleaner (\`cleanFinishedJobs\`, packages/core/src/maintenance/cleaner.ts) runs once with a ${r.cleaner.retentionMs / 1000} s retention, and a plain \`VACUUM\` of the jobs table.`,
      '',
      '| Measure | Value | Target |',
      '|---|---:|---|',
      `| Bulk enqueue, jobs/s | ${int(r.enqueue.jobsPerSec)} | |`,
      `| Drain, jobs/s (all ${int(r.n)}) | ${int(r.jobsPerSec)} | |`,
      `| First tenth of completions, jobs/s | ${int(r.tenths.first)} | |`,
      `| Last tenth of completions, jobs/s | ${int(r.tenths.last)} | |`,
      `| Last ÷ first | **${ratio(r.tenths.ratio)}** | ≥ ${TARGETS.soakRatio.toFixed(2)}× (drop ≤ 10%): ${yes(r.tenths.ratio >= TARGETS.soakRatio)} |`,
      `| Jobs table after the drain: total / indexes, MiB / rows | ${size(r.sizes.drained)} | |`,
      `| After the cleaner (deleted ${int(r.cleaner.deleted)} in ${(r.cleaner.ms / 1000).toFixed(1)} s): total / indexes, MiB / rows | ${size(r.sizes.cleaned)} | |`,
      `| After VACUUM (${(r.vacuumMs / 1000).toFixed(1)} s): total / indexes, MiB / rows | ${size(r.sizes.vacuumed)} | |`,
      ...(r.memory ? [`| Peak RSS of the session process (enqueue and worker), MiB | ${int(r.memory.peakRssMiB)} | |`] : []),
      `| Every job ran once and completed | ${r.ok ? 'yes' : `NO: ${r.error ?? 'failed'}`} | |`,
      '',
    );
  }
  out.push(
    'Sizes: `pg_total_relation_size` (heap, indexes, TOAST) and `pg_indexes_size` of the jobs table. A plain VACUUM returns the space inside the files for reuse ' +
      'and truncates empty pages at the end of the heap; index files keep their size (their pages are reused by later inserts).',
    '',
  );
  return out;
}

export interface MemoryParams {
  rate: number;
  durationMs: number;
  concurrency: number;
}

export function renderMemory(
  rows: MemoryResult[],
  p: MemoryParams | undefined,
  label: (id: string) => string,
  reference?: { nodeMiB: number; tsxMiB: number },
): string[] {
  if (!rows.length) return [];
  const bold = (id: string, t: string): string => (isJobfleet(id) ? `**${t}**` : t);
  const out = [
    '#### (8) Memory: RSS of a worker process at steady state',
    '',
    `One worker process with nothing else in it (bench/worker-process.ts, concurrency ${p?.concurrency ?? '?'}) runs no-op jobs under a steady load of ${int(p?.rate ?? NaN)} jobs/s ` +
      `for ${(p?.durationMs ?? NaN) / 1000} s, enqueued by the session process; RSS sampled every 100 ms. Baseline: connected, before its workers start. ` +
      `Steady: the median over the second half of the load. Target for Jobfleet: steady RSS ≤ 150 MB (${TARGETS.workerRssMiB.toFixed(0)} MiB).`,
    '',
    '| System | baseline, MiB | steady, MiB | peak, MiB | peak heap, MiB | jobs run / fed | target |',
    '|---|---:|---:|---:|---:|---:|---|',
  ];
  for (const r of rows) {
    // The target is for a worker on a shared database; the embedded process holds the database itself.
    const target = !isJobfleet(r.system)
      ? ''
      : r.selfFed
        ? 'n/a (holds the database)'
        : yes(r.steadyRssMiB <= TARGETS.workerRssMiB);
    out.push(
      `| ${bold(r.system, label(r.system))}${r.selfFed ? ' ¹' : ''} | ${int(r.baselineRssMiB)} | ${bold(r.system, int(r.steadyRssMiB))} | ${int(r.peakRssMiB)} | ${int(r.peakHeapUsedMiB)} | ${int(r.done)} / ${int(r.fed)}${r.ok ? '' : ` (${r.error ?? 'failed'})`} | ${target} |`,
    );
  }
  out.push('');
  if (reference)
    out.push(
      `Every worker process runs under tsx (\`node --import tsx\`, as the jobfleet CLI does), and loads only its own system's libraries. ` +
        `For scale: an empty Node process measured ${int(reference.nodeMiB)} MiB here, and ${int(reference.tsxMiB)} MiB under tsx.`,
      '',
    );
  if (rows.some((r) => r.selfFed))
    out.push(
      '¹ Embedded: the database lives in the worker process, which also enqueues its own load, so its RSS holds the database too.',
      '',
    );
  return out;
}

export function renderFailures(failures: { workload: string; system: string; point?: string; error: string }[]): string[] {
  if (!failures.length) return [];
  return [
    '#### Sessions that failed',
    '',
    ...failures.map((f) => `- ${f.workload}, ${f.system}${f.point ? ` (${f.point})` : ''}: ${f.error}`),
    '',
  ];
}
