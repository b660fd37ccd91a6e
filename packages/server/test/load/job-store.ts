/**
 * Reads the jobs table directly (not through the API under test) to tell when the backlog has drained
 * and whether every submitted job completed.
 */
import pg from 'pg';
import { waitFor } from '@jobfleet/core/testing';

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return await fn(c);
  } finally {
    await c.end();
  }
}

/** Jobs by status, over the whole table. */
export function statusCounts(url: string): Promise<Record<string, number>> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ status: string; n: number }>(
      'SELECT status, count(*)::int AS n FROM jobfleet.jobs GROUP BY status',
    );
    return Object.fromEntries(rows.map((r) => [r.status, r.n]));
  });
}

/** Waits until no job is waiting or running; returns the final counts by status. */
export async function waitDrained(url: string, timeoutMs: number): Promise<Record<string, number>> {
  let counts: Record<string, number> = {};
  await waitFor(
    async () => {
      counts = await statusCounts(url);
      return Object.entries(counts).every(([s, n]) => n === 0 || ['COMPLETED', 'DEAD', 'CANCELLED'].includes(s));
    },
    { timeoutMs, intervalMs: 500, what: 'the backlog to drain.' },
  ).catch((err: Error) => {
    throw new Error(`${err.message} Last counts: ${JSON.stringify(counts)}`);
  });
  return counts;
}

/** How many of these ids are COMPLETED jobs. */
export function completedAmong(url: string, ids: string[]): Promise<number> {
  return withClient(url, async (c) => {
    const { rows } = await c.query<{ n: number }>(
      `SELECT count(*)::int AS n FROM jobfleet.jobs WHERE id = ANY($1::uuid[]) AND status = 'COMPLETED'`,
      [ids],
    );
    return rows[0]!.n;
  });
}
