import type { ServerConfig } from './contracts.ts';

/**
 * The server's settings from environment variables. Unset or empty variables take the default.
 *
 * | Variable                         | Default        | Meaning                                                                 |
 * |----------------------------------|----------------|-------------------------------------------------------------------------|
 * | JOBFLEET_OPEN_REGISTRATION       | true           | `POST /api/v1/auth/register` open to anyone; false: admins create users  |
 * | JOBFLEET_ACCESS_TOKEN_TTL        | 900            | access token (JWT) lifetime, seconds                                    |
 * | JOBFLEET_REFRESH_TOKEN_TTL       | 2592000        | refresh token lifetime, seconds (30 days; sliding on each refresh)      |
 * | JOBFLEET_CORS_ORIGINS            | (empty)        | comma-separated allowed origins; empty: same origin only                |
 * | JOBFLEET_BODY_LIMIT              | 1048576        | largest request body, bytes (larger: 413)                               |
 * | JOBFLEET_RATE_LIMIT              | 6000           | requests per minute per user, API key or IP (login/register: stricter)  |
 * | JOBFLEET_SECURE_COOKIES          | false          | mark auth cookies Secure (set it behind TLS)                            |
 * | JOBFLEET_DASHBOARD_DIR           | (unset)        | folder of the built dashboard, served at `/` with SPA fallback          |
 * | JOBFLEET_METRICS_PUBLIC          | true           | `GET /metrics` open; false: admin credentials required                  |
 * | JOBFLEET_AUTH_CACHE_MS         | 2000           | valid API keys/sessions are re-checked in the database after this, ms    |
 * | JOBFLEET_TRUST_PROXY             | (off)          | behind a proxy: true, a hop count, or comma-separated addresses/CIDRs   |
 * | JOBFLEET_JWT_SECRET              | (generated)    | HS256 secret, ≥ 32 chars; unset: generated once, kept in the database   |
 *
 * Booleans accept true/false/1/0/yes/no/on/off. Invalid values throw, naming the variable.
 * (JOBFLEET_JWT_SECRET is read by `createAuthService`, not here.)
 */
export function loadServerConfig(env: Record<string, string | undefined> = process.env): ServerConfig {
  const get = (k: string) => {
    const v = env[k]?.trim();
    return v === undefined || v === '' ? undefined : v;
  };
  const bool = (k: string, def: boolean): boolean => {
    const v = get(k)?.toLowerCase();
    if (v === undefined) return def;
    if (['1', 'true', 'yes', 'on'].includes(v)) return true;
    if (['0', 'false', 'no', 'off'].includes(v)) return false;
    throw new Error(`${k} must be true or false (got "${env[k]}").`);
  };
  const int = (k: string, def: number, min: number, max: number): number => {
    const v = get(k);
    if (v === undefined) return def;
    const n = Number(v);
    if (!Number.isInteger(n) || n < min || n > max)
      throw new Error(`${k} must be an integer from ${min} to ${max} (got "${v}").`);
    return n;
  };
  const origins = (get('JOBFLEET_CORS_ORIGINS') ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  return {
    openRegistration: bool('JOBFLEET_OPEN_REGISTRATION', true),
    accessTokenTtl: int('JOBFLEET_ACCESS_TOKEN_TTL', 900, 10, 7 * 86_400),
    refreshTokenTtl: int('JOBFLEET_REFRESH_TOKEN_TTL', 30 * 86_400, 60, 366 * 86_400),
    corsOrigins: origins,
    bodyLimit: int('JOBFLEET_BODY_LIMIT', 1_048_576, 1024, 1024 * 1_048_576),
    rateLimitPerMinute: int('JOBFLEET_RATE_LIMIT', 6000, 1, 10_000_000),
    secureCookies: bool('JOBFLEET_SECURE_COOKIES', false),
    dashboardDir: get('JOBFLEET_DASHBOARD_DIR'),
    metricsPublic: bool('JOBFLEET_METRICS_PUBLIC', true),
    authCacheMs: int('JOBFLEET_AUTH_CACHE_MS', 2000, 0, 60_000),
    trustProxy: trustProxy(get('JOBFLEET_TRUST_PROXY')),
  };
}

function trustProxy(v: string | undefined): boolean | number | string[] {
  if (v === undefined || ['false', '0', 'no', 'off'].includes(v.toLowerCase())) return false;
  if (['true', 'yes', 'on'].includes(v.toLowerCase())) return true;
  if (/^\d+$/.test(v)) return Number(v);
  return v
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}
