/**
 * Hardening: security headers on API, docs, GraphQL and dashboard responses; cookie attributes (HttpOnly,
 * SameSite, Secure with secureCookies); brute-force throttling (429 + Retry-After); argon2id password
 * hashes with sound parameters; and no secret (password, access or refresh token, API key, JWT secret,
 * password hash) anywhere in the server's logs during a session of logins, refreshes, failures and API keys.
 */
import { Writable } from 'node:stream';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable } from '@jobfleet/core/testing';
import { REDACT_PATHS } from '../../src/index.ts';
import { adminToken, call, newMember, startHarness, type Harness } from '../helpers.ts';

const DASHBOARD_DIR = resolve(fileURLToPath(new URL('.', import.meta.url)), '../../../dashboard/dist');
const LOG_SECRET = 'log-test-secret-ZQ8v1mK3pX7wR2nT5yB9cD4fG6hJ0kL';

function headerChecks(headers: Headers, what: string, opts: { hsts?: boolean } = {}) {
  const csp = headers.get('content-security-policy') ?? '';
  expect(csp, `${what}: CSP`).toMatch(/default-src 'self'/);
  expect(csp, `${what}: CSP frame-ancestors`).toMatch(/frame-ancestors 'none'/);
  expect(csp, `${what}: CSP object-src`).toMatch(/object-src 'none'/);
  expect(headers.get('x-content-type-options'), `${what}: nosniff`).toBe('nosniff');
  expect(['DENY', 'SAMEORIGIN'], `${what}: X-Frame-Options`).toContain(headers.get('x-frame-options'));
  expect(headers.get('referrer-policy'), `${what}: Referrer-Policy`).toBe('no-referrer');
  expect(headers.get('cross-origin-opener-policy'), `${what}: COOP`).toBe('same-origin');
  expect(headers.get('x-powered-by'), `${what}: X-Powered-By`).toBeNull();
  if (opts.hsts) expect(headers.get('strict-transport-security'), `${what}: HSTS`).toMatch(/max-age=\d{7,}/);
  else expect(headers.get('strict-transport-security'), `${what}: no HSTS without TLS`).toBeNull();
}

