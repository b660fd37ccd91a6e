import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, type ServerDeps, type TokenPair, type User } from '../contracts.ts';
import { ACCESS_COOKIE, principalOf, REFRESH_COOKIE, secured } from '../principal.ts';
import { errorResponses, errorSchema, okSchema, userSchema } from '../schemas.ts';

const email = { type: 'string', minLength: 3, maxLength: 254 } as const;
const password = { type: 'string', minLength: 1, maxLength: 1024 } as const;

const sessionSchema = {
  type: 'object',
  properties: {
    token: { type: 'string', description: 'Access token (JWT, HS256): send as `Authorization: Bearer …`.' },
    refreshToken: { type: 'string', description: 'Exchange at /auth/refresh for a new pair; each works once.' },
    expiresIn: { type: 'integer', description: 'Seconds until the access token expires.' },
    user: userSchema,
  },
  required: ['token', 'refreshToken', 'expiresIn', 'user'],
} as const;

/**
 * Stricter per-IP limits on the unauthenticated endpoints that cost a password hash: a fraction of the
 * general limit (with the default 6000/min: login 30, register 20, refresh 60 per minute and IP).
 */
const strictLimit = (general: number, divisor: number) => ({
  rateLimit: {
    max: Math.max(5, Math.floor(general / divisor)),
    timeWindow: 60_000,
    keyGenerator: (req: { ip: string }) => `ip:${req.ip}`,
  },
});

/** A POST without a body (a browser relying on its cookie) validates as `{}`. */
export async function emptyBody(request: FastifyRequest): Promise<void> {
  if (request.body === undefined || request.body === null) request.body = {};
}

/** Sign-up, sign-in, token refresh, sign-out, and who am I. */
export const authRoutes: FastifyPluginAsync<ServerDeps> = async (app, { auth, config }) => {
  const cookieBase = { httpOnly: true, sameSite: 'lax' as const, secure: config.secureCookies };

  function setSession(reply: FastifyReply, s: TokenPair & { user: User }) {
    // The body carries the tokens: no cache (browser, proxy) may keep it.
    reply.header('cache-control', 'no-store').header('pragma', 'no-cache');
    reply.setCookie(ACCESS_COOKIE, s.token, { ...cookieBase, path: '/', maxAge: config.accessTokenTtl });
    reply.setCookie(REFRESH_COOKIE, s.refreshToken, { ...cookieBase, path: '/api/v1/auth', maxAge: config.refreshTokenTtl });
  }
  function clearSession(reply: FastifyReply) {
    reply.clearCookie(ACCESS_COOKIE, { ...cookieBase, path: '/' });
    reply.clearCookie(REFRESH_COOKIE, { ...cookieBase, path: '/api/v1/auth' });
  }

  app.post<{ Body: { email: string; password: string; name?: string } }>(
    '/auth/register',
    {
      config: strictLimit(config.rateLimitPerMinute, 300),
      schema: {
        tags: ['auth'],
        summary: 'Create an account (when registration is open)',
        body: {
          type: 'object',
          properties: {
            email,
            password: { type: 'string', minLength: 8, maxLength: 1024 },
            name: { type: 'string', maxLength: 200 },
          },
          required: ['email', 'password'],
        },
        response: { 201: userSchema, 409: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const user = await auth.register(request.body);
      return reply.status(201).send(user);
    },
  );

  app.post<{ Body: { email: string; password: string } }>(
    '/auth/login',
    {
      config: strictLimit(config.rateLimitPerMinute, 200),
      schema: {
        tags: ['auth'],
        summary: 'Sign in: returns tokens and sets the HTTP-only session cookies',
        body: { type: 'object', properties: { email, password }, required: ['email', 'password'] },
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const session = await auth.login(request.body, { ip: request.ip });
      setSession(reply, session);
      return session;
    },
  );

  app.post<{ Body: { refreshToken?: string } | undefined }>(
    '/auth/refresh',
    {
      preValidation: emptyBody,
      config: strictLimit(config.rateLimitPerMinute, 100),
      schema: {
        tags: ['auth'],
        summary: 'Exchange a refresh token (body or cookie) for a new pair; the old one stops working',
        body: { type: 'object', properties: { refreshToken: { type: 'string', maxLength: 200 } } },
        response: { 200: sessionSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = request.body?.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (!token) throw new ApiError(401, 'INVALID_REFRESH_TOKEN', 'Send the refresh token in the body or its cookie.');
      try {
        const session = await auth.refresh(token);
        setSession(reply, session);
        return session;
      } catch (err) {
        if (err instanceof ApiError && err.status === 401) clearSession(reply);
        throw err;
      }
    },
  );

  app.post<{ Body: { refreshToken?: string } | undefined }>(
    '/auth/logout',
    {
      preValidation: emptyBody,
      schema: {
        tags: ['auth'],
        summary: 'Sign out: ends the session of the refresh token (body or cookie) and clears the cookies',
        body: { type: 'object', properties: { refreshToken: { type: 'string', maxLength: 200 } } },
        response: { 200: okSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const token = request.body?.refreshToken ?? request.cookies[REFRESH_COOKIE];
      if (token) await auth.logout(token);
      clearSession(reply);
      return { ok: true };
    },
  );

  app.get(
    '/auth/me',
    {
      schema: {
        tags: ['auth'],
        summary: 'The signed-in user',
        security: secured,
        response: { 200: userSchema, ...errorResponses },
      },
    },
    async (request) => {
      const p = principalOf(request);
      return auth.getUser(p, p.userId);
    },
  );
};
