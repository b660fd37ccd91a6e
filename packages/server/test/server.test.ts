import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import pino from 'pino';
import { Jobfleet, JobsLostError } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor } from '@jobfleet/core/testing';
import { exampleJobTypes } from '@jobfleet/examples';
import { call, newMember, startHarness, TEST_SECRET, type Harness } from './helpers.ts';
import { CredentialCache } from '../src/auth/credential-cache.ts';
import { RecentMap } from '../src/recent-map.ts';
import {
  buildServer,
  createAuthService,
  isDatabaseUnavailable,
  loadServerConfig,
  LoginThrottle,
  toErrorResponse,
} from '../src/index.ts';

describe('embedded PGlite smoke', () => {
  let h: Harness;
  let dir: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'jobfleet-dash-'));
    writeFileSync(join(dir, 'index.html'), '<!doctype html><title>Jobfleet dashboard</title><div id="root"></div>');
    writeFileSync(join(dir, 'app.js'), 'console.log("dashboard")');
    h = await startHarness({ pglite: true, config: { dashboardDir: dir, corsOrigins: ['https://ui.example.com'] } });
  });
  afterAll(async () => {
    await h?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('register, login, enqueue, run with a worker, read the result', async () => {
    const m = await newMember(h);
    const r = await call(h, 'POST', '/api/v1/jobs', { token: m.token, body: { type: 'Fibonacci', payload: { iterations: 10 } } });
    expect(r.status).toBe(201);
    const w = h.fleet.createWorker({ concurrency: 1 });
    await w.start();
    try {
      const done = await waitFor(async () => {
        const g = await call(h, 'GET', `/api/v1/jobs/${r.body.id}`, { token: m.token });
        return g.body.status === 'COMPLETED' ? g.body : null;
      });
      expect(done.result).toEqual({ iterations: 10, sequence: [0, 1, 1, 2, 3, 5, 8, 13, 21, 34], last: 34 });
    } finally {
      await w.stop({ graceMs: 500 });
    }
    expect((await call(h, 'GET', '/readyz')).body).toMatchObject({ status: 'ready', database: 'pglite' });
  });

  it('closing the server ends open event streams', async () => {
    const m = await newMember(h);
    const job = await call(h, 'POST', '/api/v1/jobs', {
      token: m.token,
      body: { type: 'noop', options: { queue: 'nobody-serves' } },
    });
    const config = { ...h.config, dashboardDir: undefined };
    const app2 = await buildServer({ fleet: h.fleet, auth: h.auth, config, logger: pino({ level: 'silent' }) });
    await app2.listen({ port: 0, host: '127.0.0.1' });
    const port = (app2.server.address() as { port: number }).port;
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/jobs/${job.body.id}/events`, {
      headers: { authorization: `Bearer ${m.token}` },
    });
    const reader = (res.body as ReadableStream<Uint8Array>).getReader();
    const first = new TextDecoder().decode((await reader.read()).value);
    expect(first).toMatch(/retry: 3000|event: state/);
    const t0 = Date.now();
    await app2.close();
    expect(Date.now() - t0).toBeLessThan(5000);
    for (;;) if ((await reader.read()).done) break;
  });

  it('serves the dashboard with an SPA fallback, but not for API paths', async () => {
    const root = await fetch(`${h.base}/`);
    expect(root.status).toBe(200);
    expect(await root.text()).toMatch(/Jobfleet dashboard/);
    const deep = await fetch(`${h.base}/jobs/123/details`, { headers: { accept: 'text/html' } });
    expect(deep.status).toBe(200);
    expect(await deep.text()).toMatch(/Jobfleet dashboard/);
    const asset = await fetch(`${h.base}/app.js`);
    expect(asset.status).toBe(200);
    expect(await asset.text()).toMatch(/dashboard/);
    const missingAsset = await fetch(`${h.base}/missing.js`);
    expect(missingAsset.status).toBe(404);
    const api = await call(h, 'GET', '/api/v1/unknown');
    expect(api.status).toBe(404);
    expect(api.body.error.code).toBe('NOT_FOUND');
    const post = await call(h, 'POST', '/somewhere', { body: {} });
    expect(post.status).toBe(404);
  });

  it('CORS: allows the configured origin only', async () => {
    const ok = await fetch(`${h.base}/api/v1/jobs`, {
      method: 'OPTIONS',
      headers: {
        origin: 'https://ui.example.com',
        'access-control-request-method': 'POST',
        'access-control-request-headers': 'authorization,content-type',
      },
    });
    expect(ok.headers.get('access-control-allow-origin')).toBe('https://ui.example.com');
    expect(ok.headers.get('access-control-allow-credentials')).toBe('true');
    const evil = await fetch(`${h.base}/healthz`, { headers: { origin: 'https://evil.example.com' } });
    expect(evil.headers.get('access-control-allow-origin')).toBeNull();
  });
});

describe.runIf(pgAvailable)('rate limits and metrics protection', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ listen: false, config: { rateLimitPerMinute: 5, metricsPublic: false } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('limits requests per principal: the 6th in a minute is 429 RATE_LIMITED, other users unaffected', async () => {
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: h.admin });
    const token = login.json().token;
    const headers = { authorization: `Bearer ${token}` };
    for (let i = 0; i < 5; i++)
      expect((await h.app.inject({ method: 'GET', url: '/api/v1/queues', headers })).statusCode).toBe(200);
    const limited = await h.app.inject({ method: 'GET', url: '/api/v1/queues', headers });
    expect(limited.statusCode).toBe(429);
    expect(limited.json().error.code).toBe('RATE_LIMITED');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    // Another user has a budget of their own.
    await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/register',
      payload: { email: 'other@example.com', password: 'password123' },
    });
    const other = await h.app.inject({
      method: 'POST',
      url: '/api/v1/auth/login',
      payload: { email: 'other@example.com', password: 'password123' },
    });
    expect(other.statusCode).toBe(200);
    const otherRes = await h.app.inject({
      method: 'GET',
      url: '/api/v1/queues',
      headers: { authorization: `Bearer ${other.json().token}` },
    });
    expect(otherRes.statusCode).toBe(200);
    // Health stays reachable.
    expect((await h.app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
  });

  it('login and register are limited per IP', async () => {
    const codes: number[] = [];
    for (let i = 0; i < 8; i++) {
      const r = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/register',
        payload: { email: `u${i}@example.com`, password: 'password123' },
        remoteAddress: '10.9.9.9',
      });
      codes.push(r.statusCode);
    }
    expect(codes.slice(0, 5).every((c) => c === 201)).toBe(true);
    expect(codes.slice(5).every((c) => c === 429)).toBe(true);
  });

  it('metricsPublic=false: /metrics needs an admin', async () => {
    expect((await h.app.inject({ method: 'GET', url: '/metrics' })).statusCode).toBe(401);
    const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: h.admin, remoteAddress: '10.1.1.1' });
    const r = await h.app.inject({ method: 'GET', url: '/metrics', headers: { authorization: `Bearer ${login.json().token}` } });
    expect(r.statusCode).toBe(200);
    expect(r.body).toMatch(/jobfleet_http_requests_total/);
  });
});

describe.runIf(pgAvailable)('logging', () => {
  it('logs requests with their id and user, never passwords, tokens or keys', async () => {
    const lines: string[] = [];
    const logger = pino({ level: 'info' }, { write: (s: string) => void lines.push(s) });
    const h = await startHarness({ logger, listen: false });
    try {
      const login = await h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: h.admin });
      const token = login.json().token as string;
      const key = await h.app.inject({
        method: 'POST',
        url: '/api/v1/api-keys',
        payload: { name: 'k', scopes: ['jobs:read'] },
        headers: { authorization: `Bearer ${token}` },
      });
      const apiKey = key.json().key as string;
      await h.app.inject({ method: 'GET', url: '/api/v1/jobs', headers: { 'x-api-key': apiKey, 'x-request-id': 'req-abc-123' } });
      await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: h.admin.email, password: 'wrong-password-xyz' },
      });
      const all = lines.join('');
      expect(all).toMatch(/req-abc-123/);
      const me = (
        await h.app.inject({ method: 'GET', url: '/api/v1/auth/me', headers: { authorization: `Bearer ${token}` } })
      ).json();
      expect(lines.some((l) => l.includes('req-abc-123') && l.includes(me.id))).toBe(true);
      for (const secret of [h.admin.password, token, apiKey, 'wrong-password-xyz', login.json().refreshToken])
        expect(all).not.toContain(secret);
    } finally {
      await h.close();
    }
  });
});

describe('database unreachable', () => {
  it('answers 503 DATABASE_UNAVAILABLE without leaking details; readiness fails', async () => {
    const fleet = await Jobfleet.open({
      databaseUrl: 'postgres://postgres@127.0.0.1:1/nowhere',
      migrate: false,
      relayEvents: false,
      jobTypes: exampleJobTypes,
    });
    const config = loadServerConfig({});
    const auth = createAuthService({ fleet, config, secret: TEST_SECRET });
    const app = await buildServer({ fleet, auth, config, logger: pino({ level: 'silent' }) });
    try {
      const login = await app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'a@example.com', password: 'password123' },
      });
      expect(login.statusCode).toBe(503);
      expect(login.json().error.code).toBe('DATABASE_UNAVAILABLE');
      expect(login.body).not.toMatch(/ECONNREFUSED|127\.0\.0\.1|\.ts:/);
      const withKey = await app.inject({ method: 'GET', url: '/api/v1/jobs', headers: { 'x-api-key': 'jf_' + 'a'.repeat(43) } });
      expect(withKey.statusCode).toBe(503);
      const ready = await app.inject({ method: 'GET', url: '/readyz' });
      expect(ready.statusCode).toBe(503);
      expect(ready.json().error.code).toBe('DATABASE_UNAVAILABLE');
      expect((await app.inject({ method: 'GET', url: '/healthz' })).statusCode).toBe(200);
    } finally {
      await app.close();
      await fleet.close();
    }
  });
});

describe.runIf(pgAvailable)('readiness with pending migrations', () => {
  it('is 503 MIGRATIONS_PENDING when the server tables are missing', async () => {
    const db = await createTestDatabase('jobfleet_srv');
    const fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: exampleJobTypes }); // core migrations only
    const config = loadServerConfig({});
    const app = await buildServer({
      fleet,
      auth: createAuthService({ fleet, config, secret: TEST_SECRET }),
      config,
      logger: pino({ level: 'silent' }),
    });
    try {
      const r = await app.inject({ method: 'GET', url: '/readyz' });
      expect(r.statusCode).toBe(503);
      expect(r.json().error).toMatchObject({ code: 'MIGRATIONS_PENDING', details: { pendingMigrations: ['server/0001_auth'] } });
    } finally {
      await app.close();
      await fleet.close();
      await db.drop();
    }
  });
});

describe('units', () => {
  it('loadServerConfig: defaults, parsing, and refusals', () => {
    expect(loadServerConfig({})).toEqual({
      openRegistration: true,
      accessTokenTtl: 900,
      refreshTokenTtl: 2_592_000,
      corsOrigins: [],
      bodyLimit: 1_048_576,
      rateLimitPerMinute: 6000,
      secureCookies: false,
      dashboardDir: undefined,
      metricsPublic: true,
      authCacheMs: 2000,
      trustProxy: false,
    });
    const c = loadServerConfig({
      JOBFLEET_OPEN_REGISTRATION: 'no',
      JOBFLEET_ACCESS_TOKEN_TTL: '60',
      JOBFLEET_CORS_ORIGINS: 'https://a.example, https://b.example ,',
      JOBFLEET_SECURE_COOKIES: 'true',
      JOBFLEET_DASHBOARD_DIR: './dist',
      JOBFLEET_METRICS_PUBLIC: '0',
      JOBFLEET_TRUST_PROXY: '10.0.0.0/8, 127.0.0.1',
    });
    expect(c).toMatchObject({
      openRegistration: false,
      accessTokenTtl: 60,
      corsOrigins: ['https://a.example', 'https://b.example'],
      secureCookies: true,
      dashboardDir: './dist',
      metricsPublic: false,
    });
    expect(() => loadServerConfig({ JOBFLEET_BODY_LIMIT: 'lots' })).toThrow(/JOBFLEET_BODY_LIMIT/);
    expect(() => loadServerConfig({ JOBFLEET_SECURE_COOKIES: 'maybe' })).toThrow(/JOBFLEET_SECURE_COOKIES/);
    expect(loadServerConfig({ JOBFLEET_AUTH_CACHE_MS: '0' }).authCacheMs).toBe(0);
    expect(() => loadServerConfig({ JOBFLEET_AUTH_CACHE_MS: '600000' })).toThrow(/JOBFLEET_AUTH_CACHE_MS/);
    expect(() => loadServerConfig({ JOBFLEET_AUTH_CACHE_MS: '-1' })).toThrow(/JOBFLEET_AUTH_CACHE_MS/);
  });

  it('CredentialCache: ttl, oldest out when full, and no stale store after a clear', () => {
    const c = new CredentialCache<string>(1000, 2);
    c.set('a', 'A', c.ticket(), 0);
    expect(c.get('a', 999)).toBe('A');
    expect(c.get('a', 1000)).toBeUndefined();
    c.set('a', 'A', c.ticket(), 0);
    c.set('b', 'B', c.ticket(), 0);
    c.set('c', 'C', c.ticket(), 0);
    expect([c.get('a', 1), c.get('b', 1), c.get('c', 1)]).toEqual([undefined, 'B', 'C']);
    // A lookup that began before a change (clear) must not store what it read.
    const ticket = c.ticket();
    c.clear();
    c.set('d', 'D', ticket, 0);
    expect(c.get('d', 1)).toBeUndefined();
    c.set('d', 'D', c.ticket(), 0);
    expect(c.get('d', 1)).toBe('D');
    const off = new CredentialCache<string>(0);
    off.set('x', 'X', off.ticket());
    expect(off.get('x')).toBeUndefined();
  });

  it('RecentMap: keeps the most recent keys, never more than its bound, forgetting the oldest', () => {
    const m = new RecentMap<string, number>(1000);
    for (let i = 0; i < 10_000; i++) {
      m.set(`k${i}`, i);
      expect(m.size).toBeLessThanOrEqual(1000);
    }
    expect(m.size).toBeGreaterThanOrEqual(500);
    // The last 500 set are always there; the first ones are gone.
    for (let i = 9_500; i < 10_000; i++) expect(m.get(`k${i}`)).toBe(i);
    expect(m.get('k0')).toBeUndefined();
    expect(m.get('k8999')).toBeUndefined();
    // Setting a key again makes it recent (it survives the rotations that drop its old slot).
    m.set('k9500', -1);
    for (let i = 10_000; i < 10_499; i++) m.set(`k${i}`, i);
    expect(m.get('k9500')).toBe(-1);
    expect(m.get('k9501')).toBeUndefined();
    expect(m.delete('k9500')).toBe(true);
    expect(m.delete('k9500')).toBe(false);
    expect(m.get('k9500')).toBeUndefined();
    // A stored undefined is found in the young map rather than falling through to the old one.
    const u = new RecentMap<string, number | undefined>(4);
    u.set('a', 1);
    u.set('b', 2);
    u.set('a', undefined);
    expect(u.get('a')).toBeUndefined();
    expect(u.size).toBeLessThanOrEqual(4);
  });

  it('LoginThrottle: five free failures, then exponential locks; success clears', () => {
    const t = new LoginThrottle({ baseLockMs: 1000 });
    const now = 1_000_000;
    for (let i = 0; i < 4; i++) expect(t.fail('k', now)).toBe(0);
    expect(t.check('k', now)).toBe(0);
    expect(t.fail('k', now)).toBe(1000);
    expect(t.check('k', now + 500)).toBe(500);
    expect(t.fail('k', now + 1000)).toBe(2000);
    expect(t.fail('k', now + 3000)).toBe(4000);
    expect(t.check('other', now)).toBe(0);
    t.succeed('k');
    expect(t.check('k', now + 3000)).toBe(0);
  });

  it('maps errors: database outages, core errors, unknown errors without internals', () => {
    expect(isDatabaseUnavailable(Object.assign(new Error('x'), { code: '57P01' }))).toBe(true);
    expect(isDatabaseUnavailable(new AggregateError([Object.assign(new Error('c'), { code: 'ECONNREFUSED' })]))).toBe(true);
    expect(isDatabaseUnavailable(Object.assign(new Error('dup'), { code: '23505' }))).toBe(false);
    // A direct start the database lost before its flush (a restart): worth submitting again.
    const lost = toErrorResponse(new JobsLostError(1, 1));
    expect(lost).toMatchObject({ status: 503, body: { error: { code: 'ENQUEUE_LOST', details: { lost: 1, of: 1 } } } });
    const internal = toErrorResponse(new Error('secret internals at /srv/app.ts:12'));
    expect(internal.status).toBe(500);
    expect(JSON.stringify(internal.body)).not.toMatch(/secret|app\.ts/);
  });

  it('createAuthService refuses a short configured secret at once', () => {
    const fleet = { db: {} as never, schema: 'jobfleet' };
    expect(() => createAuthService({ fleet, config: loadServerConfig({}), secret: 'short' })).toThrow(/at least 32/);
  });
});
