/**
 * What one job costs PostgreSQL in the write pattern the engine uses, against a single write per job.
 * On a fresh database with 200,000 queued no-op jobs, alternately, 20 batches of 500 each:
 *
 * - `claim+outcome`: the worker's claim statement, then its outcome statement (two row versions per job);
 * - `lock+one update`: a transaction that locks 500 ready jobs with SKIP LOCKED, reading the claim's
 *   columns, and marks them COMPLETED before committing (one row version per job: the shape of running
 *   short jobs inside the claim's transaction, which the engine does not do; see BENCHMARKS.md).
 *
 * Prints wall time per batch and the backend's CPU per job (from /proc). Needs PostgreSQL at
 * BENCH_PG_URL (default postgres://postgres@127.0.0.1:5432/postgres) on this machine.
 *
 *   node --import tsx bench/probes/write-cost.ts
 */
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { Jobfleet, defineJob } from '@jobfleet/core';
import { CLAIM_COLUMNS } from '../../packages/core/src/job.ts';
import { claimJobsSql } from '../../packages/core/src/sql/claim-jobs.ts';
import { recordOutcomesSql } from '../../packages/core/src/sql/record-outcomes.ts';
import { cpuMs } from '../proc.ts';

const BATCH = 500;
const BATCHES = 20;
const adminUrl = process.env.BENCH_PG_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
const name = `probe_write_cost_${Date.now()}`;
const admin = new pg.Client({ connectionString: adminUrl });
await admin.connect();
await admin.query(`CREATE DATABASE ${name}`);
const url = new URL(adminUrl);
url.pathname = `/${name}`;
try {
  const noop = defineJob({ name: 'probe_noop', handler: () => null });
  const fleet = await Jobfleet.open({ databaseUrl: url.href, relayEvents: false, receiveEvents: false, jobTypes: [noop] });
  for (let i = 0; i < 2 * BATCH * BATCHES * 3; i += 10_000)
    await fleet.client.enqueueMany(Array.from({ length: 10_000 }, (_, k) => ({ type: 'probe_noop', payload: { i: i + k } })));
  await fleet.db.query('ANALYZE');
  const c = new pg.Client({ connectionString: url.href });
  await c.connect();
  const claimSql = claimJobsSql(fleet.schema, CLAIM_COLUMNS);
  const outcomeSql = recordOutcomesSql(fleet.schema, false);
  const lockSql = `SELECT ${CLAIM_COLUMNS} FROM ${fleet.schema}.jobs
    WHERE queue = 'default' AND status IN ('QUEUED','SCHEDULED','FAILED') AND run_at <= now() AND type = ANY($1::text[])
    ORDER BY priority DESC, run_at, id LIMIT $2 FOR UPDATE SKIP LOCKED`;
  const completeSql = `UPDATE ${fleet.schema}.jobs SET status = 'COMPLETED', attempts = attempts + 1, progress = 100,
    started_at = $2, finished_at = now(), updated_at = now() WHERE id = ANY($1::uuid[])`;

  const twoWrites = async (): Promise<void> => {
    const token = randomUUID();
    const { rows } = await c.query<{ id: string }>({
      name: 'claim',
      text: claimSql,
      values: [['default'], ['probe_noop'], BATCH, token, 30_000, 'probe'],
    });
    const outcomes = rows.map((r) => JSON.stringify({ id: r.id, token, status: 'COMPLETED' }));
    await c.query({ name: 'outcome', text: outcomeSql, values: [`[${outcomes.join(',')}]`] });
  };
  const oneWrite = async (): Promise<void> => {
    await c.query('BEGIN');
    const { rows } = await c.query<{ id: string }>({ name: 'lock', text: lockSql, values: [['probe_noop'], BATCH] });
    await c.query({ name: 'complete', text: completeSql, values: [rows.map((r) => r.id), new Date()] });
    await c.query('COMMIT');
  };

  const { rows } = await c.query<{ pid: number }>('SELECT pg_backend_pid() AS pid');
  const pid = rows[0]!.pid;
  for (let round = 1; round <= 3; round++) {
    for (const [label, run] of [
      ['claim+outcome', twoWrites],
      ['lock+one update', oneWrite],
    ] as const) {
      const t0 = performance.now();
      const cpu0 = cpuMs(pid) ?? NaN;
      for (let i = 0; i < BATCHES; i++) await run();
      const ms = (performance.now() - t0) / BATCHES;
      const cpuUsPerJob = (((cpuMs(pid) ?? NaN) - cpu0) * 1000) / (BATCH * BATCHES);
      console.log(
        `round ${round}  ${label.padEnd(16)} ${ms.toFixed(2)} ms per ${BATCH} jobs, backend CPU ${cpuUsPerJob.toFixed(1)} µs per job`,
      );
    }
  }
  await c.end();
  await fleet.close();
} finally {
  await admin.query(`DROP DATABASE ${name} WITH (FORCE)`);
  await admin.end();
}
