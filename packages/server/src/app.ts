import { randomUUID } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import cookie from '@fastify/cookie';
import cors from '@fastify/cors';
import rateLimit from '@fastify/rate-limit';
import fastifyStatic from '@fastify/static';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { ApiError, type ServerDeps } from './contracts.ts';
import { graphqlPlugin } from './graphql/plugin.ts';
import { sendError } from './http-errors.ts';
import { ServerMetrics } from './metrics.ts';
import { authHook } from './principal.ts';
import { securityHeaders } from './security-headers.ts';
import { apiKeyRoutes } from './routes/api-keys.ts';
import { authRoutes } from './routes/auth.ts';
import { healthRoutes } from './routes/health.ts';
import { jobRoutes } from './routes/jobs.ts';
import { queueRoutes } from './routes/queues.ts';
import { scheduleRoutes } from './routes/schedules.ts';
import { userRoutes } from './routes/users.ts';
import { requestLoggerFactory } from './request-logger.ts';

export { loadServerConfig } from './config.ts';

export const API_PREFIX = '/api/v1';

/** Log redaction: credentials never reach the logs. */
export const REDACT_PATHS = [
  'req.headers.authorization',
  'req.headers.cookie',
  'req.headers["x-api-key"]',
  'res.headers["set-cookie"]',
  'headers.authorization',
  'headers.cookie',
  'headers["x-api-key"]',
  'password',
  'token',
  'refreshToken',
  'apiKey',
  'key',
  '*.password',
  '*.token',
  '*.refreshToken',
  '*.apiKey',
  '*.key',
  '*.secret',
];

const addFormats = ((addFormatsModule as unknown as { default?: unknown }).default ?? addFormatsModule) as unknown as (
  ajv: Ajv,
) => Ajv;

/**
 * Request validation: bodies are JSON and are not coerced (a number is not a string); query strings,
 * params and headers are text and are coerced to the declared types. All failing fields are reported.
 */
function validatorCompilers() {
  const common = { allErrors: true, useDefaults: true, removeAdditional: true, strict: false } as const;
  const body = addFormats(new Ajv({ ...common, coerceTypes: false }));
  const text = addFormats(new Ajv({ ...common, coerceTypes: 'array' }));
  return ({ schema, httpPart }: { schema: object; httpPart?: string }) => (httpPart === 'body' ? body : text).compile(schema);
}

/** Paths whose requests may carry credentials worth resolving (static files and docs never need them). */
const AUTH_PATHS = /^\/(?:api|graphql|metrics)(?:[/?]|$)/;

/**
 * The HTTP server: security headers, CORS, cookies, rate limits, OpenAPI + Swagger UI at /docs,
 * GraphQL, the REST API under /api/v1, health and metrics, and the dashboard at / when configured.
 * Call `app.listen()` (or `app.inject()` in tests); `app.close()` ends open event streams too.
 */
