import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SignJWT } from 'jose';
import { pgAvailable } from '@jobfleet/core/testing';
import { adminToken, call, newMember, startHarness, TEST_SECRET, type Harness } from './helpers.ts';
import { createAuthService, type Principal } from '../src/index.ts';

const enc = (s: string) => new TextEncoder().encode(s);
const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');

describe.runIf(pgAvailable)('auth over HTTP (real PostgreSQL)', () => {
  let h: Harness;
  let admin: string;

  beforeAll(async () => {
    h = await startHarness();
    admin = await adminToken(h);
  });
  afterAll(async () => {
    await h?.close();
  });

  it('registers (email normalised), rejects duplicates and bad input', async () => {
    const r = await call(h, 'POST', '/api/v1/auth/register', {
      body: { email: '  Alice@Example.COM ', password: 'password123', name: 'Alice' },
    });
    expect(r.status).toBe(201);
    expect(r.body).toMatchObject({ email: 'alice@example.com', role: 'member', disabled: false, name: 'Alice' });
    expect(r.body).not.toHaveProperty('password_hash');
    expect(r.body).not.toHaveProperty('passwordHash');
    const dup = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'alice@example.com', password: 'password123' } });
    expect(dup.status).toBe(409);
    expect(dup.body.error.code).toBe('EMAIL_TAKEN');
    const short = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'b@example.com', password: 'short' } });
    expect(short.status).toBe(400);
    expect(short.body.error.code).toBe('VALIDATION_FAILED');
    expect(short.body.error.details.issues[0].path).toBe('body.password');
    const long = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'b@example.com', password: 'x'.repeat(1025) } });
    expect(long.status).toBe(400);
    const noEmail = await call(h, 'POST', '/api/v1/auth/register', { body: { password: 'password123' } });
    expect(noEmail.status).toBe(400);
    expect(noEmail.body.error.details.issues.map((i: { path: string }) => i.path)).toContain('body.email');
    const notEmail = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'not-an-email', password: 'password123' } });
    expect(notEmail.status).toBe(400);
    const wrongType = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 12345, password: 12345678 } });
    expect(wrongType.status).toBe(400);
    expect(wrongType.body.error.details.issues.length).toBe(2);
    const array = await call(h, 'POST', '/api/v1/auth/register', { body: [1, 2] });
    expect(array.status).toBe(400);
  });

  it('logs in: token pair, user, HTTP-only SameSite=Lax cookies; /auth/me works with bearer and cookie', async () => {
    const m = await newMember(h);
    const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email.toUpperCase(), password: m.password } });
    expect(login.status).toBe(200);
    expect(login.body).toMatchObject({ expiresIn: 900, user: { id: m.id, email: m.email } });
    expect(login.body.token.split('.')).toHaveLength(3);
    const cookies = login.headers.getSetCookie();
    const access = cookies.find((c) => c.startsWith('jobfleet_token='));
    expect(access).toMatch(/HttpOnly/i);
    expect(access).toMatch(/SameSite=Lax/i);
    expect(access).not.toMatch(/Secure/i);
    expect(cookies.some((c) => c.startsWith('jobfleet_refresh='))).toBe(true);

    const me = await call(h, 'GET', '/api/v1/auth/me', { token: login.body.token });
    expect(me.status).toBe(200);
    expect(me.body.id).toBe(m.id);
    const cookieValue = (access as string).split(';')[0] as string;
    const viaCookie = await call(h, 'GET', '/api/v1/auth/me', { headers: { cookie: cookieValue } });
    expect(viaCookie.status).toBe(200);
    expect(viaCookie.body.email).toBe(m.email);
    const anon = await call(h, 'GET', '/api/v1/auth/me');
    expect(anon.status).toBe(401);
    expect(anon.body.error.code).toBe('UNAUTHENTICATED');
  });

  it('refuses wrong passwords and unknown emails alike', async () => {
    const m = await newMember(h);
    const wrong = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: 'wrong password' } });
    const unknown = await call(h, 'POST', '/api/v1/auth/login', {
      body: { email: 'nobody@example.com', password: 'wrong password' },
    });
    expect(wrong.status).toBe(401);
    expect(unknown.status).toBe(401);
    expect(wrong.body.error).toEqual(unknown.body.error);
  });

  it('rotates refresh tokens; reusing an old one ends the session (family) and its access tokens', async () => {
    const m = await newMember(h);
    const r1 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
    expect(r1.status).toBe(200);
    expect(r1.body.refreshToken).not.toBe(m.refreshToken);
    const r2 = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: r1.body.refreshToken } });
    expect(r2.status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: r2.body.token })).status).toBe(200);

    // The first token comes back: reuse. The whole family is revoked, the newest pair included.
    const reuse = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } });
    expect(reuse.status).toBe(401);
    expect(reuse.body.error.code).toBe('REFRESH_TOKEN_REUSED');
    const newest = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: r2.body.refreshToken } });
    expect(newest.status).toBe(401);
    const me = await call(h, 'GET', '/api/v1/auth/me', { token: r2.body.token });
    expect(me.status).toBe(401);
    expect(me.body.error.code).toBe('SESSION_REVOKED');

    const garbage = await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: "' OR 1=1 --aaaaaaaaaaaaaaaaaaaaa" } });
    expect(garbage.status).toBe(401);
    const none = await call(h, 'POST', '/api/v1/auth/refresh', { body: {} });
    expect(none.status).toBe(401);
  });

  it('refreshes from the cookie too', async () => {
    const m = await newMember(h);
    const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    const refreshCookie = login.headers
      .getSetCookie()
      .find((c) => c.startsWith('jobfleet_refresh='))
      ?.split(';')[0] as string;
    const r = await call(h, 'POST', '/api/v1/auth/refresh', { headers: { cookie: refreshCookie } });
    expect(r.status).toBe(200);
    expect(r.body.user.id).toBe(m.id);
  });

  it('logout revokes the refresh token and the session', async () => {
    const m = await newMember(h);
    const out = await call(h, 'POST', '/api/v1/auth/logout', { body: { refreshToken: m.refreshToken }, token: m.token });
    expect(out.status).toBe(200);
    expect(out.headers.getSetCookie().some((c) => /^jobfleet_token=;/.test(c))).toBe(true);
    expect((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } })).status).toBe(401);
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: m.token })).status).toBe(401);
  });

  it('refuses expired, tampered, foreign-key and alg:none tokens', async () => {
    const m = await newMember(h);
    const [header, payload, sig] = m.token.split('.') as [string, string, string];
    const claims = JSON.parse(Buffer.from(payload, 'base64url').toString());

    const expired = await new SignJWT({ ...claims, exp: Math.floor(Date.now() / 1000) - 10 })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .sign(enc(TEST_SECRET));
    const rExpired = await call(h, 'GET', '/api/v1/auth/me', { token: expired });
    expect(rExpired.status).toBe(401);
    expect(rExpired.body.error.code).toBe('TOKEN_EXPIRED');

    // Tampered: promote to admin without re-signing.
    const tampered = `${header}.${b64({ ...claims, role: 'admin' })}.${sig}`;
    const rTampered = await call(h, 'GET', '/api/v1/users', { token: tampered });
    expect(rTampered.status).toBe(401);
    expect(rTampered.body.error.code).toBe('INVALID_TOKEN');

    const foreign = await new SignJWT(claims)
      .setProtectedHeader({ alg: 'HS256' })
      .sign(enc('another-secret-of-enough-length-0123456789'));
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: foreign })).status).toBe(401);

    const none = `${b64({ alg: 'none', typ: 'JWT' })}.${payload}.`;
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: none })).status).toBe(401);

    const hs512 = await new SignJWT(claims).setProtectedHeader({ alg: 'HS512' }).sign(enc(TEST_SECRET));
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: hs512 })).status).toBe(401);

    // Well signed, but not an access token (no session id): refused.
    const noSid = await new SignJWT({ ...claims, sid: undefined }).setProtectedHeader({ alg: 'HS256' }).sign(enc(TEST_SECRET));
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: noSid })).status).toBe(401);

    const junk = await call(h, 'GET', '/api/v1/auth/me', { headers: { authorization: 'Bearer not.a.jwt' } });
    expect(junk.status).toBe(401);
    // The genuine token still works.
    expect((await call(h, 'GET', '/api/v1/auth/me', { token: m.token })).status).toBe(200);
  });

  it('throttles brute force per email and IP: 429 with Retry-After, even for the right password', async () => {
    const m = await newMember(h);
    for (let i = 0; i < 5; i++) {
      const r = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: `wrong-${i}` } });
      expect(r.status).toBe(401);
    }
    const locked = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    expect(locked.status).toBe(429);
    expect(locked.body.error.code).toBe('TOO_MANY_ATTEMPTS');
    expect(Number(locked.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    // Another account from the same IP is not locked.
    const other = await newMember(h);
    expect((await call(h, 'POST', '/api/v1/auth/login', { body: { email: other.email, password: other.password } })).status).toBe(
      200,
    );
  });

  it('admin manages users; members may not; disabled users are refused everywhere', async () => {
    const m = await newMember(h);
    const list = await call(h, 'GET', '/api/v1/users', { token: admin });
    expect(list.status).toBe(200);
    expect(list.body.users.some((u: { id: string }) => u.id === m.id)).toBe(true);
    expect((await call(h, 'GET', '/api/v1/users', { token: m.token })).status).toBe(403);
    expect(
      (await call(h, 'POST', '/api/v1/users', { token: m.token, body: { email: 'x@example.com', password: 'password123' } }))
        .status,
    ).toBe(403);
    expect((await call(h, 'GET', `/api/v1/users/${m.id}`, { token: m.token })).status).toBe(403);

    const created = await call(h, 'POST', '/api/v1/users', {
      token: admin,
      body: { email: 'Made@Example.com', password: 'password123', role: 'admin' },
    });
    expect(created.status).toBe(201);
    expect(created.body).toMatchObject({ email: 'made@example.com', role: 'admin' });
    const badRole = await call(h, 'POST', '/api/v1/users', {
      token: admin,
      body: { email: 'r@example.com', password: 'password123', role: 'root' },
    });
    expect(badRole.status).toBe(400);
    const one = await call(h, 'GET', `/api/v1/users/${m.id}`, { token: admin });
    expect(one.status).toBe(200);
    expect(one.body.email).toBe(m.email);
    expect((await call(h, 'GET', '/api/v1/users/not-a-uuid', { token: admin })).status).toBe(404);
    expect((await call(h, 'GET', '/api/v1/users/00000000-0000-0000-0000-000000000000', { token: admin })).status).toBe(404);

    // An API key of the member, made before the user is disabled.
    const key = await call(h, 'POST', '/api/v1/api-keys', { token: m.token, body: { name: 'ci', scopes: ['jobs:read'] } });
    expect(key.status).toBe(201);

    const dis = await call(h, 'POST', `/api/v1/users/${m.id}/disable`, { token: admin });
    expect(dis.status).toBe(200);
    expect(dis.body.disabled).toBe(true);
    const me = await call(h, 'GET', '/api/v1/auth/me', { token: m.token });
    expect(me.status).toBe(401);
    expect(['USER_DISABLED', 'SESSION_REVOKED']).toContain(me.body.error.code);
    const viaKey = await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key.body.key } });
    expect(viaKey.status).toBe(401);
    expect(viaKey.body.error.code).toBe('USER_DISABLED');
    const relogin = await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } });
    expect(relogin.status).toBe(401);
    expect(relogin.body.error.code).toBe('USER_DISABLED');
    expect((await call(h, 'POST', '/api/v1/auth/refresh', { body: { refreshToken: m.refreshToken } })).status).toBe(401);

    const en = await call(h, 'POST', `/api/v1/users/${m.id}/enable`, { token: admin });
    expect(en.status).toBe(200);
    expect(en.body.disabled).toBe(false);
    expect((await call(h, 'POST', '/api/v1/auth/login', { body: { email: m.email, password: m.password } })).status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key.body.key } })).status).toBe(200);

    const self = await call(h, 'GET', '/api/v1/auth/me', { token: admin });
    const selfDisable = await call(h, 'POST', `/api/v1/users/${self.body.id}/disable`, { token: admin });
    expect(selfDisable.status).toBe(409);
  });

  it('API keys: shown once, hashed, scoped, revocable; X-API-Key and Bearer jf_…', async () => {
    const m = await newMember(h);
    const created = await call(h, 'POST', '/api/v1/api-keys', {
      token: m.token,
      body: { name: 'reader', scopes: ['jobs:read'] },
    });
    expect(created.status).toBe(201);
    const key: string = created.body.key;
    expect(key).toMatch(/^jf_[A-Za-z0-9_-]{40,}$/);
    expect(created.body.apiKey).toMatchObject({ name: 'reader', scopes: ['jobs:read'], ownerId: m.id, prefix: key.slice(0, 11) });
    const stored = await h.fleet.db.query<{ key_hash: string }>(`SELECT key_hash FROM ${h.fleet.schema}.api_keys WHERE id = $1`, [
      created.body.apiKey.id,
    ]);
    expect(stored.rows[0]?.key_hash).toMatch(/^[0-9a-f]{64}$/);
    expect(stored.rows[0]?.key_hash).not.toContain(key);

    const listed = await call(h, 'GET', '/api/v1/api-keys', { token: m.token });
    expect(listed.status).toBe(200);
    expect(listed.body.apiKeys).toHaveLength(1);
    expect(JSON.stringify(listed.body)).not.toContain(key);

    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key } })).status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/jobs', { token: key })).status).toBe(200);
    // Without the jobs:write scope.
    const write = await call(h, 'POST', '/api/v1/jobs', { headers: { 'x-api-key': key }, body: { type: 'noop' } });
    expect(write.status).toBe(403);
    expect(write.body.error.code).toBe('FORBIDDEN');
    // A member cannot mint an admin key; unknown scopes are refused.
    expect((await call(h, 'POST', '/api/v1/api-keys', { token: m.token, body: { name: 'x', scopes: ['admin'] } })).status).toBe(
      403,
    );
    expect((await call(h, 'POST', '/api/v1/api-keys', { token: m.token, body: { name: 'x', scopes: ['root'] } })).status).toBe(
      400,
    );
    expect((await call(h, 'POST', '/api/v1/api-keys', { token: m.token, body: { name: 'x', scopes: [] } })).status).toBe(400);
    expect(
      (
        await call(h, 'POST', '/api/v1/api-keys', {
          token: m.token,
          body: { name: 'x', scopes: ['jobs:read'], expiresAt: '2001-01-01T00:00:00Z' },
        })
      ).status,
    ).toBe(400);
    // A read-only key cannot mint a write key.
    expect(
      (await call(h, 'POST', '/api/v1/api-keys', { headers: { 'x-api-key': key }, body: { name: 'x', scopes: ['jobs:write'] } }))
        .status,
    ).toBe(403);

    // Someone else cannot revoke it (404, not 403); the owner can.
    const other = await newMember(h);
    expect((await call(h, 'DELETE', `/api/v1/api-keys/${created.body.apiKey.id}`, { token: other.token })).status).toBe(404);
    expect((await call(h, 'DELETE', '/api/v1/api-keys/not-a-uuid', { token: m.token })).status).toBe(404);
    expect((await call(h, 'DELETE', `/api/v1/api-keys/${created.body.apiKey.id}`, { token: m.token })).status).toBe(200);
    const revoked = await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key } });
    expect(revoked.status).toBe(401);
    expect(revoked.body.error.code).toBe('API_KEY_REVOKED');
    const madeUp = await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': 'jf_' + 'A'.repeat(43) } });
    expect(madeUp.status).toBe(401);
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': "jf_' OR '1'='1" } })).status).toBe(401);
  });

  it('credential cache: changes through the service apply at once; changes made elsewhere within authCacheMs', async () => {
    const m = await newMember(h);
    const created = await call(h, 'POST', '/api/v1/api-keys', {
      token: m.token,
      body: { name: 'cached', scopes: ['jobs:read'] },
    });
    const key = created.body.key as string;
    // Another process of the fleet (its own service and cache) on the same database.
    const other = createAuthService({ fleet: h.fleet, config: { ...h.config, authCacheMs: 400 }, secret: TEST_SECRET });
    const uncached = createAuthService({ fleet: h.fleet, config: { ...h.config, authCacheMs: 0 }, secret: TEST_SECRET });
    expect(await other.authenticate({ apiKey: key })).toMatchObject({ userId: m.id, via: 'api-key', scopes: ['jobs:read'] });
    expect(await other.authenticate({ bearer: m.token })).toMatchObject({ userId: m.id, via: 'jwt' });
    // Revoked and disabled behind its back (as another process would).
    const t0 = Date.now();
    await h.fleet.db.query(`UPDATE ${h.fleet.schema}.api_keys SET revoked_at = now() WHERE id = $1`, [created.body.apiKey.id]);
    await h.fleet.db.query(`UPDATE ${h.fleet.schema}.users SET disabled = true WHERE id = $1`, [m.id]);
    await expect(uncached.authenticate({ apiKey: key })).rejects.toMatchObject({ status: 401, code: 'API_KEY_REVOKED' });
    await expect(uncached.authenticate({ bearer: m.token })).rejects.toMatchObject({ status: 401, code: 'USER_DISABLED' });
    if (Date.now() - t0 < 300) {
      // Still inside the window: the cached answer stands (the documented bound).
      expect(await other.authenticate({ apiKey: key })).toMatchObject({ userId: m.id });
    }
    await new Promise((r) => setTimeout(r, 450));
    await expect(other.authenticate({ apiKey: key })).rejects.toMatchObject({ status: 401, code: 'API_KEY_REVOKED' });
    await expect(other.authenticate({ bearer: m.token })).rejects.toMatchObject({ status: 401, code: 'USER_DISABLED' });
    // Refusals are never cached: the key works again as soon as the database says so.
    await h.fleet.db.query(`UPDATE ${h.fleet.schema}.users SET disabled = false WHERE id = $1`, [m.id]);
    await h.fleet.db.query(`UPDATE ${h.fleet.schema}.api_keys SET revoked_at = NULL WHERE id = $1`, [created.body.apiKey.id]);
    expect(await other.authenticate({ apiKey: key })).toMatchObject({ userId: m.id });
    // Through the server's own service, a revocation applies to the very next request.
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key } })).status).toBe(200);
    expect((await call(h, 'DELETE', `/api/v1/api-keys/${created.body.apiKey.id}`, { token: m.token })).status).toBe(200);
    expect((await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': key } })).status).toBe(401);
  });

  it('an expired API key is refused', async () => {
    const m = await newMember(h);
    const created = await call(h, 'POST', '/api/v1/api-keys', {
      token: m.token,
      body: { name: 'short', scopes: ['jobs:read'], expiresAt: new Date(Date.now() + 60_000).toISOString() },
    });
    expect(created.status).toBe(201);
    await h.fleet.db.query(`UPDATE ${h.fleet.schema}.api_keys SET expires_at = now() - interval '1 second' WHERE id = $1`, [
      created.body.apiKey.id,
    ]);
    const r = await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': created.body.key } });
    expect(r.status).toBe(401);
    expect(r.body.error.code).toBe('API_KEY_EXPIRED');
  });

  it('generates the signing secret once and keeps it in the database', async () => {
    const saved = process.env.JOBFLEET_JWT_SECRET;
    delete process.env.JOBFLEET_JWT_SECRET;
    try {
      const a = createAuthService({ fleet: h.fleet, config: h.config });
      const b = createAuthService({ fleet: h.fleet, config: h.config });
      const m = await newMember(h);
      const session = await a.login({ email: m.email, password: m.password }, { ip: '10.0.0.1' });
      const p = (await b.authenticate({ bearer: session.token })) as Principal;
      expect(p.userId).toBe(m.id);
      // And it is not the configured test secret: a token of the harness is refused by it.
      await expect(b.authenticate({ bearer: m.token })).rejects.toMatchObject({ status: 401 });
      const { rows } = await h.fleet.db.query<{ value: string }>(
        `SELECT value FROM ${h.fleet.schema}.server_settings WHERE key = 'jwt_secret'`,
      );
      expect(rows[0]?.value.length).toBeGreaterThanOrEqual(64);
    } finally {
      if (saved !== undefined) process.env.JOBFLEET_JWT_SECRET = saved;
    }
  });

  it('ensureAdmin creates an admin only when there are no users', async () => {
    expect(await h.auth.ensureAdmin('again@example.com')).toBeNull();
    expect(h.admin.password.length).toBeGreaterThanOrEqual(20);
  });
});

describe.runIf(pgAvailable)('closed registration', () => {
  let h: Harness;
  beforeAll(async () => {
    h = await startHarness({ config: { openRegistration: false, secureCookies: true } });
  });
  afterAll(async () => {
    await h?.close();
  });

  it('refuses self-registration with 403; admins still create users; cookies are Secure', async () => {
    const r = await call(h, 'POST', '/api/v1/auth/register', { body: { email: 'x@example.com', password: 'password123' } });
    expect(r.status).toBe(403);
    expect(r.body.error.code).toBe('REGISTRATION_CLOSED');
    const login = await call(h, 'POST', '/api/v1/auth/login', { body: h.admin });
    expect(login.headers.getSetCookie().every((c) => /Secure/.test(c))).toBe(true);
    const created = await call(h, 'POST', '/api/v1/users', {
      token: login.body.token,
      body: { email: 'x@example.com', password: 'password123' },
    });
    expect(created.status).toBe(201);
  });
});
