/**
 * The shapes shared by the server's parts (auth, REST, GraphQL, SSE) and by the CLI that wires them.
 * Keep this file small and stable: the parts are written against it.
 */
import type { Jobfleet } from '@jobfleet/core';
import type { FastifyBaseLogger } from 'fastify';

export type Role = 'admin' | 'member';

/**
 * Job events cross processes over NOTIFY, which is best effort: SSE streams and GraphQL subscriptions
 * re-read their job this often, so a lost notification delays an update instead of stranding it.
 */
export const JOB_RECHECK_MS = 5_000;
export const API_SCOPES = ['jobs:read', 'jobs:write', 'schedules:read', 'schedules:write', 'admin'] as const;
export type ApiScope = (typeof API_SCOPES)[number];

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  createdAt: Date;
  updatedAt: Date;
  lastLoginAt: Date | null;
}

export interface ApiKey {
  id: string;
  name: string;
  /** The first characters of the key, to recognise it; the key itself is shown once, at creation. */
  prefix: string;
  scopes: ApiScope[];
  ownerId: string;
  createdAt: Date;
  lastUsedAt: Date | null;
  expiresAt: Date | null;
  revokedAt: Date | null;
}

/** Who is calling. A user session has every scope its role allows; an API key only its own scopes. */
export interface Principal {
  userId: string;
  email: string;
  role: Role;
  via: 'jwt' | 'cookie' | 'api-key';
  /** null for a user session (everything the role allows); the key's scopes for an API key. */
  scopes: ApiScope[] | null;
  apiKeyId?: string;
}

export interface TokenPair {
  token: string;
  refreshToken: string;
  /** Seconds until `token` expires. */
  expiresIn: number;
}

export interface Credentials {
  /** From `Authorization: Bearer …` (a JWT, or an API key starting with "jf_"). */
  bearer?: string;
  /** The access-token cookie set at login, for browsers. */
  cookie?: string;
  /** From the `X-API-Key` header. */
  apiKey?: string;
}

export interface AuthService {
  register(input: { email: string; password: string; name?: string }): Promise<User>;
  login(input: { email: string; password: string }, meta: { ip: string }): Promise<TokenPair & { user: User }>;
  /** Rotates: the old refresh token stops working; reusing it revokes the whole family. */
  refresh(refreshToken: string): Promise<TokenPair & { user: User }>;
  logout(refreshToken: string): Promise<void>;
  /** null when no credentials were given; throws ApiError 401 when they are invalid, expired, revoked or the user is disabled. */
  authenticate(credentials: Credentials): Promise<Principal | null>;
  createUser(by: Principal, input: { email: string; password: string; name?: string; role?: Role }): Promise<User>;
  getUser(by: Principal, id: string): Promise<User>;
  listUsers(by: Principal): Promise<User[]>;
  setUserDisabled(by: Principal, id: string, disabled: boolean): Promise<User>;
  createApiKey(
    by: Principal,
    input: { name: string; scopes: ApiScope[]; expiresAt?: Date },
  ): Promise<{ key: string; apiKey: ApiKey }>;
  listApiKeys(by: Principal): Promise<ApiKey[]>;
  revokeApiKey(by: Principal, id: string): Promise<void>;
  /** First start: creates an admin when there is no user at all; returns the generated password once. */
  ensureAdmin(email?: string): Promise<{ email: string; password: string } | null>;
}

export interface ServerConfig {
  /** Open registration (default true); false: only admins create users. */
  openRegistration: boolean;
  /** Access token lifetime in seconds (default 900). */
  accessTokenTtl: number;
  /** Refresh token lifetime in seconds (default 30 days). */
  refreshTokenTtl: number;
  /** Allowed CORS origins; empty: same origin only. */
  corsOrigins: string[];
  /** Largest request body in bytes (default 1 MiB). */
  bodyLimit: number;
  /** Requests per minute per principal or IP (default 6000); login is stricter. */
  rateLimitPerMinute: number;
  /** Serve cookies with Secure (set when behind TLS). */
  secureCookies: boolean;
  /** Folder of the built dashboard to serve at / (optional). */
  dashboardDir?: string;
  /** GET /metrics without authentication (default true: scrape it from inside the network); false: admin only. */
  metricsPublic?: boolean;
  /**
   * How long a valid API key or session is taken on this process's word before the database is asked
   * again, ms (default 2000 from loadServerConfig; 0 or unset: every request asks). Changes made
   * through this process apply at once; a revocation or disable made by another process, within this.
   */
  authCacheMs?: number;
  /** Trust X-Forwarded-* from proxies (Fastify's trustProxy): true, a hop count, or addresses/CIDRs. Default: off. */
  trustProxy?: boolean | number | string[];
}

export interface ServerDeps {
  fleet: Jobfleet;
  auth: AuthService;
  config: ServerConfig;
  logger?: FastifyBaseLogger;
}

/** The one error shape of the API: `{ error: { code, message, details } }` with an HTTP status. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: unknown,
  ) {
    super(message);
    this.name = 'ApiError';
  }
}

/** Whether a principal may do what a scope covers. Admin role or `admin` scope covers everything. */
export function hasScope(p: Principal, scope: ApiScope): boolean {
  if (p.scopes === null) return scope === 'admin' ? p.role === 'admin' : true;
  if (p.scopes.includes('admin')) return p.role === 'admin';
  return p.scopes.includes(scope);
}

/** Members act on their own jobs only; admins on all. Returns the owner filter to apply. */
export function ownerScope(p: Principal): { ownerId?: string } {
  return p.role === 'admin' && (p.scopes === null || p.scopes.includes('admin')) ? {} : { ownerId: p.userId };
}
