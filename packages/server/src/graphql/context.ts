/**
 * The per-request GraphQL context: who is calling, resolved once from the Authorization header (Bearer JWT
 * or API key), the jobfleet_token cookie, or X-API-Key. Invalid credentials do not fail the request at
 * once: the error is kept and raised by the first resolver that needs a caller (so `login` still works
 * with a stale cookie).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import type { MercuriusContext } from 'mercurius';
import { hasScope, type ApiScope, type Credentials, type Principal, type ServerDeps } from '../contracts.ts';
import { ACCESS_COOKIE, REFRESH_COOKIE } from '../principal.ts';
import { forbidden, unauthenticated } from './errors.ts';

/** The same cookies as the REST auth routes. */
export const TOKEN_COOKIE = ACCESS_COOKIE;
export { REFRESH_COOKIE };

export interface GqlContext extends MercuriusContext {
  principal: Principal | null;
  /** What authenticate() threw for the credentials given, if anything. */
  authError: unknown;
  /** The HTTP request (the upgrade request for subscriptions). */
  request?: FastifyRequest;
}

type Headers = Record<string, string | string[] | undefined>;

function header(headers: Headers, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v[0] : v;
}

/** Reads one cookie from a Cookie header (used when @fastify/cookie is not registered). */
export function readCookie(cookieHeader: string | undefined, name: string): string | undefined {
  if (!cookieHeader) return undefined;
  for (const part of cookieHeader.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0) continue;
    if (part.slice(0, eq).trim() === name) {
      const raw = part.slice(eq + 1).trim();
      try {
        return decodeURIComponent(raw);
      } catch {
        return raw;
      }
    }
  }
  return undefined;
}

export function bearerOf(value: string | undefined): string | undefined {
  if (!value) return undefined;
  const m = /^Bearer\s+(\S+)\s*$/i.exec(value);
  return m ? m[1] : undefined;
}

/** Credentials from HTTP headers (also used for the WebSocket upgrade request). */
export function credentialsFromRequest(request: FastifyRequest): Credentials {
  const headers = request.headers as Headers;
  const creds: Credentials = {};
  const bearer = bearerOf(header(headers, 'authorization'));
  if (bearer) creds.bearer = bearer;
  const cookies = (request as { cookies?: Record<string, string | undefined> }).cookies;
  const cookie = cookies?.[TOKEN_COOKIE] ?? readCookie(header(headers, 'cookie'), TOKEN_COOKIE);
  if (cookie) creds.cookie = cookie;
  const apiKey = header(headers, 'x-api-key');
  if (apiKey) creds.apiKey = apiKey;
  return creds;
}

/** Credentials from a subscription's connection_init payload: { authorization | token | apiKey | headers: {...} }. */
export function credentialsFromConnectionParams(payload: unknown): Credentials {
  const creds: Credentials = {};
  if (!payload || typeof payload !== 'object') return creds;
  const p = payload as Record<string, unknown>;
  const nested = p.headers && typeof p.headers === 'object' ? (p.headers as Record<string, unknown>) : {};
  const pick = (...keys: string[]): string | undefined => {
    for (const src of [p, nested]) {
      for (const k of keys) {
        const v = src[k];
        if (typeof v === 'string' && v.length > 0) return v;
      }
    }
    return undefined;
  };
  const auth = pick('authorization', 'Authorization');
  const bearer = bearerOf(auth) ?? (auth && !/\s/.test(auth) ? auth : undefined) ?? pick('token', 'authToken', 'accessToken');
  if (bearer) creds.bearer = bearer;
  const apiKey = pick('apiKey', 'x-api-key', 'X-API-Key');
  if (apiKey) creds.apiKey = apiKey;
  return creds;
}

export function hasCredentials(c: Credentials): boolean {
  return Boolean(c.bearer || c.cookie || c.apiKey);
}

/** Authenticates without throwing: { principal } or { authError }. */
export async function resolvePrincipal(
  deps: ServerDeps,
  creds: Credentials,
): Promise<{ principal: Principal | null; authError: unknown }> {
  if (!hasCredentials(creds)) return { principal: null, authError: null };
  try {
    return { principal: await deps.auth.authenticate(creds), authError: null };
  } catch (err) {
    return { principal: null, authError: err };
  }
}

export function buildContext(deps: ServerDeps) {
  return async (request: FastifyRequest, _reply: FastifyReply): Promise<Partial<GqlContext>> => {
    // When the server's auth hook already resolved the caller, reuse it (no second token check).
    const pre = request as { principal?: Principal | null; authError?: unknown };
    if (pre.principal || pre.authError) return { principal: pre.principal ?? null, authError: pre.authError ?? null, request };
    const { principal, authError } = await resolvePrincipal(deps, credentialsFromRequest(request));
    return { principal, authError, request };
  };
}

/** The caller, or the authentication error. */
export function requirePrincipal(ctx: GqlContext): Principal {
  if (ctx.authError) throw ctx.authError;
  if (!ctx.principal) throw unauthenticated();
  return ctx.principal;
}

const SCOPE_WORDS: Record<ApiScope, string> = {
  'jobs:read': 'read jobs (scope jobs:read)',
  'jobs:write': 'submit or change jobs (scope jobs:write)',
  'schedules:read': 'read schedules (scope schedules:read)',
  'schedules:write': 'change schedules (scope schedules:write)',
  admin: 'do this: it needs an administrator (scope admin)',
};

export function requireScope(ctx: GqlContext, scope: ApiScope): Principal {
  const p = requirePrincipal(ctx);
  if (!hasScope(p, scope)) throw forbidden(SCOPE_WORDS[scope]);
  return p;
}
