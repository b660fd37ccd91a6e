import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { defineJob, Jobfleet } from '../src/index.ts';
import { recordOutcomesSql } from '../src/sql/record-outcomes.ts';
import { heartbeatSql } from '../src/sql/heartbeat.ts';
import { claimJobsByIdSql } from '../src/sql/claim-jobs-by-id.ts';
import { progressSql } from '../src/sql/progress.ts';
import { listJobsSql } from '../src/sql/job-queries.ts';
import { JOB_COLUMNS } from '../src/job.ts';
import { CLAIM_COLUMNS } from '../src/job.ts';
import { uuidv7 } from '../src/ids.ts';
import { createTestDatabase, pgAvailable, type TestDatabase } from '../testing/index.ts';

const noop = defineJob({ name: 'noop', handler: () => null });

/** Every value of one key anywhere in an EXPLAIN (FORMAT JSON) plan ("Index Name", "Node Type", …). */
function planValues(plan: unknown, key: string): string[] {
  const out: string[] = [];
  const walk = (n: unknown): void => {
    if (Array.isArray(n)) return n.forEach(walk);
    if (!n || typeof n !== 'object') return;
    const o = n as Record<string, unknown>;
    if (typeof o[key] === 'string') out.push(o[key]);
    Object.values(o).forEach(walk);
  };
  walk(plan);
  return out;
}

/**
 * The statements that touch jobs a worker holds must find them by id. The planner's statistics usually
 * date from a moment when few jobs were running or queued; a plain `status = 'RUNNING'` then made it read
 * every running job through a partial status index for each batch (found in the scale-out benchmark:
 * 3 ms per outcome statement with 4 workers, growing with the fleet).
 */
describe.runIf(pgAvailable)('hot statements find rows by id whatever the statistics say', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  const token = randomUUID();
  let running: string[] = [];
  let queued: string[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [noop], relayEvents: false });
    const s = fleet.schema;
    await fleet.db.query(
      `INSERT INTO ${s}.jobs (id, type, status, finished_at)
       SELECT gen_random_uuid(), 'noop', 'COMPLETED', now() FROM generate_series(1, 50000)`,
    );
    // Statistics taken while nothing runs or waits, then 1,500 running and 1,500 queued jobs appear.
    await fleet.db.query(`ANALYZE ${s}.jobs`);
    ({ rows: running } = await fleet.db
      .query<{ id: string }>(
        `UPDATE ${s}.jobs SET status = 'RUNNING', lease_token = $1, finished_at = NULL
         WHERE id IN (SELECT id FROM ${s}.jobs ORDER BY id LIMIT 1500) RETURNING id`,
        [token],
      )
      .then((r) => ({ rows: r.rows.map((x) => x.id) })));
    ({ rows: queued } = await fleet.db
      .query<{ id: string }>(
        `UPDATE ${s}.jobs SET status = 'QUEUED', finished_at = NULL
         WHERE id IN (SELECT id FROM ${s}.jobs WHERE status = 'COMPLETED' ORDER BY id LIMIT 1500) RETURNING id`,
      )
      .then((r) => ({ rows: r.rows.map((x) => x.id) })));
  });
  afterAll(async () => {
    await fleet?.close();
    await db?.drop();
  });

  const explain = async (sql: string, params: unknown[]): Promise<string[]> => {
    const { rows } = await fleet.db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
    return planValues(rows[0]?.['QUERY PLAN'], 'Index Name');
  };

  it('outcome writes', async () => {
    const batch = running.slice(0, 20).map((id) => ({ id, token, status: 'COMPLETED', result: null }));
    // Both forms: without RETURNING, and with the exceptions a relaying worker reads back.
    for (const exceptions of [false, true]) {
      const used = await explain(recordOutcomesSql(fleet.schema, exceptions), [JSON.stringify(batch)]);
      expect(used).toContain('jobs_pkey');
      expect(used).not.toContain('jobs_status_idx');
      expect(used).not.toContain('jobs_lease_idx');
    }
  });

  it('heartbeats and progress', async () => {
    const used = await explain(heartbeatSql(fleet.schema), [running.slice(0, 20), [token], 30_000]);
    expect(used.length).toBeGreaterThan(0);
    expect(new Set(used)).toEqual(new Set(['jobs_pkey']));
    const progress = await explain(progressSql(fleet.schema), [running[0], token, 50, 'half']);
    expect(progress).toEqual(['jobs_pkey']);
  });

  it('claims of the jobs a broker message names', async () => {
    const used = await explain(claimJobsByIdSql(fleet.schema, CLAIM_COLUMNS), [
      queued.slice(0, 20),
      ['noop'],
      randomUUID(),
      30_000,
      'w',
    ]);
    expect(used).toContain('jobs_pkey');
    expect(used).not.toContain('jobs_claim_idx');
    expect(used).not.toContain('jobs_status_idx');
  });
});

/**
 * Listings by creation time on a table that grew since its last ANALYZE: the planner guesses almost no row
 * is that recent, and used to read the whole table and sort (found by the ten-minute load test: 230 ms at
 * 100,000 jobs, growing until the service fell over). The id bound keeps the scan to the recent ids.
 */
describe.runIf(pgAvailable)('listings by creation time stay on an index after the table grew', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;

  beforeAll(async () => {
    db = await createTestDatabase();
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [noop], relayEvents: false });
    const s = fleet.schema;
    // 60,000 finished jobs of one owner over the last two hours, with UUIDv7 ids of their creation time.
    await fleet.db.query(
      `INSERT INTO ${s}.jobs (id, type, status, owner_id, created_at, finished_at)
       SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7' || substr(md5(g::text), 1, 3)
               || '8' || substr(md5(g::text), 4, 15))::uuid, 'noop', 'COMPLETED', 'owner-a', t, t
       FROM generate_series(1, 60000) g, LATERAL (SELECT now() - interval '2 hours' + g * interval '100 ms' AS t) x`,
    );
    await fleet.db.query(`ANALYZE ${s}.jobs`);
    // Then more jobs than the statistics know of, made now.
    await fleet.db.query(
      `INSERT INTO ${s}.jobs (id, type, status, owner_id) SELECT unnest($1::uuid[]), 'noop', 'QUEUED', 'owner-a'`,
      [Array.from({ length: 30 }, () => uuidv7())],
    );
  });
  afterAll(async () => {
    await fleet?.close();
    await db?.drop();
  });

  it('reads recent rows through an index, and finds exactly the recent ones', async () => {
    const since = new Date(Date.now() - 10_000);
    for (const ownerId of ['owner-a', null]) {
      const { sql, params } = listJobsSql(fleet.schema, JOB_COLUMNS, {
        type: null,
        queue: null,
        ownerId,
        batchId: null,
        scheduleId: null,
        createdAfter: since,
        createdBefore: null,
        cursor: null,
        statuses: null,
        limit: 101,
      });
      const { rows } = await fleet.db.query<{ 'QUERY PLAN': unknown }>(`EXPLAIN (FORMAT JSON) ${sql}`, params);
      const nodes = planValues(rows[0]?.['QUERY PLAN'], 'Node Type');
      expect(nodes, `plan for owner ${ownerId}`).not.toContain('Seq Scan');
      const listed = await fleet.db.query<{ id: string }>(sql, params);
      expect(listed.rows).toHaveLength(30);
    }
  });
});