export async function buildServer(deps: ServerDeps): Promise<FastifyInstance> {
  const { fleet, auth, config } = deps;
  const cspDirectives: Record<string, string[] | null> = {
    'default-src': ["'self'"],
    'script-src': ["'self'"],
    'style-src': ["'self'", "'unsafe-inline'"],
    'img-src': ["'self'", 'data:', 'blob:'],
    'font-src': ["'self'", 'data:'],
    'connect-src': ["'self'"],
    'object-src': ["'none'"],
    'frame-ancestors': ["'none'"],
    'base-uri': ["'self'"],
    'form-action': ["'self'"],
    'upgrade-insecure-requests': config.secureCookies ? [] : null,
  };
  // On every response, including the router's own refusals (a bad URL), which no hook sees.
  const headers = securityHeaders({
    contentSecurityPolicy: { useDefaults: true, directives: cspDirectives },
    crossOriginEmbedderPolicy: false,
    strictTransportSecurity: config.secureCookies ? { maxAge: 31_536_000, includeSubDomains: true } : false,
  });
  const options: FastifyServerOptions = {
    bodyLimit: config.bodyLimit,
    genReqId: (req) => {
      const h = req.headers['x-request-id'];
      return typeof h === 'string' && /^[\w.:-]{1,64}$/.test(h) ? h : randomUUID();
    },
    return503OnClosing: true,
    trustProxy: (config.trustProxy ?? false) as FastifyServerOptions['trustProxy'],
    forceCloseConnections: 'idle',
    routerOptions: { ignoreTrailingSlash: true, maxParamLength: 200 },
    // Each request's logger is built when it first logs (request-logger.ts).
    childLoggerFactory: requestLoggerFactory as unknown as FastifyServerOptions['childLoggerFactory'],
    // The router's own refusals (bad percent-encoding, over-long path parameter) in the API's error shape.
    frameworkErrors: (err, request, reply) => {
      reply.headers(headers);
      sendError(err, request, reply);
    },
  };
  const app = (deps.logger
    ? Fastify({ ...options, loggerInstance: deps.logger })
    : Fastify({
        ...options,
        logger: { level: process.env.LOG_LEVEL ?? 'info', redact: { paths: REDACT_PATHS, censor: '[redacted]' } },
      })) as unknown as FastifyInstance;

  // Bodies are JSON only. Fastify also parses text/plain by default: a "simple" content type that a
  // cross-site page can send without a CORS preflight. Refused (415) like any other non-JSON body.
  app.removeContentTypeParser('text/plain');
  app.setValidatorCompiler(validatorCompilers());
  app.setErrorHandler((err, request, reply) => sendError(err, request, reply));
  app.decorateRequest('principal', null);
  app.decorateRequest('authError', null);
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(headers);
    done();
  });
  app.addHook('onSend', (request, reply, payload, done) => {
    reply.header('x-request-id', request.id);
    done(null, payload);
  });

  const metrics = new ServerMetrics(fleet);
  app.addHook('onResponse', (request, reply, done) => {
    metrics.recordRequest(request.method, request.routeOptions.url ?? 'unmatched', reply.statusCode, reply.elapsedTime / 1000);
    done();
  });

  // Open Server-Sent Event streams: ended before the server closes, so close() does not wait on them.
  const sseStreams = new Set<() => void>();
  app.addHook('preClose', async () => {
    for (const end of [...sseStreams]) end();
  });
  app.addHook('onClose', async () => metrics.close());

  await app.register(cors, {
    origin: config.corsOrigins.length ? config.corsOrigins : false,
    credentials: true,
    methods: ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'],
    allowedHeaders: ['authorization', 'content-type', 'x-api-key', 'idempotency-key', 'x-request-id'],
    exposedHeaders: ['x-request-id', 'retry-after', 'x-ratelimit-limit', 'x-ratelimit-remaining', 'x-ratelimit-reset'],
    maxAge: 600,
  });
  await app.register(cookie);

  // Who is calling, before the rate limit (so that it counts per user or API key rather than per IP).
  const resolvePrincipal = authHook(auth);
  app.addHook('onRequest', async (request, reply) => {
    if (AUTH_PATHS.test(request.url)) await resolvePrincipal(request, reply);
  });

  await app.register(rateLimit, {
    global: true,
    max: config.rateLimitPerMinute,
    timeWindow: 60_000,
    keyGenerator: (request) => {
      const p = request.principal;
      if (p?.apiKeyId) return `key:${p.apiKeyId}`;
      if (p) return `user:${p.userId}`;
      return `ip:${request.ip}`;
    },
    errorResponseBuilder: (_request, ctx) =>
      new ApiError(429, 'RATE_LIMITED', `Too many requests; retry in ${ctx.after}.`, {
        retryAfter: Math.max(1, Math.ceil(ctx.ttl / 1000)),
      }),
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.0.3',
      info: {
        title: 'Jobfleet API',
        version: '1.0.0',
        description:
          'Submit, follow and administer jobs. Authenticate with `Authorization: Bearer <token>` (from /auth/login), an API key (`X-API-Key: jf_…` or `Authorization: Bearer jf_…`), or the session cookie. Every error has the shape `{ "error": { "code", "message", "details" } }`.',
      },
      servers: [],
      components: {
        securitySchemes: {
          bearerAuth: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          apiKeyAuth: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          cookieAuth: { type: 'apiKey', in: 'cookie', name: 'jobfleet_token' },
        },
      },
      tags: [
        { name: 'auth' },
        { name: 'users' },
        { name: 'api-keys' },
        { name: 'jobs' },
        { name: 'job-types' },
        { name: 'queues' },
        { name: 'dead-letters' },
        { name: 'health' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs', uiConfig: { validatorUrl: null, deepLinking: true }, staticCSP: false });
  app.get('/openapi.json', { schema: { hide: true }, config: { rateLimit: false } }, async () => app.swagger());

  await app.register(graphqlPlugin, deps);

  await app.register(
    async (api) => {
      await api.register(authRoutes, deps);
      await api.register(userRoutes, deps);
      await api.register(apiKeyRoutes, deps);
      await api.register(jobRoutes, { ...deps, sseStreams });
      await api.register(queueRoutes, deps);
      await api.register(scheduleRoutes, deps);
      await api.register(healthRoutes, { ...deps, metrics });
    },
    { prefix: API_PREFIX },
  );
  // Probes and scrapers expect these at the root as well.
  await app.register(healthRoutes, { ...deps, metrics });

  const dashboardDir = config.dashboardDir ? resolve(config.dashboardDir) : null;
  const hasDashboard = dashboardDir !== null && existsSync(dashboardDir) && statSync(dashboardDir).isDirectory();
  if (hasDashboard) {
    await app.register(fastifyStatic, { root: dashboardDir, prefix: '/', wildcard: false, index: ['index.html'] });
  }

  const notFoundBody = (method: string, url: string) => ({
    error: { code: 'NOT_FOUND', message: `No route for ${method} ${url.split('?')[0]}.`, details: null },
  });
  app.setNotFoundHandler(async (request, reply) => {
    const path = request.url.split('?')[0] ?? '/';
    const isApi = /^\/(?:api|graphql|docs|openapi\.json|metrics|healthz|readyz)(?:[/.]|$)/.test(path);
    if (hasDashboard && (request.method === 'GET' || request.method === 'HEAD') && !isApi && !/\.[a-z0-9]{1,8}$/i.test(path)) {
      // The SPA routes on the client: every other page is index.html.
      return reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').sendFile('index.html');
    }
    return reply.status(404).send(notFoundBody(request.method, path.slice(0, 200)));
  });

  return app;
}
