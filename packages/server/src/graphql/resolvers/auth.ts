/** Users and sessions: login, createUser, user, users, me. */
import type { FastifyReply } from 'fastify';
import type { IResolvers } from 'mercurius';
import type { Role, ServerDeps, User } from '../../contracts.ts';
import { REFRESH_COOKIE, requirePrincipal, requireScope, TOKEN_COOKIE, type GqlContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { exactlyOne, iso } from './util.ts';

interface LoginInput {
  email: string;
  password: string;
}

interface CreateUserInput extends LoginInput {
  name?: string | null;
  role?: 'ADMIN' | 'MEMBER' | null;
}

/** The REST auth routes' path (where the refresh cookie is sent). */
const REFRESH_COOKIE_PATH = '/api/v1/auth';

/** Sets one HTTP-only, SameSite=Lax cookie (through @fastify/cookie when registered). */
function setCookie(reply: FastifyReply, secure: boolean, name: string, value: string, path: string, maxAge: number): void {
  const withCookie = reply as FastifyReply & {
    setCookie?: (name: string, value: string, opts: Record<string, unknown>) => FastifyReply;
  };
  if (typeof withCookie.setCookie === 'function') {
    withCookie.setCookie(name, value, { path, httpOnly: true, sameSite: 'lax', secure, maxAge });
    return;
  }
  const parts = [
    `${name}=${encodeURIComponent(value)}`,
    `Path=${path}`,
    'HttpOnly',
    'SameSite=Lax',
    `Max-Age=${Math.max(0, Math.floor(maxAge))}`,
  ];
  if (secure) parts.push('Secure');
  const existing = reply.getHeader('set-cookie');
  const list = existing === undefined ? [] : Array.isArray(existing) ? existing.map(String) : [String(existing)];
  reply.header('set-cookie', [...list, parts.join('; ')]);
}

/** The same session cookies as the REST login: the access token for every path, the refresh token for /api/v1/auth. */
function setSessionCookies(reply: FastifyReply, deps: ServerDeps, s: { token: string; refreshToken: string }): void {
  const { secureCookies, accessTokenTtl, refreshTokenTtl } = deps.config;
  // The response carries the tokens: no cache may keep it.
  reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
  setCookie(reply, secureCookies, TOKEN_COOKIE, s.token, '/', accessTokenTtl);
  setCookie(reply, secureCookies, REFRESH_COOKIE, s.refreshToken, REFRESH_COOKIE_PATH, refreshTokenTtl);
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function authResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  return {
    // Mercurius does not map enum internal values: roles are converted by hand (ADMIN <-> admin).
    User: {
      role: (u: User) => u.role.toUpperCase(),
      createdAt: (u: User) => iso(u.createdAt),
      updatedAt: (u: User) => iso(u.updatedAt),
      lastLoginAt: (u: User) => iso(u.lastLoginAt),
    },
    Query: {
      me: (_: unknown, __: unknown, ctx: GqlContext) => {
        const p = requirePrincipal(ctx);
        return deps.auth.getUser(p, p.userId);
      },
      user: (_: unknown, args: { id?: string | null; userId?: string | null }, ctx: GqlContext) => {
        const p = requirePrincipal(ctx);
        const id = exactlyOne({ id: args.id, userId: args.userId }, 'user');
        return deps.auth.getUser(p, id);
      },
      users: (_: unknown, __: unknown, ctx: GqlContext) => {
        const p = requireScope(ctx, 'admin');
        return deps.auth.listUsers(p);
      },
    },
    Mutation: {
      login: async (_: unknown, args: { input?: LoginInput | null; loginInput?: LoginInput | null }, ctx: GqlContext) => {
        const input = exactlyOne({ input: args.input, loginInput: args.loginInput }, 'login');
        if (!ctx.reply?.request) throw invalid('login is only available over HTTP.');
        const result = await deps.auth.login({ email: input.email, password: input.password }, { ip: ctx.reply.request.ip });
        setSessionCookies(ctx.reply, deps, result);
        return { token: result.token, refreshToken: result.refreshToken, expiresIn: result.expiresIn, user: result.user };
      },
      createUser: (
        _: unknown,
        args: { input?: CreateUserInput | null; createUserInput?: CreateUserInput | null },
        ctx: GqlContext,
      ) => {
        const p = requirePrincipal(ctx);
        const input = exactlyOne({ input: args.input, createUserInput: args.createUserInput }, 'createUser');
        return deps.auth.createUser(p, {
          email: input.email,
          password: input.password,
          ...(input.name != null ? { name: input.name } : {}),
          ...(input.role != null ? { role: input.role.toLowerCase() as Role } : {}),
        });
      },
    },
  };
}
