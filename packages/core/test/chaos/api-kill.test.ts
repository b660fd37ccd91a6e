/**
 * Chaos 3: a `jobfleet api` process SIGKILLed in the middle of a stream of concurrent submissions with
 * idempotency keys, then restarted on the same port. Clients retry each submission with the same key
 * until they get an answer. Short form in `npm test`; `npm run test:chaos` sends more and kills twice.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobfleet } from '../../src/index.ts';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '../../testing/index.ts';
import { figure, freePort, FULL, http, signIn, sleep, startCli, type Proc } from './helpers.ts';

const KEYS = FULL ? 6000 : 1500;
const CLIENTS = 16;
const KILLS = FULL ? 3 : 1;

describe.runIf(pgAvailable)('chaos: the API process killed during submissions', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let api: Proc | null = null;
  let port: number;
  let base: string;
  const env = () => ({ DATABASE_URL: db.url, PORT: String(port), JOBFLEET_RATE_LIMIT: '10000000' });

  beforeAll(async () => {
    db = await createTestDatabase('jobfleet_chaos');
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: [] });
    port = await freePort();
    base = `http://127.0.0.1:${port}`;
  });
  afterAll(async () => {
    await api?.stop('SIGKILL', 5000);
    await fleet?.close();
    await db?.drop();
  });

  const startApi = async () => {
    const p = startCli(['api'], env());
    await p.waitForOutput(/listening on http/);
    return p;
  };

  it(
    `${KEYS} keyed submissions from ${CLIENTS} clients, API SIGKILLed ${KILLS}× mid-stream: every 201 exists, no key makes two jobs`,
    async () => {
      api = await startApi();
      const token = await signIn(base, 'chaos@example.com');

      // Each key's answers, in order: status and job id.
      const answers = new Map<string, { status: number; id?: string }[]>();
      let next = 0;
      let sent = 0;
      let networkErrors = 0;
      let unavailable = 0;
      const client = async () => {
        for (;;) {
          const i = next++;
          if (i >= KEYS) return;
          const key = `chaos-${i}`;
          const list: { status: number; id?: string }[] = [];
          answers.set(key, list);
          // Retry with the same key until the submission is answered (201 new, 200 already there).
          for (let attempt = 0; ; attempt++) {
            sent++;
            const r = await http(base, 'POST', '/api/v1/jobs', {
              token,
              headers: { 'idempotency-key': key },
              body: { type: 'noop', payload: { i } },
              timeoutMs: 10_000,
            });
            list.push({ status: r.status, ...(r.body?.id ? { id: r.body.id as string } : {}) });
            if (r.status === 201 || r.status === 200) break;
            if (r.status === 0) networkErrors++;
            else if (r.status === 503) unavailable++;
            else if (r.status !== 429 && r.status < 500) throw new Error(`unexpected ${r.status}: ${JSON.stringify(r.body)}`);
            if (attempt > 2000) throw new Error(`key ${key} never got through`);
            await sleep(100);
          }
        }
      };
      const clients = Array.from({ length: CLIENTS }, client);

      const restarts: number[] = [];
      for (let k = 0; k < KILLS; k++) {
        // Kill once a share of the keys has been sent: submissions are in flight at that moment.
        await waitFor(() => next >= (KEYS * (k + 1)) / (KILLS + 1), { timeoutMs: 240_000, intervalMs: 5, what: 'submissions' });
        api.child.kill('SIGKILL');
        await api.exited;
        const t = Date.now();
        api = await startApi();
        restarts.push(Date.now() - t);
      }
      await Promise.all(clients);

      const statuses = [...answers.values()].flat().reduce<Record<string, number>>((acc, a) => {
        acc[a.status] = (acc[a.status] ?? 0) + 1;
        return acc;
      }, {});
      figure('api-kill', { keys: KEYS, requests: sent, statuses, networkErrors, unavailable, restartMs: restarts });

      // One job per key, and the job each key names is that job.
      const { rows } = await fleet.db.query<{ key: string; ids: string[] }>(
        `SELECT idempotency_key AS key, array_agg(id::text) AS ids FROM jobfleet.jobs GROUP BY idempotency_key`,
      );
      const byKey = new Map(rows.map((r) => [r.key, r.ids]));
      expect(rows.length).toBe(KEYS);
      for (const [key, list] of answers) {
        const ids = byKey.get(key);
        expect(ids, key).toHaveLength(1);
        // Every answer that named a job named this one: every 201 exists, and retries found it.
        for (const a of list) if (a.id) expect(a.id, key).toBe(ids![0]);
        expect(list.filter((a) => a.status === 201).length, key).toBeLessThanOrEqual(1);
      }
      // A submission answered 201 whose client retries anyway (it never saw the answer) gets the same job.
      const again = await Promise.all(
        [...answers.keys()].slice(0, 200).map((key) =>
          http(base, 'POST', '/api/v1/jobs', {
            token,
            headers: { 'idempotency-key': key },
            body: { type: 'noop', payload: {} },
          }),
        ),
      );
      for (const [i, r] of again.entries()) {
        expect(r.status).toBe(200);
        expect(r.body.id).toBe(byKey.get(`chaos-${i}`)![0]);
      }
      expect((await fleet.db.query<{ n: number }>('SELECT count(*)::int AS n FROM jobfleet.jobs')).rows[0]!.n).toBe(KEYS);

      expect((await api.stop('SIGTERM')).code).toBe(0);
      api = null;
    },
    FULL ? 900_000 : 300_000,
  );
});
