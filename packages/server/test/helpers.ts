import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Jobfleet, type DispatchConfig } from '@jobfleet/core';
import { createTestDatabase, type TestDatabase } from '@jobfleet/core/testing';
import { exampleJobTypes } from '@jobfleet/examples';
import {
  buildServer,
  createAuthService,
  loadServerConfig,
  serverMigrations,
  type AuthService,
  type ServerConfig,
} from '../src/index.ts';

export const TEST_SECRET = 'test-secret-0123456789-abcdefghijklmnopqrstuvwxyz';

export interface Harness {
  fleet: Jobfleet;
  auth: AuthService;
  app: FastifyInstance;
  config: ServerConfig;
  base: string;
  db: TestDatabase | null;
  admin: { email: string; password: string };
  close(): Promise<void>;
}

export interface HarnessOptions {
  pglite?: boolean;
  config?: Partial<ServerConfig>;
  secret?: string;
  listen?: boolean;
  logger?: import('fastify').FastifyBaseLogger;
  dispatch?: DispatchConfig;
}

/** A fleet on a fresh database (real PostgreSQL unless pglite), its auth service and a listening server. */
export async function startHarness(opts: HarnessOptions = {}): Promise<Harness> {
  const db = opts.pglite ? null : await createTestDatabase('jobfleet_srv');
  const fleet = await Jobfleet.open({
    ...(db ? { databaseUrl: db.url } : { memory: true }),
    jobTypes: exampleJobTypes,
    migrations: serverMigrations(),
    ...(opts.dispatch ? { dispatch: opts.dispatch } : {}),
  });
  const config: ServerConfig = { ...loadServerConfig({}), rateLimitPerMinute: 100_000, ...opts.config };
  const auth = createAuthService({ fleet, config, secret: opts.secret ?? TEST_SECRET });
  const admin = (await auth.ensureAdmin('admin@example.com')) as { email: string; password: string };
  const app = await buildServer({
    fleet,
    auth,
    config,
    logger: opts.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' }),
  });
  let base = '';
  if (opts.listen !== false) {
    await app.listen({ port: 0, host: '127.0.0.1' });
    const addr = app.server.address();
    base = typeof addr === 'object' && addr ? `http://127.0.0.1:${addr.port}` : '';
  } else {
    await app.ready();
  }
  return {
    fleet,
    auth,
    app,
    config,
    base,
    db,
    admin,
    close: async () => {
      await app.close();
      await fleet.close({ graceMs: 1000 });
      await db?.drop();
    },
  };
}

export interface Res<T = any> {
  status: number;
  body: T;
  headers: Headers;
}

/** A small fetch wrapper: JSON in, JSON out; `token` goes in Authorization: Bearer. */

export async function call<T = any>(
  h: Pick<Harness, 'base'>,
  method: string,
  path: string,
  opts: { body?: unknown; raw?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Res<T>> {
  const headers: Record<string, string> = { ...opts.headers };
  if (opts.token) headers.authorization = `Bearer ${opts.token}`;
  let body: string | undefined;
  if (opts.raw !== undefined) {
    body = opts.raw;
    headers['content-type'] ??= 'application/json';
  } else if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['content-type'] = 'application/json';
  }
  const res = await fetch(h.base + path, { method, headers, body });
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = text ? JSON.parse(text) : null;
  } catch {
    /* not JSON */
  }
  return { status: res.status, body: parsed as T, headers: res.headers };
}

let counter = 0;
/** Registers and signs in a new member; returns its token and id. */
export async function newMember(
  h: Harness,
  name = 'member',
): Promise<{ id: string; email: string; password: string; token: string; refreshToken: string }> {
  const email = `${name}.${++counter}.${Date.now()}@Example.com`;
  const password = 'correct horse battery staple';
  const reg = await call(h, 'POST', '/api/v1/auth/register', { body: { email, password, name } });
  if (reg.status !== 201) throw new Error(`register failed: ${reg.status} ${JSON.stringify(reg.body)}`);
  const login = await call(h, 'POST', '/api/v1/auth/login', { body: { email, password } });
  if (login.status !== 200) throw new Error(`login failed: ${login.status} ${JSON.stringify(login.body)}`);
  return {
    id: reg.body.id,
    email: email.toLowerCase(),
    password,
    token: login.body.token,
    refreshToken: login.body.refreshToken,
  };
}

export async function adminToken(h: Harness): Promise<string> {
  const r = await call(h, 'POST', '/api/v1/auth/login', { body: h.admin });
  if (r.status !== 200) throw new Error(`admin login failed: ${r.status}`);
  return r.body.token;
}
