/**
 * Authorization matrix: every REST route (enumerated from the running server's route table, so a new
 * route without an expectation fails) and every GraphQL query and mutation (enumerated from the schema)
 * × 12 principals. Each cell is asserted allowed (the route's success status) or denied (401 with the
 * specific code, 403 FORBIDDEN, or 404 for another member's job, schedule or API key, with the data left
 * unchanged).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildSchema } from 'graphql';
import { pgAvailable, waitFor } from '@jobfleet/core/testing';
import type { Worker } from '@jobfleet/core';
import { typeDefs } from '../../src/graphql/schema.ts';
import { call, newMember, startHarness, type Harness } from '../helpers.ts';
import {
  actsAs,
  buildWorld,
  createKey,
  headersFor,
  leaks,
  PRINCIPALS,
  REFUSED,
  routeTable,
  type Need,
  type PrincipalName,
  type World,
} from './fixtures.ts';

interface Prepared {
  path: string;
  body?: unknown;
  /** A's data the call must not change when it is refused or hidden (read back before and after). */
  snapshot?: () => Promise<unknown>;
}

interface RouteSpec {
  need: Need;
  /** The route acts on a resource of member A: member B gets 404. */
  owned?: boolean;
  /** Only from a signed-in session (or an admin key): a member's API key gets 403 whatever its scopes. */
  sessionOnly?: boolean;
  /** Status when allowed. */
  ok: number;
  prepare(p: PrincipalName): Promise<Prepared>;
  /** Extra checks on an allowed response. */
  check?(p: PrincipalName, res: { status: number; body: any }, prep: Prepared): Promise<void> | void;
}

/** Routes outside the REST API: documentation, GraphQL (its own matrix below) and CORS preflight. */
const NON_API_ROUTES = new Set([
  'GET /docs',
  'GET /docs/static/index.html',
  'GET /docs/static/swagger-initializer.js',
  'GET /docs*',
  'GET /docs/json',
  'GET /docs/yaml',
  'GET /openapi.json',
  'GET /graphql',
  'POST /graphql',
  'GET /graphiql',
  'GET /graphiql/main.js',
  'GET /graphiql/sw.js',
  'GET /graphiql/config.js',
  'OPTIONS *',
]);