describe.runIf(pgAvailable)('hardening (real PostgreSQL)', () => {
  // ---------------------------------------------------------------- headers and cookies, plain HTTP
  describe('headers and cookies (secureCookies off)', () => {
    let h: Harness;
    beforeAll(async () => {
      h = await startHarness({ config: { dashboardDir: DASHBOARD_DIR } });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('sends the security headers on API, error, docs, GraphQL and dashboard responses', async () => {
      const m = await newMember(h, 'hdr');
      const paths: [string, RequestInit, string][] = [
        ['/api/v1/healthz', {}, 'API'],
        ['/api/v1/jobs', { headers: { authorization: `Bearer ${m.token}` } }, 'API (authenticated)'],
        ['/api/v1/jobs', {}, 'API 401'],
        ['/api/v1/nope', {}, 'API 404'],
        ['/api/v1/jobs/%ED%A0%80', { headers: { authorization: `Bearer ${m.token}` } }, 'bad URL'],
        [`/api/v1/jobs/${'a'.repeat(300)}`, { headers: { authorization: `Bearer ${m.token}` } }, 'over-long path parameter'],
        ['/api/v1/jobs', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{' }, 'malformed JSON'],
        ['/openapi.json', {}, 'OpenAPI'],
        ['/docs', {}, 'Swagger UI'],
        ['/docs/static/index.html', {}, 'Swagger UI page'],
        [
          '/graphql',
          { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"query":"{ __typename }"}' },
          'GraphQL',
        ],
        ['/graphiql', {}, 'GraphiQL'],
        ['/metrics', {}, 'metrics'],
        ['/', {}, 'dashboard'],
        ['/jobs/some/client/route', {}, 'dashboard SPA fallback'],
        ['/favicon.svg', {}, 'dashboard asset'],
      ];
      for (const [path, init, what] of paths) {
        const res = await fetch(h.base + path, { redirect: 'manual', ...init });
        await res.arrayBuffer();
        expect(res.status, what).toBeLessThan(500);
        headerChecks(res.headers, `${what} (${path} → ${res.status})`);
      }
      // The router's own refusals are in the API's error shape too.
      const bad = await fetch(`${h.base}/api/v1/jobs/%ED%A0%80`);
      expect(bad.status).toBe(400);
      expect(await bad.json()).toEqual({ error: { code: 'BAD_URL', message: expect.any(String), details: null } });
      const long = await fetch(`${h.base}/api/v1/jobs/${'a'.repeat(300)}`);
      expect(long.status).toBe(414);
      expect(((await long.json()) as { error: { code: string } }).error.code).toBe('URI_TOO_LONG');
      // The dashboard really is served (not a 404 with headers).
      const page = await fetch(`${h.base}/jobs/some/client/route`);
      expect(page.status).toBe(200);
      expect(page.headers.get('content-type')).toMatch(/text\/html/);
      // GraphiQL gets its own CSP (it loads from unpkg), which still forbids framing.
      const giql = await fetch(`${h.base}/graphiql`);
      expect(giql.headers.get('content-security-policy')).toMatch(/script-src 'self' https:\/\/unpkg\.com/);
    });

    it('token responses are not cacheable', async () => {
      const m = await newMember(h, 'cache');
      const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
      expect(login.headers.get('cache-control')).toMatch(/no-store/);
      const refresh = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: login.body.refreshToken } });
      expect(refresh.status).toBe(200);
      expect(refresh.headers.get('cache-control')).toMatch(/no-store/);
      const key = await call(h, 'POST', '/api/v1/api-keys', { token: m.token, body: { name: 'k', scopes: ['jobs:read'] } });
      expect(key.headers.get('cache-control')).toMatch(/no-store/);
      const gql = await call(h, 'POST', '/graphql', {
        body: {
          query: 'mutation($i: LoginInput) { login(input: $i) { token } }',
          variables: { i: { email: m.email, password: m.password } },
        },
      });
      expect(gql.body.data.login.token).toBeTruthy();
      expect(gql.headers.get('cache-control')).toMatch(/no-store/);
    });

    it('auth cookies are HttpOnly, SameSite=Lax, scoped, and not Secure on plain HTTP', async () => {
      const m = await newMember(h, 'cookie');
      const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
      const cookies = login.headers.getSetCookie();
      const access = cookies.find((c) => c.startsWith('jobfleet_token='))!;
      const refresh = cookies.find((c) => c.startsWith('jobfleet_refresh='))!;
      for (const c of [access, refresh]) {
        expect(c).toMatch(/;\s*HttpOnly/i);
        expect(c).toMatch(/;\s*SameSite=Lax/i);
        expect(c).not.toMatch(/;\s*Secure/i);
        expect(c).toMatch(/;\s*Max-Age=\d+/i);
      }
      expect(access).toMatch(/;\s*Path=\/(;|$)/);
      // The refresh token only travels to the auth endpoints.
      expect(refresh).toMatch(/;\s*Path=\/api\/v1\/auth(;|$)/);
    });

    it('a cross-site "simple" request (text/plain, form) cannot drive the API with the cookie', async () => {
      const m = await newMember(h, 'csrf');
      const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
      const cookie = login.headers
        .getSetCookie()
        .find((c) => c.startsWith('jobfleet_token='))!
        .split(';')[0]!;
      const job = await call(h, 'POST', '/api/v1/jobs', {
        token: m.token,
        body: { type: 'noop', options: { delay: 3_600_000 } },
      });
      for (const type of ['text/plain', 'application/x-www-form-urlencoded', 'multipart/form-data; boundary=x']) {
        const r = await fetch(`${h.base}/api/v1/jobs/${job.body.id}/cancel`, {
          method: 'POST',
          headers: { cookie, 'content-type': type, origin: 'https://evil.example' },
          body: 'x=1',
        });
        expect(r.status, type).toBe(415);
        expect(((await r.json()) as { error: { code: string } }).error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
        // No CORS grant for a foreign origin.
        expect(r.headers.get('access-control-allow-origin')).toBeNull();
      }
      expect((await h.fleet.client.get(job.body.id))?.status).not.toBe('CANCELLED');
    });
  });

  // ---------------------------------------------------------------- behind TLS: Secure cookies, HSTS; throttling
  describe('secureCookies on, strict rate limit', () => {
    let h: Harness;
    beforeAll(async () => {
      // 1200 requests/min: login is limited to 1200/200 = 6 per minute and IP (register: 5, refresh: 12).
      h = await startHarness({ config: { secureCookies: true, rateLimitPerMinute: 1200 } });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('marks REST and GraphQL auth cookies Secure, and sends HSTS', async () => {
      const m = await newMember(h, 'sec');
      const r = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
      expect(r.status).toBe(200);
      headerChecks(r.headers, 'refresh over TLS', { hsts: true });
      const cookies = r.headers.getSetCookie();
      expect(cookies.length).toBe(2);
      for (const c of cookies) {
        expect(c).toMatch(/;\s*Secure/i);
        expect(c).toMatch(/;\s*HttpOnly/i);
        expect(c).toMatch(/;\s*SameSite=Lax/i);
      }
      const gql = await call(h, 'POST', '/graphql', {
        body: {
          query: 'mutation($i: LoginInput) { login(input: $i) { token } }',
          variables: { i: { email: m.email, password: m.password } },
        },
      });
      const gc = gql.headers.getSetCookie();
      expect(gc.length).toBe(2);
      for (const c of gc) expect(c).toMatch(/;\s*Secure/i);
      // Logging out clears them with the same attributes.
      const out = await call(h, 'POST', '/api/v1/auth/logout', { body: { refreshToken: r.body.refreshToken } });
      for (const c of out.headers.getSetCookie()) {
        expect(c).toMatch(/;\s*Secure/i);
        expect(c).toMatch(/;\s*HttpOnly/i);
      }
    });

    it('throttles brute force: the account lock (per email and IP) and the per-IP login limit, both 429 + Retry-After', async () => {
      // The lock: 5 failures, then even the right password is refused; unknown emails lock alike.
      const m = await newMember(h, 'brute');
      const attempts = async (email: string, password: string) =>
        h.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { email, password }, remoteAddress: '10.1.2.3' });
      for (let i = 0; i < 5; i++) expect((await attempts(m.email, `wrong-${i}`)).statusCode).toBe(401);
      const locked = await attempts(m.email, m.password);
      expect(locked.statusCode).toBe(429);
      expect(locked.json().error.code).toBe('TOO_MANY_ATTEMPTS');
      expect(Number(locked.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // GraphQL login shares the lock.
      const g = await h.app.inject({
        method: 'POST',
        url: '/graphql',
        remoteAddress: '10.1.2.3',
        payload: {
          query: 'mutation($i: LoginInput) { login(input: $i) { token } }',
          variables: { i: { email: m.email, password: m.password } },
        },
      });
      expect(g.json().errors[0].extensions.code).toBe('TOO_MANY_ATTEMPTS');

      // The per-IP limit on the login route (whatever the emails).
      const statuses: number[] = [];
      let last;
      for (let i = 0; i < 8; i++) {
        last = await h.app.inject({
          method: 'POST',
          url: '/api/v1/auth/login',
          payload: { email: `nobody${i}@example.com`, password: 'x' },
          remoteAddress: '10.9.9.9',
        });
        statuses.push(last.statusCode);
      }
      expect(statuses.slice(0, 6)).toEqual([401, 401, 401, 401, 401, 401]);
      expect(statuses.slice(6)).toEqual([429, 429]);
      expect(last!.json().error.code).toBe('RATE_LIMITED');
      expect(Number(last!.headers['retry-after'])).toBeGreaterThanOrEqual(1);
      // Without trustProxy, X-Forwarded-For is ignored: it cannot buy fresh attempts.
      const spoofed = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: 'nobody@example.com', password: 'x' },
        remoteAddress: '10.9.9.9',
        headers: { 'x-forwarded-for': '203.0.113.7', 'x-real-ip': '203.0.113.8' },
      });
      expect(spoofed.statusCode).toBe(429);
      // Another IP is not affected.
      const other = await h.app.inject({
        method: 'POST',
        url: '/api/v1/auth/login',
        payload: { email: m.email.replace('@', '+x@'), password: 'x' },
        remoteAddress: '10.9.9.10',
      });
      expect(other.statusCode).toBe(401);
    });

    it('stores argon2id hashes with sound parameters (≥ 19 MiB, ≥ 2 passes, 16-byte salt), unique per user', async () => {
      const m1 = await newMember(h, 'hash');
      const m2 = await newMember(h, 'hash'); // same password
      const { rows } = await h.fleet.db.query<{ email: string; password_hash: string }>(
        `SELECT email, password_hash FROM ${h.fleet.schema}.users`,
      );
      expect(rows.length).toBeGreaterThanOrEqual(3);
      for (const r of rows) {
        const m = /^\$argon2id\$v=19\$m=(\d+),t=(\d+),p=(\d+)\$([A-Za-z0-9+/]+)\$([A-Za-z0-9+/]+)$/.exec(r.password_hash);
        expect(m, r.email).not.toBeNull();
        const [, mem, t, p, salt, hash] = m as unknown as [string, string, string, string, string, string];
        expect(Number(mem)).toBeGreaterThanOrEqual(19_456);
        expect(Number(t)).toBeGreaterThanOrEqual(2);
        expect(Number(p)).toBeGreaterThanOrEqual(1);
        expect(Buffer.from(salt, 'base64').length).toBeGreaterThanOrEqual(16);
        expect(Buffer.from(hash, 'base64').length).toBeGreaterThanOrEqual(32);
        expect(r.password_hash).not.toContain(m1.password);
      }
      const h1 = rows.find((r) => r.email === m1.email)!.password_hash;
      const h2 = rows.find((r) => r.email === m2.email)!.password_hash;
      expect(h1).not.toBe(h2);
    });
  });

  // ---------------------------------------------------------------- logs
  describe('secrets never reach the logs', () => {
    let h: Harness;
    const lines: string[] = [];
    beforeAll(async () => {
      const sink = new Writable({
        write(chunk, _enc, done) {
          lines.push(String(chunk));
          done();
        },
      });
      // The production logger's redaction (buildServer's default), at the most verbose level.
      const logger = pino({ level: 'trace', redact: { paths: REDACT_PATHS, censor: '[redacted]' } }, sink);
      h = await startHarness({ logger, secret: LOG_SECRET });
    });
    afterAll(async () => {
      await h?.close();
    });

    it('logs none of the passwords, tokens, refresh tokens, API keys, password hashes or the JWT secret of a session', async () => {
      const secrets: string[] = [LOG_SECRET, h.admin.password];
      const admin = await adminToken(h);
      secrets.push(admin);
      const m = await newMember(h, 'logs');
      secrets.push(m.password, m.token, m.refreshToken);
      // Failed logins, with distinctive wrong passwords.
      for (let i = 0; i < 6; i++) {
        const wrong = `Wrong-Pass-${i}-${Math.random().toString(36).slice(2)}`;
        secrets.push(wrong);
        await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: wrong } });
      }
      const unknownPw = `Unknown-User-Pw-${Math.random().toString(36).slice(2)}`;
      secrets.push(unknownPw);
      await call(h, 'POST', '/api/v1/auth/login', { body: { email: 'ghost@example.com', password: unknownPw } });
      // Refresh (body and cookie), then reuse the old one (an error path).
      const r1 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
      secrets.push(r1.body.refreshToken, r1.body.token);
      const r2 = await call(h, 'POST', '/api/v1/auth/refresh', {
        headers: { cookie: `jobfleet_refresh=${r1.body.refreshToken}` },
      });
      secrets.push(r2.body.refreshToken, r2.body.token);
      await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
      // A second member: register with a short password (validation error), then a good one.
      const pw2 = `Second-Member-Pw-${Math.random().toString(36).slice(2)}`;
      secrets.push(pw2, 'shortpw');
      await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'second@example.com', password: 'shortpw' } });
      await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'second@example.com', password: pw2 } });
      const l2 = await call(h, 'POST', '/api/v1/auth/login', { body: { email: 'second@example.com', password: pw2 } });
      secrets.push(l2.body.token, l2.body.refreshToken);
      // API keys: created, used in both headers, used after revocation; a malformed key.
      const key = await call(h, 'POST', '/api/v1/api-keys', {
        token: l2.body.token,
        body: { name: 'ci', scopes: ['jobs:read', 'jobs:write'] },
      });
      secrets.push(key.body.key);
      await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key.body.key } });
      await call(h, 'POST', '/api/v1/jobs', {
        headers: { authorization: `Bearer ${key.body.key}` },
        body: { type: 'noop', options: { delay: 3_600_000 } },
      });
      await call(h, 'DELETE', `/api/v1/api-keys/${key.body.apiKey.id}`, { token: l2.body.token });
      await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key.body.key } });
      const fakeKey = `jf_${'Z'.repeat(20)}${Math.random().toString(36).slice(2)}`;
      secrets.push(fakeKey);
      await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': fakeKey } });
      // Admin creates a user (password in the body); GraphQL login and createUser (passwords in variables).
      const pw3 = `Admin-Made-Pw-${Math.random().toString(36).slice(2)}`;
      secrets.push(pw3);
      await call(h, 'POST', '/api/v1/users', { token: admin, body: { email: 'made@example.com', password: pw3 } });
      const g = await call(h, 'POST', '/graphql', {
        body: {
          query: 'mutation($i: LoginInput) { login(input: $i) { token refreshToken } }',
          variables: { i: { email: 'made@example.com', password: pw3 } },
        },
      });
      secrets.push(g.body.data.login.token, g.body.data.login.refreshToken);
      const pw4 = `Gql-Made-Pw-${Math.random().toString(36).slice(2)}`;
      secrets.push(pw4);
      await call(h, 'POST', '/graphql', {
        token: admin,
        body: {
          query: 'mutation($i: CreateUserInput) { createUser(input: $i) { id } }',
          variables: { i: { email: 'gql@example.com', password: pw4 } },
        },
      });
      const wrongGql = `Gql-Wrong-${Math.random().toString(36).slice(2)}`;
      secrets.push(wrongGql);
      await call(h, 'POST', '/graphql', {
        body: {
          query: 'mutation($i: LoginInput) { login(input: $i) { token } }',
          variables: { i: { email: 'made@example.com', password: wrongGql } },
        },
      });
      // A cookie-authenticated request, a tampered token, logout.
      await call(h, 'GET', '/api/v1/auth/me', { headers: { cookie: `jobfleet_token=${l2.body.token}` } });
      await call(h, 'GET', '/api/v1/auth/me', { token: `${m.token}x` });
      await call(h, 'POST', '/api/v1/auth/logout', { token: l2.body.token, body: { refreshToken: l2.body.refreshToken } });
      // The stored hashes must not be logged either.
      const { rows } = await h.fleet.db.query<{ password_hash: string }>(`SELECT password_hash FROM ${h.fleet.schema}.users`);
      for (const r of rows) secrets.push(r.password_hash.split('$').pop()!);

      await new Promise((r) => setTimeout(r, 50));
      const log = lines.join('');
      expect(lines.length).toBeGreaterThan(50); // the session was logged, at trace level
      expect(log).toContain('"reqId"');
      const found: string[] = [];
      for (const s of secrets) {
        if (!s) continue;
        // The secret itself, and its middle part (a truncated or re-encoded copy would still show it).
        const probes = [s, s.length > 24 ? s.slice(8, 24) : s];
        for (const p of probes) if (log.includes(p)) found.push(`${s.slice(0, 12)}… (${p.length} chars)`);
      }
      expect(found, 'secrets found in the logs').toEqual([]);
      // The authorization and cookie headers, if logged at all, are redacted.
      expect(log).not.toMatch(/"authorization":"Bearer/i);
      expect(log).not.toMatch(/"x-api-key":"jf_/i);
    });
  });
});
