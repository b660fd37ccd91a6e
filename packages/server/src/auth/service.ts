import { hash, randomBytes, randomUUID } from 'node:crypto';
import { errors as joseErrors, jwtVerify, SignJWT } from 'jose';
import type { Jobfleet, Queryable } from '@jobfleet/core';
import {
  API_SCOPES,
  ApiError,
  hasScope,
  type ApiKey,
  type ApiScope,
  type AuthService,
  type Credentials,
  type Principal,
  type Role,
  type ServerConfig,
  type TokenPair,
  type User,
} from '../contracts.ts';
import { CredentialCache } from './credential-cache.ts';
import { burnVerification, generatePassword, hashPassword, PASSWORD_MAX, PASSWORD_MIN, verifyPassword } from './passwords.ts';
import { LoginThrottle, type ThrottleOptions } from './throttle.ts';

export interface AuthServiceOptions {
  /** The engine: its database and schema hold the server's tables (apply `serverMigrations()` first). */
  fleet: Pick<Jobfleet, 'db' | 'schema'>;
  config: Pick<ServerConfig, 'openRegistration' | 'accessTokenTtl' | 'refreshTokenTtl' | 'authCacheMs'>;
  /** HS256 signing secret (≥ 32 characters). Default: JOBFLEET_JWT_SECRET, else one generated once and kept in the database. */
  secret?: string;
  throttle?: ThrottleOptions;
}

export const JWT_ISSUER = 'jobfleet';
export const JWT_AUDIENCE = 'jobfleet-api';
export const API_KEY_PREFIX = 'jf_';
const SECRET_SETTING = 'jwt_secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const API_KEY_FORMAT = /^jf_[A-Za-z0-9_-]{20,128}$/;
const EMAIL_FORMAT = /^[^\s@]+@[^\s@]+$/;

interface UserRow {
  id: string;
  email: string;
  name: string | null;
  password_hash: string;
  role: Role;
  disabled: boolean;
  created_at: Date | string;
  updated_at: Date | string;
  last_login_at: Date | string | null;
}

/** What a request needs of a valid API key (kept in the credential cache). */
interface KeyLookup {
  id: string;
  ownerId: string;
  email: string;
  role: Role;
  scopes: ApiScope[];
  expiresAt: number | null;
  lastUsedAt: number;
}

interface ApiKeyRow {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  owner_id: string;
  created_at: Date | string;
  last_used_at: Date | string | null;
  expires_at: Date | string | null;
  revoked_at: Date | string | null;
}

const USER_COLUMNS = 'id, email, name, password_hash, role, disabled, created_at, updated_at, last_login_at';
const KEY_COLUMNS = 'id, name, prefix, scopes, owner_id, created_at, last_used_at, expires_at, revoked_at';

const date = (v: Date | string): Date => (v instanceof Date ? v : new Date(v));
const dateOrNull = (v: Date | string | null): Date | null => (v == null ? null : date(v));
// One-shot hash: a quarter of createHash().update().digest()'s cost for a key (it runs on every API-key request).
const sha256 = (s: string): string => hash('sha256', s, 'hex');

function toUser(r: UserRow): User {
  return {
    id: r.id,
    email: r.email,
    name: r.name,
    role: r.role,
    disabled: r.disabled,
    createdAt: date(r.created_at),
    updatedAt: date(r.updated_at),
    lastLoginAt: dateOrNull(r.last_login_at),
  };
}

function toApiKey(r: ApiKeyRow): ApiKey {
  return {
    id: r.id,
    name: r.name,
    prefix: r.prefix,
    scopes: r.scopes,
    ownerId: r.owner_id,
    createdAt: date(r.created_at),
    lastUsedAt: dateOrNull(r.last_used_at),
    expiresAt: dateOrNull(r.expires_at),
    revokedAt: dateOrNull(r.revoked_at),
  };
}

const invalid = (field: string, message: string) =>
  new ApiError(400, 'VALIDATION_FAILED', `${field}: ${message}`, { issues: [{ path: field, message }] });

export function normaliseEmail(email: unknown): string {
  if (typeof email !== 'string') throw invalid('email', 'must be a string');
  const e = email.trim().toLowerCase();
  if (e.length < 3 || e.length > 254 || !EMAIL_FORMAT.test(e)) throw invalid('email', 'must be an email address');
  return e;
}