describe.runIf(pgAvailable)('authorization matrix (real PostgreSQL)', () => {
  let h: Harness;
  let w: World;
  let worker: Worker;
  let victimId: string;
  let loginUser: { email: string; password: string };
  let deadJobOfA: string;
  let deadPool: string[] = [];
  let deadBeforeB: unknown;
  let seq = 0;
  const cells: string[] = [];

  const headers = (p: PrincipalName, need: Need) => headersFor(w, p, need);

  async function req(method: string, path: string, hdrs: Record<string, string>, body?: unknown) {
    const init: RequestInit = { method, headers: { ...hdrs } };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      (init.headers as Record<string, string>)['content-type'] = 'application/json';
    }
    const res = await fetch(h.base + path, init);
    const text = await res.text();
    let json: any = text;
    try {
      json = text ? JSON.parse(text) : null;
    } catch {
      /* SSE or metrics text */
    }
    return { status: res.status, body: json, text, headers: res.headers };
  }

  /** A fresh job of A that stays QUEUED (delayed an hour), or one already cancelled. */
  async function jobOfA(state: 'waiting' | 'cancelled' = 'waiting'): Promise<string> {
    const job = await h.fleet.client.enqueue('noop', null, { ownerId: w.a.id, delay: 3_600_000 });
    if (state === 'cancelled') await h.fleet.client.cancel(job.id);
    return job.id;
  }
  async function scheduleOfA(): Promise<string> {
    const r = await call(h, 'POST', '/api/v1/schedules', {
      token: w.a.token,
      body: { name: `sched-${++seq}`, cron: '0 0 1 1 *', jobType: 'noop' },
    });
    if (r.status !== 201) throw new Error(`schedule: ${r.status} ${JSON.stringify(r.body)}`);
    return r.body.id;
  }
  const jobSnapshot = (id: string) => async () => {
    const j = await h.fleet.client.get(id);
    return j && { status: j.status, ownerId: j.ownerId, attempts: j.attempts, updatedAt: j.updatedAt.toISOString() };
  };
  const scheduleSnapshot = (id: string) => async () => {
    const r = await call(h, 'GET', `/api/v1/schedules/${id}`, { token: w.adminTok });
    return r.status === 200 ? { ...r.body } : r.status;
  };
  const keySnapshot = (id: string) => async () => {
    const { rows } = await h.fleet.db.query<{ revoked_at: Date | null }>(
      `SELECT revoked_at FROM ${h.fleet.schema}.api_keys WHERE id = $1`,
      [id],
    );
    return rows[0]?.revoked_at ?? null;
  };

  const SPECS: Record<string, RouteSpec> = {
    // ---------------------------------------------------------------- auth (public, and /me)
    'POST /api/v1/auth/register': {
      need: 'public',
      ok: 201,
      prepare: async () => ({
        path: '/api/v1/auth/register',
        body: { email: `reg.${++seq}@example.com`, password: 'password123' },
      }),
      check: (_p, res) => expect(res.body.role).toBe('member'),
    },
    'POST /api/v1/auth/login': {
      need: 'public',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/auth/login', body: loginUser }),
    },
    'POST /api/v1/auth/refresh': {
      need: 'public',
      ok: 200,
      prepare: async () => ({
        path: '/api/v1/auth/refresh',
        body: { refreshToken: (await h.auth.login(loginUser, { ip: '10.0.0.1' })).refreshToken },
      }),
    },
    'POST /api/v1/auth/logout': {
      need: 'public',
      ok: 200,
      prepare: async () => ({
        path: '/api/v1/auth/logout',
        body: { refreshToken: (await h.auth.login(loginUser, { ip: '10.0.0.1' })).refreshToken },
      }),
    },
    'GET /api/v1/auth/me': {
      need: 'signedIn',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/auth/me' }),
      check: (p, res) => {
        const as = actsAs(p, 'signedIn');
        expect(res.body.id).toBe(as === 'A' ? w.a.id : as === 'B' ? w.b.id : w.adminId);
      },
    },
    // ---------------------------------------------------------------- users (admin)
    'GET /api/v1/users': { need: 'admin', ok: 200, prepare: async () => ({ path: '/api/v1/users' }) },
    'POST /api/v1/users': {
      need: 'admin',
      ok: 201,
      prepare: async () => ({ path: '/api/v1/users', body: { email: `made.${++seq}@example.com`, password: 'password123' } }),
    },
    'GET /api/v1/users/{id}': { need: 'admin', ok: 200, prepare: async () => ({ path: `/api/v1/users/${w.a.id}` }) },
    'POST /api/v1/users/{id}/disable': {
      need: 'admin',
      ok: 200,
      prepare: async () => ({
        path: `/api/v1/users/${victimId}/disable`,
        snapshot: async () =>
          (await h.auth.getUser({ userId: w.adminId, email: '', role: 'admin', via: 'jwt', scopes: null }, victimId)).disabled,
      }),
    },
    'POST /api/v1/users/{id}/enable': {
      need: 'admin',
      ok: 200,
      prepare: async () => ({ path: `/api/v1/users/${victimId}/enable` }),
    },
    // ---------------------------------------------------------------- API keys (signed in; granting needs the scope)
    'GET /api/v1/api-keys': {
      need: 'signedIn',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/api-keys' }),
      check: (p, res) => {
        const as = actsAs(p, 'signedIn');
        const owner = as === 'A' ? w.a.id : as === 'B' ? w.b.id : w.adminId;
        for (const k of res.body.apiKeys) expect(k.ownerId).toBe(owner);
      },
    },
    'POST /api/v1/api-keys': {
      // Keys are managed from a session: an API key cannot mint keys (not even with the scopes it holds).
      need: 'signedIn',
      sessionOnly: true,
      ok: 201,
      prepare: async () => ({ path: '/api/v1/api-keys', body: { name: `k${++seq}`, scopes: ['jobs:read'] } }),
      check: (_p, res) => expect(res.body.key).toMatch(/^jf_/),
    },
    'DELETE /api/v1/api-keys/{id}': {
      need: 'signedIn',
      owned: true,
      sessionOnly: true,
      ok: 200,
      prepare: async () => {
        const k = await createKey(h, w.a.token, ['jobs:read'], `victim-${++seq}`);
        return { path: `/api/v1/api-keys/${k.id}`, snapshot: keySnapshot(k.id) };
      },
    },
    // ---------------------------------------------------------------- jobs
    'GET /api/v1/job-types': { need: 'jobs:read', ok: 200, prepare: async () => ({ path: '/api/v1/job-types' }) },
    'POST /api/v1/jobs': {
      need: 'jobs:write',
      ok: 201,
      prepare: async () => ({
        path: '/api/v1/jobs',
        // ownerId in the options is ignored: the owner is always the caller.
        body: { type: 'noop', options: { delay: 3_600_000, ownerId: w.b.id } },
      }),
      check: (p, res) => {
        const as = actsAs(p, 'jobs:write');
        expect(res.body.ownerId).toBe(as === 'A' ? w.a.id : as === 'B' ? w.b.id : w.adminId);
      },
    },
    'POST /api/v1/jobs/bulk': {
      need: 'jobs:write',
      ok: 201,
      prepare: async () => ({ path: '/api/v1/jobs/bulk', body: { jobs: [{ type: 'noop', options: { delay: 3_600_000 } }] } }),
    },
    'GET /api/v1/jobs': {
      need: 'jobs:read',
      ok: 200,
      prepare: async () => ({ path: `/api/v1/jobs?limit=500` }),
      check: (p, res) => {
        const as = actsAs(p, 'jobs:read');
        if (as !== 'admin') for (const j of res.body.jobs) expect(j.ownerId).toBe(as === 'A' ? w.a.id : w.b.id);
      },
    },
    'GET /api/v1/jobs/{id}': {
      need: 'jobs:read',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await jobOfA();
        return { path: `/api/v1/jobs/${id}`, snapshot: jobSnapshot(id) };
      },
    },
    'DELETE /api/v1/jobs/{id}': {
      need: 'jobs:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await jobOfA();
        return { path: `/api/v1/jobs/${id}`, snapshot: jobSnapshot(id) };
      },
    },
    'POST /api/v1/jobs/{id}/cancel': {
      need: 'jobs:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await jobOfA();
        return { path: `/api/v1/jobs/${id}/cancel`, snapshot: jobSnapshot(id) };
      },
      check: (_p, res) => expect(res.body.status).toBe('CANCELLED'),
    },
    'POST /api/v1/jobs/{id}/retry': {
      need: 'jobs:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await jobOfA('cancelled');
        return { path: `/api/v1/jobs/${id}/retry`, snapshot: jobSnapshot(id) };
      },
    },
    'GET /api/v1/jobs/{id}/events': {
      need: 'jobs:read',
      owned: true,
      ok: 200,
      prepare: async () => {
        // A finished job: the stream sends its state and ends.
        const id = await jobOfA('cancelled');
        return { path: `/api/v1/jobs/${id}/events`, snapshot: jobSnapshot(id) };
      },
      check: (_p, res) => expect(String(res.body)).toContain('event: state'),
    },
    // ---------------------------------------------------------------- queues, dead letters
    'GET /api/v1/queues': { need: 'jobs:read', ok: 200, prepare: async () => ({ path: '/api/v1/queues' }) },
    'POST /api/v1/queues/{name}/pause': {
      need: 'admin',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/queues/authz-q/pause' }),
    },
    'POST /api/v1/queues/{name}/resume': {
      need: 'admin',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/queues/authz-q/resume' }),
    },
    'GET /api/v1/dead-letters': {
      need: 'jobs:read',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/dead-letters' }),
      check: (p, res) => {
        const as = actsAs(p, 'jobs:read');
        const ids = res.body.jobs.map((j: { id: string }) => j.id);
        if (as === 'B') expect(ids).not.toContain(deadJobOfA);
      },
    },
    'POST /api/v1/dead-letters/replay': {
      need: 'jobs:write',
      ok: 200,
      // Replaying A's dead job by id: B replays nothing, and the job stays DEAD.
      prepare: async (p) => {
        const id = deadPool[PRINCIPALS.indexOf(p)] as string;
        return { path: '/api/v1/dead-letters/replay', body: { ids: [id] }, snapshot: jobSnapshot(id) };
      },
      check: async (p, res, prep) => {
        const as = actsAs(p, 'jobs:write');
        if (as === 'B') {
          expect(res.body.replayed).toBe(0);
          expect(await prep.snapshot!()).toEqual(deadBeforeB);
          expect(deadBeforeB).toMatchObject({ status: 'DEAD' });
        } else {
          expect(res.body.replayed).toBe(1);
        }
      },
    },
    // ---------------------------------------------------------------- schedules
    'POST /api/v1/schedules': {
      need: 'schedules:write',
      ok: 201,
      // A member's ownerId is ignored: the schedule is the caller's.
      prepare: async (p) => ({
        path: '/api/v1/schedules',
        body: { name: `new-${++seq}`, cron: '0 0 1 1 *', jobType: 'noop', ...(p === 'memberB' ? { ownerId: w.a.id } : {}) },
      }),
      check: (p, res) => {
        const as = actsAs(p, 'schedules:write');
        expect(res.body.ownerId).toBe(as === 'A' ? w.a.id : as === 'B' ? w.b.id : w.adminId);
      },
    },
    'GET /api/v1/schedules': {
      need: 'schedules:read',
      ok: 200,
      prepare: async () => ({ path: `/api/v1/schedules?limit=500` }),
      check: (p, res) => {
        const as = actsAs(p, 'schedules:read');
        if (as !== 'admin') for (const s of res.body.schedules) expect(s.ownerId).toBe(as === 'A' ? w.a.id : w.b.id);
      },
    },
    'POST /api/v1/schedules/preview': {
      need: 'schedules:read',
      ok: 200,
      prepare: async () => ({ path: '/api/v1/schedules/preview', body: { cron: '*/5 * * * *', count: 2 } }),
    },
    'GET /api/v1/schedules/{id}': {
      need: 'schedules:read',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        return { path: `/api/v1/schedules/${id}`, snapshot: scheduleSnapshot(id) };
      },
    },
    'PATCH /api/v1/schedules/{id}': {
      need: 'schedules:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        return {
          path: `/api/v1/schedules/${id}`,
          body: { description: 'changed', cron: '0 0 2 1 *' },
          snapshot: scheduleSnapshot(id),
        };
      },
    },
    'DELETE /api/v1/schedules/{id}': {
      need: 'schedules:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        return { path: `/api/v1/schedules/${id}`, snapshot: scheduleSnapshot(id) };
      },
    },
    'POST /api/v1/schedules/{id}/pause': {
      need: 'schedules:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        return { path: `/api/v1/schedules/${id}/pause`, snapshot: scheduleSnapshot(id) };
      },
    },
    'POST /api/v1/schedules/{id}/resume': {
      need: 'schedules:write',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        await call(h, 'POST', `/api/v1/schedules/${id}/pause`, { token: w.a.token });
        return { path: `/api/v1/schedules/${id}/resume`, snapshot: scheduleSnapshot(id) };
      },
    },
    'POST /api/v1/schedules/{id}/trigger': {
      need: 'schedules:write',
      owned: true,
      ok: 201,
      prepare: async () => {
        const id = await scheduleOfA();
        return { path: `/api/v1/schedules/${id}/trigger`, snapshot: scheduleSnapshot(id) };
      },
    },
    'GET /api/v1/schedules/{id}/runs': {
      need: 'schedules:read',
      owned: true,
      ok: 200,
      prepare: async () => {
        const id = await scheduleOfA();
        return { path: `/api/v1/schedules/${id}/runs`, snapshot: scheduleSnapshot(id) };
      },
    },
    // ---------------------------------------------------------------- health and metrics (public)
    'GET /api/v1/healthz': { need: 'public', ok: 200, prepare: async () => ({ path: '/api/v1/healthz' }) },
    'GET /api/v1/readyz': { need: 'public', ok: 200, prepare: async () => ({ path: '/api/v1/readyz' }) },
    'GET /api/v1/metrics': { need: 'public', ok: 200, prepare: async () => ({ path: '/api/v1/metrics' }) },
    'GET /healthz': { need: 'public', ok: 200, prepare: async () => ({ path: '/healthz' }) },
    'GET /readyz': { need: 'public', ok: 200, prepare: async () => ({ path: '/readyz' }) },
    'GET /metrics': { need: 'public', ok: 200, prepare: async () => ({ path: '/metrics' }) },
  };

  /** The expected outcome of a cell: a status, and for refusals the accepted error codes. */
  function expected(spec: RouteSpec, p: PrincipalName): { status: number; codes?: string[] } {
    if (spec.need === 'public') return { status: spec.ok };
    if (p === 'anonymous') return { status: 401, codes: ['UNAUTHENTICATED'] };
    const refused = REFUSED[p];
    if (refused) return { status: 401, codes: refused };
    const as = actsAs(p, spec.need);
    if (spec.need === 'admin') {
      return p === 'admin' || p === 'keyWithScope' ? { status: spec.ok } : { status: 403, codes: ['FORBIDDEN'] };
    }
    if (spec.need !== 'signedIn' && p === 'keyWithoutScope') return { status: 403, codes: ['FORBIDDEN'] };
    if (spec.sessionOnly && (p === 'keyWithScope' || p === 'keyWithoutScope')) return { status: 403, codes: ['FORBIDDEN'] };
    if (spec.owned && as === 'B') return { status: 404 };
    return { status: spec.ok };
  }

  beforeAll(async () => {
    h = await startHarness();
    w = await buildWorld(h);
    victimId = (await newMember(h, 'victim')).id;
    const lu = await newMember(h, 'login');
    loginUser = { email: lu.email, password: lu.password };
    worker = h.fleet.createWorker({ concurrency: 2, pollIntervalMs: 100 });
    await worker.start();
    // Dead letters of A: one listed, one per principal to replay.
    const dead = await Promise.all(
      Array.from({ length: PRINCIPALS.length + 1 }, () =>
        h.fleet.client.enqueue('flaky', { permanent: true }, { ownerId: w.a.id }),
      ),
    );
    deadJobOfA = dead[0]!.id;
    deadPool = dead.slice(1).map((j) => j.id);
    await waitFor(async () => (await Promise.all(dead.map((j) => h.fleet.client.get(j.id)))).every((j) => j?.status === 'DEAD'), {
      what: 'dead jobs',
      timeoutMs: 20_000,
      intervalMs: 100,
    });
    await worker.stop({ graceMs: 500 });
  }, 60_000);
  afterAll(async () => {
    await h?.close();
  });

  it('has an expectation for every route of the server (route table and OpenAPI)', async () => {
    const routes = routeTable(h.app.printRoutes({ commonPrefix: false }));
    expect(routes.length).toBeGreaterThan(40);
    const missing = routes.filter((r) => !SPECS[r] && !NON_API_ROUTES.has(r));
    expect(missing, 'routes without an authorization expectation').toEqual([]);
    // Every documented operation is in the route table too.
    const doc = (await req('GET', '/openapi.json', {})).body as { paths: Record<string, Record<string, unknown>> };
    const documented = Object.entries(doc.paths).flatMap(([path, ops]) =>
      Object.keys(ops).map((m) => `${m.toUpperCase()} ${path}`),
    );
    for (const d of documented) expect(routes, d).toContain(d);
    for (const s of Object.keys(SPECS)) expect(routes, `stale expectation ${s}`).toContain(s);
  });

  it('REST: every route × every principal is allowed or refused as expected', async () => {
    const failures: string[] = [];
    for (const [route, spec] of Object.entries(SPECS)) {
      const [method, template] = route.split(' ') as [string, string];
      for (const p of PRINCIPALS) {
        const prep = await spec.prepare(p);
        expect(prep.path.split('?')[0]!.replace(/[0-9a-f-]{36}|authz-q/g, '{x}')).toBe(template.replace(/\{\w+\}/g, '{x}'));
        const before = prep.snapshot ? await prep.snapshot() : undefined;
        if (route === 'POST /api/v1/dead-letters/replay') deadBeforeB = before;
        const res = await req(method, prep.path, headers(p, spec.need), prep.body);
        const exp = expected(spec, p);
        const cell = `${route} as ${p}: expected ${exp.status}${exp.codes ? ` ${exp.codes.join('|')}` : ''}, got ${res.status} ${res.text.slice(0, 200)}`;
        cells.push(route + ' ' + p);
        if (res.status !== exp.status) {
          failures.push(cell);
          continue;
        }
        const leak = leaks(res.text);
        if (leak) failures.push(`${cell} — leaks ${leak}`);
        if (res.status >= 400) {
          if (typeof res.body?.error?.code !== 'string' || typeof res.body?.error?.message !== 'string')
            failures.push(`${cell} — bad error shape`);
          else if (exp.codes && !exp.codes.includes(res.body.error.code)) failures.push(cell);
          // Refused or hidden: A's data is unchanged.
          if (prep.snapshot) {
            const after = await prep.snapshot();
            if (JSON.stringify(after) !== JSON.stringify(before))
              failures.push(`${cell} — data changed: ${JSON.stringify(before)} → ${JSON.stringify(after)}`);
          }
        } else if (spec.check) {
          try {
            await spec.check(p, res, prep);
          } catch (err) {
            failures.push(`${cell} — ${(err as Error).message}`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(cells.length).toBe(Object.keys(SPECS).length * PRINCIPALS.length);
  }, 90_000);

  it('API keys: a key may revoke itself, an admin key may manage keys, and nobody can grant what they lack', async () => {
    const self = await createKey(h, w.a.token, ['jobs:read'], 'self-revoking');
    expect((await req('DELETE', `/api/v1/api-keys/${self.id}`, { 'x-api-key': self.key })).status).toBe(200);
    expect((await req('GET', '/api/v1/jobs', { 'x-api-key': self.key })).body.error.code).toBe('API_KEY_REVOKED');
    const made = await req(
      'POST',
      '/api/v1/api-keys',
      { 'x-api-key': w.adminKeyWith },
      { name: 'by-admin-key', scopes: ['jobs:read'] },
    );
    expect(made.status).toBe(201);
    expect((await req('DELETE', `/api/v1/api-keys/${made.body.apiKey.id}`, { 'x-api-key': w.adminKeyWith })).status).toBe(200);
    // A member cannot grant admin; an admin's non-admin key cannot mint keys at all.
    expect(
      (await req('POST', '/api/v1/api-keys', { authorization: `Bearer ${w.a.token}` }, { name: 'x', scopes: ['admin'] })).status,
    ).toBe(403);
    expect(
      (await req('POST', '/api/v1/api-keys', { 'x-api-key': w.adminKeyWithout }, { name: 'x', scopes: ['jobs:read'] })).status,
    ).toBe(403);
  });

  // ------------------------------------------------------------------ GraphQL
  interface OpSpec {
    need: Need;
    owned?: boolean;
    /** user(id): self or admin; another member gets FORBIDDEN. */
    selfOrAdmin?: boolean;
    prepare(p: PrincipalName): Promise<{ query: string; variables?: Record<string, unknown>; snapshot?: () => Promise<unknown> }>;
  }
  const JOB = '{ id ownerId status }';
  const SCHED = '{ id ownerId isActive description }';
  const OPS: Record<string, OpSpec> = {
    'Query.me': { need: 'signedIn', prepare: async () => ({ query: '{ me { id } }' }) },
    'Query.user': {
      need: 'signedIn',
      selfOrAdmin: true,
      prepare: async () => ({ query: 'query($id: ID) { user(id: $id) { id email } }', variables: { id: w.a.id } }),
    },
    'Query.users': { need: 'admin', prepare: async () => ({ query: '{ users { id } }' }) },
    'Query.jobTypes': { need: 'jobs:read', prepare: async () => ({ query: '{ jobTypes { name } }' }) },
    'Query.jobType': { need: 'jobs:read', prepare: async () => ({ query: '{ jobType(name: "noop") { name } }' }) },
    'Query.jobs': { need: 'jobs:read', prepare: async () => ({ query: `{ jobs(first: 500) { nodes ${JOB} } }` }) },
    'Query.job': {
      need: 'jobs:read',
      owned: true,
      prepare: async () => {
        const id = await jobOfA();
        return { query: `query($id: ID!) { job(id: $id) ${JOB} }`, variables: { id }, snapshot: jobSnapshot(id) };
      },
    },
    'Query.queues': { need: 'jobs:read', prepare: async () => ({ query: '{ queues { name } }' }) },
    'Query.schedules': {
      need: 'schedules:read',
      prepare: async () => ({ query: `{ schedules(first: 500) { nodes ${SCHED} } }` }),
    },
    'Query.schedule': {
      need: 'schedules:read',
      owned: true,
      prepare: async () => {
        const id = await scheduleOfA();
        return { query: `query($id: ID!) { schedule(id: $id) ${SCHED} }`, variables: { id }, snapshot: scheduleSnapshot(id) };
      },
    },
    'Query.scheduleRuns': {
      need: 'schedules:read',
      owned: true,
      prepare: async () => {
        const id = await scheduleOfA();
        return { query: `query($id: ID!) { scheduleRuns(id: $id) { nextCursor } }`, variables: { id } };
      },
    },
    'Query.previewSchedule': {
      need: 'schedules:read',
      prepare: async () => ({ query: '{ previewSchedule(cron: "0 * * * *", count: 2) }' }),
    },
    'Mutation.login': {
      need: 'public',
      prepare: async () => ({
        query: 'mutation($i: LoginInput) { login(input: $i) { token user { id } } }',
        variables: { i: loginUser },
      }),
    },
    'Mutation.createUser': {
      need: 'admin',
      prepare: async () => ({
        query: 'mutation($i: CreateUserInput) { createUser(input: $i) { id } }',
        variables: { i: { email: `gql.${++seq}@example.com`, password: 'password123' } },
      }),
    },
    'Mutation.executeJob': {
      need: 'jobs:write',
      prepare: async () => ({
        query: `mutation { executeJob(input: { name: "noop", options: { delay: 3600000 } }) ${JOB} }`,
      }),
    },
    'Mutation.cancelJob': {
      need: 'jobs:write',
      owned: true,
      prepare: async () => {
        const id = await jobOfA();
        return { query: `mutation($id: ID!) { cancelJob(id: $id) ${JOB} }`, variables: { id }, snapshot: jobSnapshot(id) };
      },
    },
    'Mutation.retryJob': {
      need: 'jobs:write',
      owned: true,
      prepare: async () => {
        const id = await jobOfA('cancelled');
        return { query: `mutation($id: ID!) { retryJob(id: $id) ${JOB} }`, variables: { id }, snapshot: jobSnapshot(id) };
      },
    },
    'Mutation.pauseQueue': {
      need: 'admin',
      prepare: async () => ({ query: 'mutation { pauseQueue(name: "authz-g") { name } }' }),
    },
    'Mutation.resumeQueue': {
      need: 'admin',
      prepare: async () => ({ query: 'mutation { resumeQueue(name: "authz-g") { name } }' }),
    },
    'Mutation.createSchedule': {
      need: 'schedules:write',
      prepare: async () => ({
        query: `mutation($i: CreateScheduleInput!) { createSchedule(input: $i) ${SCHED} }`,
        variables: { i: { name: `g-${++seq}`, cron: '0 0 1 1 *', jobType: 'noop' } },
      }),
    },
    'Mutation.updateSchedule': {
      need: 'schedules:write',
      owned: true,
      prepare: async () => {
        const id = await scheduleOfA();
        return {
          query: `mutation($id: ID!) { updateSchedule(id: $id, input: { description: "changed" }) ${SCHED} }`,
          variables: { id },
          snapshot: scheduleSnapshot(id),
        };
      },
    },
    ...Object.fromEntries(
      (['pauseSchedule', 'resumeSchedule', 'deleteSchedule'] as const).map((m) => [
        `Mutation.${m}`,
        {
          need: 'schedules:write' as const,
          owned: true,
          prepare: async () => {
            const id = await scheduleOfA();
            return { query: `mutation($id: ID!) { ${m}(id: $id) { id } }`, variables: { id }, snapshot: scheduleSnapshot(id) };
          },
        },
      ]),
    ),
    'Mutation.triggerSchedule': {
      need: 'schedules:write',
      owned: true,
      prepare: async () => {
        const id = await scheduleOfA();
        return {
          query: `mutation($id: ID!) { triggerSchedule(id: $id) { id } }`,
          variables: { id },
          snapshot: scheduleSnapshot(id),
        };
      },
    },
  };

  it('has an expectation for every GraphQL query and mutation of the schema', () => {
    const schema = buildSchema(typeDefs);
    const ops = [
      ...Object.keys(schema.getQueryType()!.getFields()).map((f) => `Query.${f}`),
      ...Object.keys(schema.getMutationType()!.getFields()).map((f) => `Mutation.${f}`),
    ].sort();
    expect(ops.filter((o) => !OPS[o])).toEqual([]);
    expect(Object.keys(OPS).filter((o) => !ops.includes(o))).toEqual([]);
    // Subscriptions (jobUpdated) run over WebSocket: covered by graphql.test.ts (auth in connection_init).
    expect(Object.keys(schema.getSubscriptionType()!.getFields())).toEqual(['jobUpdated']);
  });

  it('GraphQL: every query and mutation × every principal is allowed or refused as expected', async () => {
    const failures: string[] = [];
    let n = 0;
    for (const [op, spec] of Object.entries(OPS)) {
      for (const p of PRINCIPALS) {
        const prep = await spec.prepare(p);
        const before = prep.snapshot ? await prep.snapshot() : undefined;
        const res = await req('POST', '/graphql', headersFor(w, p, spec.need), { query: prep.query, variables: prep.variables });
        n++;
        const codes: string[] = (res.body?.errors ?? []).map((e: { extensions?: { code?: string } }) => e.extensions?.code);
        const reason: string[] = (res.body?.errors ?? []).map((e: { extensions?: { reason?: string } }) => e.extensions?.reason);
        let want: string | null; // null: success
        let wantReason: string[] | undefined;
        const as = actsAs(p, spec.need);
        if (spec.need === 'public') want = null;
        else if (p === 'anonymous') want = 'UNAUTHENTICATED';
        else if (REFUSED[p]) {
          want = 'UNAUTHENTICATED';
          wantReason = REFUSED[p];
        } else if (spec.need === 'admin') want = p === 'admin' || p === 'keyWithScope' ? null : 'FORBIDDEN';
        else if (spec.need !== 'signedIn' && p === 'keyWithoutScope') want = 'FORBIDDEN';
        else if (spec.selfOrAdmin) want = as === 'B' ? 'FORBIDDEN' : null;
        else if (spec.owned && as === 'B') want = 'NOT_FOUND';
        else want = null;
        const cell = `${op} as ${p}: expected ${want ?? 'data'}, got ${res.status} ${res.text.slice(0, 200)}`;
        const leak = leaks(res.text);
        if (leak) failures.push(`${cell} — leaks ${leak}`);
        if (res.status >= 500) failures.push(cell);
        if (want === null) {
          if (codes.length) failures.push(cell);
          const field = op.split('.')[1] as string;
          if (res.body?.data?.[field] === undefined) failures.push(`${cell} — no data`);
          const v = res.body?.data?.[field];
          // Owner isolation on lists and creations.
          const mine = as === 'A' ? w.a.id : as === 'B' ? w.b.id : null;
          if (mine && v?.nodes)
            for (const node of v.nodes) if (node.ownerId !== mine) failures.push(`${cell} — sees ${node.ownerId}`);
          if (
            mine &&
            v &&
            typeof v === 'object' &&
            'ownerId' in v &&
            (op === 'Mutation.executeJob' || op === 'Mutation.createSchedule') &&
            v.ownerId !== mine
          )
            failures.push(`${cell} — owner ${v.ownerId}`);
        } else {
          if (codes[0] !== want) failures.push(cell);
          if (wantReason && !wantReason.includes(reason[0] as string)) failures.push(`${cell} — reason ${reason[0]}`);
          if (prep.snapshot) {
            const after = await prep.snapshot();
            if (JSON.stringify(after) !== JSON.stringify(before)) failures.push(`${cell} — data changed`);
          }
        }
      }
    }
    expect(failures).toEqual([]);
    expect(n).toBe(Object.keys(OPS).length * PRINCIPALS.length);
  }, 90_000);
});