function checkNewPassword(password: unknown): string {
  if (typeof password !== 'string') throw invalid('password', 'must be a string');
  if (password.length < PASSWORD_MIN) throw invalid('password', `must have at least ${PASSWORD_MIN} characters`);
  if (password.length > PASSWORD_MAX) throw invalid('password', `must have at most ${PASSWORD_MAX} characters`);
  return password;
}

function checkName(name: unknown): string | null {
  if (name === undefined || name === null) return null;
  if (typeof name !== 'string' || name.length > 200) throw invalid('name', 'must be a string of at most 200 characters');
  return name.trim() || null;
}

const unauthorized = (code: string, message: string) => new ApiError(401, code, message);
const forbidden = (message = 'You are not allowed to do this.') => new ApiError(403, 'FORBIDDEN', message);
const isUniqueViolation = (err: unknown) => (err as { code?: string } | null)?.code === '23505';

/** The server's AuthService on the engine's database. The signing secret is loaded (or generated) on first use. */
export function createAuthService(opts: AuthServiceOptions): AuthService {
  const { db, schema } = opts.fleet;
  const config = opts.config;
  const throttle = new LoginThrottle(opts.throttle);
  // Valid API keys and sessions, for config.authCacheMs (0: every request asks the database).
  const keyCache = new CredentialCache<KeyLookup>(config.authCacheMs ?? 0);
  const sessionCache = new CredentialCache<{ email: string; role: Role }>(config.authCacheMs ?? 0);
  const forgetCredentials = () => {
    keyCache.clear();
    sessionCache.clear();
  };
  const t = (name: string) => `${schema}.${name}`;

  const configured = opts.secret ?? process.env.JOBFLEET_JWT_SECRET;
  if (configured !== undefined && configured !== '' && configured.length < 32) {
    throw new Error('The JWT secret (JOBFLEET_JWT_SECRET) must have at least 32 characters.');
  }

  let keyPromise: Promise<Uint8Array> | null = null;
  const signingKey = (): Promise<Uint8Array> => {
    keyPromise ??= loadSecret().catch((err) => {
      keyPromise = null;
      throw err;
    });
    return keyPromise;
  };

  async function loadSecret(): Promise<Uint8Array> {
    if (configured !== undefined && configured !== '') return new TextEncoder().encode(configured);
    await db.query(`INSERT INTO ${t('server_settings')} (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [
      SECRET_SETTING,
      randomBytes(64).toString('base64url'),
    ]);
    const { rows } = await db.query<{ value: string }>(`SELECT value FROM ${t('server_settings')} WHERE key = $1`, [
      SECRET_SETTING,
    ]);
    if (!rows[0]) throw new Error('Could not persist the generated JWT secret.');
    return new TextEncoder().encode(rows[0].value);
  }

  async function findUserByEmail(email: string): Promise<UserRow | null> {
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${t('users')} WHERE email = $1`, [email]);
    return rows[0] ?? null;
  }

  async function findUser(id: string): Promise<UserRow | null> {
    if (!UUID.test(id)) return null;
    const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${t('users')} WHERE id = $1`, [id]);
    return rows[0] ?? null;
  }

  async function insertUser(input: { email: unknown; password: unknown; name?: unknown; role: Role }): Promise<User> {
    const email = normaliseEmail(input.email);
    const password = checkNewPassword(input.password);
    const name = checkName(input.name);
    const passwordHash = await hashPassword(password);
    try {
      const { rows } = await db.query<UserRow>(
        `INSERT INTO ${t('users')} (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, $5) RETURNING ${USER_COLUMNS}`,
        [randomUUID(), email, name, passwordHash, input.role],
      );
      return toUser(rows[0] as UserRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ApiError(409, 'EMAIL_TAKEN', 'A user with this email already exists.');
      throw err;
    }
  }

  async function signAccess(user: { id: string; email: string; role: Role }, sessionId: string): Promise<string> {
    const now = Math.floor(Date.now() / 1000);
    return new SignJWT({ email: user.email, role: user.role, sid: sessionId, typ: 'access' })
      .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
      .setSubject(user.id)
      .setIssuer(JWT_ISSUER)
      .setAudience(JWT_AUDIENCE)
      .setIssuedAt(now)
      .setExpirationTime(now + config.accessTokenTtl)
      .setJti(randomUUID())
      .sign(await signingKey());
  }

  async function newRefreshToken(tx: Queryable, userId: string, sessionId: string): Promise<{ id: string; token: string }> {
    const token = randomBytes(32).toString('base64url');
    const id = randomUUID();
    await tx.query(
      `INSERT INTO ${t('refresh_tokens')} (id, token_hash, family_id, user_id, expires_at)
       VALUES ($1, $2, $3, $4, now() + make_interval(secs => $5))`,
      [id, sha256(token), sessionId, userId, config.refreshTokenTtl],
    );
    return { id, token };
  }

  async function openSession(user: UserRow): Promise<TokenPair & { user: User }> {
    const sessionId = randomUUID();
    const { refresh, updated } = await db.transaction(async (tx) => {
      await tx.query(
        `INSERT INTO ${t('auth_sessions')} (id, user_id, expires_at) VALUES ($1, $2, now() + make_interval(secs => $3))`,
        [sessionId, user.id, config.refreshTokenTtl],
      );
      const refresh = await newRefreshToken(tx, user.id, sessionId);
      const { rows } = await tx.query<UserRow>(
        `UPDATE ${t('users')} SET last_login_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
        [user.id],
      );
      return { refresh, updated: rows[0] as UserRow };
    });
    return {
      token: await signAccess(updated, sessionId),
      refreshToken: refresh.token,
      expiresIn: config.accessTokenTtl,
      user: toUser(updated),
    };
  }

  function tooMany(waitMs: number): ApiError {
    const retryAfter = Math.max(1, Math.ceil(waitMs / 1000));
    return new ApiError(429, 'TOO_MANY_ATTEMPTS', `Too many failed sign-in attempts; try again in ${retryAfter} s.`, {
      retryAfter,
    });
  }

  async function viaJwt(token: string, via: 'jwt' | 'cookie'): Promise<Principal> {
    let payload: Record<string, unknown>;
    const key = await signingKey();
    try {
      ({ payload } = await jwtVerify(token, key, {
        algorithms: ['HS256'],
        issuer: JWT_ISSUER,
        audience: JWT_AUDIENCE,
        requiredClaims: ['sub', 'exp', 'iat'],
      }));
    } catch (err) {
      if (err instanceof joseErrors.JWTExpired)
        throw unauthorized('TOKEN_EXPIRED', 'The access token has expired; refresh it or sign in again.');
      throw unauthorized('INVALID_TOKEN', 'The access token is not valid.');
    }
    const sub = payload.sub;
    const sid = payload.sid;
    if (payload.typ !== 'access' || typeof sub !== 'string' || typeof sid !== 'string' || !UUID.test(sub) || !UUID.test(sid)) {
      throw unauthorized('INVALID_TOKEN', 'The access token is not valid.');
    }
    const cacheKey = `${sub}:${sid}`;
    let user = sessionCache.get(cacheKey);
    if (!user) {
      const ticket = sessionCache.ticket();
      const { rows } = await db.query<UserRow & { session_revoked: Date | null }>(
        `SELECT u.id, u.email, u.role, u.disabled, s.revoked_at AS session_revoked
         FROM ${t('users')} u JOIN ${t('auth_sessions')} s ON s.user_id = u.id WHERE u.id = $1 AND s.id = $2`,
        [sub, sid],
      );
      const row = rows[0];
      if (!row || row.session_revoked) throw unauthorized('SESSION_REVOKED', 'This session has ended; sign in again.');
      if (row.disabled) throw unauthorized('USER_DISABLED', 'This user is disabled.');
      user = { email: row.email, role: row.role };
      sessionCache.set(cacheKey, user, ticket);
    }
    return { userId: sub, email: user.email, role: user.role, via, scopes: null };
  }

  async function viaApiKey(key: string): Promise<Principal> {
    if (!API_KEY_FORMAT.test(key)) throw unauthorized('INVALID_API_KEY', 'The API key is not valid.');
    const hash = sha256(key);
    let found = keyCache.get(hash);
    if (!found) {
      const ticket = keyCache.ticket();
      const { rows } = await db.query<ApiKeyRow & { email: string; role: Role; disabled: boolean }>(
        `SELECT k.id, k.scopes, k.owner_id, k.expires_at, k.revoked_at, k.last_used_at, u.email, u.role, u.disabled
         FROM ${t('api_keys')} k JOIN ${t('users')} u ON u.id = k.owner_id WHERE k.key_hash = $1`,
        [hash],
      );
      const row = rows[0];
      if (!row) throw unauthorized('INVALID_API_KEY', 'The API key is not valid.');
      if (row.revoked_at) throw unauthorized('API_KEY_REVOKED', 'The API key has been revoked.');
      if (row.disabled) throw unauthorized('USER_DISABLED', 'The owner of this API key is disabled.');
      found = {
        id: row.id,
        ownerId: row.owner_id,
        email: row.email,
        role: row.role,
        scopes: row.scopes,
        expiresAt: row.expires_at ? date(row.expires_at).getTime() : null,
        lastUsedAt: dateOrNull(row.last_used_at)?.getTime() ?? 0,
      };
      keyCache.set(hash, found, ticket);
    }
    const now = Date.now();
    if (found.expiresAt !== null && found.expiresAt <= now) throw unauthorized('API_KEY_EXPIRED', 'The API key has expired.');
    if (now - found.lastUsedAt > 60_000) {
      found.lastUsedAt = now;
      db.query(`UPDATE ${t('api_keys')} SET last_used_at = now() WHERE id = $1`, [found.id]).catch(() => {});
    }
    return {
      userId: found.ownerId,
      email: found.email,
      role: found.role,
      via: 'api-key',
      scopes: [...found.scopes],
      apiKeyId: found.id,
    };
  }

  const requireAdmin = (by: Principal) => {
    if (!hasScope(by, 'admin')) throw forbidden('Only administrators may do this.');
  };

  /**
   * API keys are managed from a signed-in session (or with an admin key): a leaked key must not be able to
   * mint more keys that outlive its own revocation, nor revoke its owner's other keys. It may revoke itself.
   */
  const requireKeyManager = (by: Principal, revoking?: string) => {
    if (by.via !== 'api-key' || hasScope(by, 'admin') || (revoking !== undefined && revoking === by.apiKeyId)) return;
    throw forbidden('An API key cannot create or revoke other API keys; sign in to manage them.');
  };

  const service: AuthService = {
    async register(input) {
      if (!config.openRegistration)
        throw new ApiError(403, 'REGISTRATION_CLOSED', 'Registration is closed; ask an administrator for an account.');
      return insertUser({ ...input, role: 'member' });
    },

    async login(input, meta) {
      const email = normaliseEmail(input.email);
      const password = input.password;
      if (typeof password !== 'string' || password.length === 0 || password.length > PASSWORD_MAX) {
        throw invalid('password', `must be a string of 1 to ${PASSWORD_MAX} characters`);
      }
      const key = `${email}\u0000${meta.ip}`;
      const wait = throttle.check(key);
      if (wait > 0) throw tooMany(wait);
      const user = await findUserByEmail(email);
      let ok = false;
      if (user) ok = await verifyPassword(user.password_hash, password);
      else await burnVerification(password);
      if (!ok) {
        throttle.fail(key);
        throw unauthorized('INVALID_CREDENTIALS', 'Wrong email or password.');
      }
      throttle.succeed(key);
      if (!user || user.disabled) throw unauthorized('USER_DISABLED', 'This user is disabled.');
      return openSession(user);
    },

    async refresh(refreshToken) {
      if (typeof refreshToken !== 'string' || refreshToken.length < 20 || refreshToken.length > 200) {
        throw unauthorized('INVALID_REFRESH_TOKEN', 'The refresh token is not valid.');
      }
      type Found = {
        id: string;
        family_id: string;
        user_id: string;
        expired: boolean;
        used_at: Date | null;
        revoked_at: Date | null;
      };
      const outcome = await db.transaction(async (tx) => {
        const { rows } = await tx.query<Found>(
          `SELECT r.id, r.family_id, r.user_id, r.expires_at <= now() AS expired, r.used_at, s.revoked_at
           FROM ${t('refresh_tokens')} r JOIN ${t('auth_sessions')} s ON s.id = r.family_id
           WHERE r.token_hash = $1 FOR UPDATE OF r, s`,
          [sha256(refreshToken)],
        );
        const found = rows[0];
        if (!found) return { error: unauthorized('INVALID_REFRESH_TOKEN', 'The refresh token is not valid.') };
        if (found.revoked_at) return { error: unauthorized('SESSION_REVOKED', 'This session has ended; sign in again.') };
        if (found.used_at) {
          // A rotated token came back: someone holds a copy. End the whole session (the token family).
          await tx.query(
            `UPDATE ${t('auth_sessions')} SET revoked_at = now(), revoked_reason = 'refresh token reuse' WHERE id = $1`,
            [found.family_id],
          );
          return {
            error: unauthorized('REFRESH_TOKEN_REUSED', 'This refresh token was already used; the session has been ended.'),
          };
        }
        if (found.expired)
          return { error: unauthorized('REFRESH_TOKEN_EXPIRED', 'The refresh token has expired; sign in again.') };
        const user = (await tx.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${t('users')} WHERE id = $1`, [found.user_id]))
          .rows[0];
        if (!user || user.disabled) return { error: unauthorized('USER_DISABLED', 'This user is disabled.') };
        const next = await newRefreshToken(tx, user.id, found.family_id);
        await tx.query(`UPDATE ${t('refresh_tokens')} SET used_at = now(), replaced_by = $2 WHERE id = $1`, [found.id, next.id]);
        await tx.query(`UPDATE ${t('auth_sessions')} SET expires_at = now() + make_interval(secs => $2) WHERE id = $1`, [
          found.family_id,
          config.refreshTokenTtl,
        ]);
        return { user, sessionId: found.family_id, refreshToken: next.token };
      });
      if ('error' in outcome) {
        // After the commit, so that no request re-caches the session in between.
        const error = outcome.error as ApiError;
        if (error.code === 'REFRESH_TOKEN_REUSED') forgetCredentials();
        throw error;
      }
      return {
        token: await signAccess(outcome.user, outcome.sessionId),
        refreshToken: outcome.refreshToken,
        expiresIn: config.accessTokenTtl,
        user: toUser(outcome.user),
      };
    },

    async logout(refreshToken) {
      if (typeof refreshToken !== 'string' || refreshToken.length === 0 || refreshToken.length > 200) return;
      await db.query(
        `UPDATE ${t('auth_sessions')} SET revoked_at = now(), revoked_reason = 'logout'
         WHERE revoked_at IS NULL AND id = (SELECT family_id FROM ${t('refresh_tokens')} WHERE token_hash = $1)`,
        [sha256(refreshToken)],
      );
      forgetCredentials();
    },

    async authenticate(credentials: Credentials) {
      if (credentials.apiKey) return viaApiKey(credentials.apiKey);
      if (credentials.bearer) {
        return credentials.bearer.startsWith(API_KEY_PREFIX) ? viaApiKey(credentials.bearer) : viaJwt(credentials.bearer, 'jwt');
      }
      if (credentials.cookie) return viaJwt(credentials.cookie, 'cookie');
      return null;
    },

    async createUser(by, input) {
      requireAdmin(by);
      const role = input.role ?? 'member';
      if (role !== 'admin' && role !== 'member') throw invalid('role', 'must be "admin" or "member"');
      return insertUser({ ...input, role });
    },

    async getUser(by, id) {
      if (id !== by.userId) requireAdmin(by);
      const row = await findUser(id);
      if (!row) throw new ApiError(404, 'USER_NOT_FOUND', `No user with id "${id}".`);
      return toUser(row);
    },

    async listUsers(by) {
      requireAdmin(by);
      const { rows } = await db.query<UserRow>(`SELECT ${USER_COLUMNS} FROM ${t('users')} ORDER BY created_at, id`);
      return rows.map(toUser);
    },

    async setUserDisabled(by, id, disabled) {
      requireAdmin(by);
      if (disabled && id === by.userId) throw new ApiError(409, 'CANNOT_DISABLE_SELF', 'You cannot disable your own account.');
      if (!UUID.test(id)) throw new ApiError(404, 'USER_NOT_FOUND', `No user with id "${id}".`);
      const updated = await db.transaction(async (tx) => {
        const { rows } = await tx.query<UserRow>(
          `UPDATE ${t('users')} SET disabled = $2, updated_at = now() WHERE id = $1 RETURNING ${USER_COLUMNS}`,
          [id, disabled],
        );
        if (rows[0] && disabled) {
          await tx.query(
            `UPDATE ${t('auth_sessions')} SET revoked_at = now(), revoked_reason = 'user disabled' WHERE user_id = $1 AND revoked_at IS NULL`,
            [id],
          );
        }
        return rows[0];
      });
      forgetCredentials();
      if (!updated) throw new ApiError(404, 'USER_NOT_FOUND', `No user with id "${id}".`);
      return toUser(updated);
    },

    async createApiKey(by, input) {
      requireKeyManager(by);
      const name = typeof input.name === 'string' ? input.name.trim() : '';
      if (name.length < 1 || name.length > 100) throw invalid('name', 'must be 1 to 100 characters');
      if (!Array.isArray(input.scopes) || input.scopes.length === 0) throw invalid('scopes', 'give at least one scope');
      const scopes = [...new Set(input.scopes)];
      for (const s of scopes) {
        if (!(API_SCOPES as readonly string[]).includes(s))
          throw invalid('scopes', `unknown scope "${s}"; use ${API_SCOPES.join(', ')}`);
        if (!hasScope(by, s)) throw forbidden(`You cannot grant the scope "${s}".`);
      }
      let expiresAt: Date | null = null;
      if (input.expiresAt !== undefined && input.expiresAt !== null) {
        expiresAt = new Date(input.expiresAt);
        if (Number.isNaN(expiresAt.getTime()) || expiresAt.getTime() <= Date.now())
          throw invalid('expiresAt', 'must be a date in the future');
      }
      const key = API_KEY_PREFIX + randomBytes(32).toString('base64url');
      const { rows } = await db.query<ApiKeyRow>(
        `INSERT INTO ${t('api_keys')} (id, name, prefix, key_hash, scopes, owner_id, expires_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING ${KEY_COLUMNS}`,
        [randomUUID(), name, key.slice(0, 11), sha256(key), scopes, by.userId, expiresAt],
      );
      return { key, apiKey: toApiKey(rows[0] as ApiKeyRow) };
    },

    async listApiKeys(by) {
      const { rows } = await db.query<ApiKeyRow>(
        `SELECT ${KEY_COLUMNS} FROM ${t('api_keys')} WHERE owner_id = $1 ORDER BY created_at DESC, id`,
        [by.userId],
      );
      return rows.map(toApiKey);
    },

    async revokeApiKey(by, id) {
      requireKeyManager(by, id);
      const notFound = new ApiError(404, 'API_KEY_NOT_FOUND', `No API key with id "${id}".`);
      if (!UUID.test(id)) throw notFound;
      const admin = hasScope(by, 'admin');
      const { rows } = await db.query<{ id: string }>(
        `UPDATE ${t('api_keys')} SET revoked_at = COALESCE(revoked_at, now())
         WHERE id = $1 AND (owner_id = $2 OR $3::boolean) RETURNING id`,
        [id, by.userId, admin],
      );
      forgetCredentials();
      if (!rows[0]) throw notFound;
    },

    async ensureAdmin(email = 'admin@jobfleet.local') {
      const normalised = normaliseEmail(email);
      const password = generatePassword();
      const passwordHash = await hashPassword(password);
      const created = await db.transaction(async (tx) => {
        await tx.query(`SELECT pg_advisory_xact_lock(hashtext($1))`, [`jobfleet:ensure-admin:${schema}`]);
        const { rows } = await tx.query<{ n: number }>(`SELECT count(*)::int AS n FROM ${t('users')}`);
        if ((rows[0]?.n ?? 0) > 0) return false;
        await tx.query(`INSERT INTO ${t('users')} (id, email, name, password_hash, role) VALUES ($1, $2, $3, $4, 'admin')`, [
          randomUUID(),
          normalised,
          'Administrator',
          passwordHash,
        ]);
        return true;
      });
      return created ? { email: normalised, password } : null;
    },
  };
  return service;
}
