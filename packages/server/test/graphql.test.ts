/**
 * GraphQL over real HTTP and a real WebSocket, against a real PostgreSQL, with a real worker running the
 * seeds' job types to completion.
 */
import { createRequire } from 'node:module';
import type { AddressInfo } from 'node:net';
import Fastify, { type FastifyInstance } from 'fastify';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Jobfleet, type Worker } from '@jobfleet/core';
import { createTestDatabase, pgAvailable, waitFor, type TestDatabase } from '@jobfleet/core/testing';
import { exampleJobTypes } from '@jobfleet/examples';
import { buildServer } from '../src/app.ts';
import { createAuthService } from '../src/auth/index.ts';
import { loadServerConfig } from '../src/config.ts';
import type { AuthService, ServerDeps } from '../src/contracts.ts';
import { graphqlPlugin, type GraphqlOptions } from '../src/graphql/plugin.ts';
import { serverMigrations } from '../src/migrations.ts';

// `ws` ships no types here; the few members used are typed by hand.
interface WsClient {
  readonly readyState: number;
  readonly protocol: string;
  send(data: string): void;
  close(): void;
  on(event: 'message', fn: (data: Buffer) => void): void;
  on(event: 'open' | 'close', fn: () => void): void;
  on(event: 'error', fn: (err: Error) => void): void;
}
const WebSocket = createRequire(import.meta.url)('ws') as new (
  url: string,
  protocols?: string | string[],
  opts?: { headers?: Record<string, string> },
) => WsClient;

interface GqlResponse<T = Record<string, any>> {
  status: number;
  data: T | null;
  errors?: { message: string; extensions?: { code?: string; details?: unknown }; path?: unknown[] }[];
  headers: Headers;
}

interface Auth {
  token?: string;
  apiKey?: string;
  cookie?: string;
}

describe.runIf(pgAvailable)('GraphQL API', () => {
  let db: TestDatabase;
  let fleet: Jobfleet;
  let auth: AuthService;
  let app: FastifyInstance;
  let worker: Worker;
  let base: string;
  let adminToken: string;
  let aliceToken: string;
  let aliceId: string;
  let bobToken: string;

  async function gql<T = Record<string, any>>(
    query: string,
    variables?: Record<string, unknown>,
    who: Auth = {},
  ): Promise<GqlResponse<T>> {
    const headers: Record<string, string> = { 'content-type': 'application/json' };
    if (who.token) headers.authorization = `Bearer ${who.token}`;
    if (who.apiKey) headers['x-api-key'] = who.apiKey;
    if (who.cookie) headers.cookie = who.cookie;
    const res = await fetch(`${base}/graphql`, { method: 'POST', headers, body: JSON.stringify({ query, variables }) });
    const body = (await res.json()) as { data?: T | null; errors?: GqlResponse['errors'] };
    return { status: res.status, data: body.data ?? null, errors: body.errors, headers: res.headers };
  }
  const codes = (r: GqlResponse) => (r.errors ?? []).map((e) => e.extensions?.code);

  async function login(email: string, password: string): Promise<string> {
    const r = await gql<{ login: { token: string } }>(`mutation($i: LoginInput!) { login(input: $i) { token } }`, {
      i: { email, password },
    });
    expect(r.errors).toBeUndefined();
    return r.data!.login.token;
  }

  async function waitForStatus(id: string, statuses: string[], who: Auth) {
    const job = await waitFor(
      async () => {
        const r = await gql<{ job: { status: string; result: unknown } }>(
          `query($id: ID!) { job(id: $id) { id status result attempts } }`,
          { id },
          who,
        );
        return r.data?.job && statuses.includes(r.data.job.status) ? r.data.job : null;
      },
      { timeoutMs: 15_000, what: `job ${id} to reach ${statuses.join('/')}` },
    );
    return job!;
  }

  beforeAll(async () => {
    db = await createTestDatabase();
    fleet = await Jobfleet.open({ databaseUrl: db.url, jobTypes: exampleJobTypes, migrations: serverMigrations() });
    const config = loadServerConfig({});
    auth = createAuthService({ fleet, config, secret: 'graphql-test-secret-0123456789-abcdefghij' });
    const deps: ServerDeps = { fleet, auth, config };
    // The real server (helmet, CORS, cookies, auth hook, rate limit, REST...) with GraphQL registered in it.
    app = await buildServer({ ...deps, logger: pino({ level: process.env.GQL_TEST_LOG ? 'error' : 'silent' }) });
    await app.listen({ port: 0, host: '127.0.0.1' });
    base = `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`;
    worker = fleet.createWorker({ concurrency: 4, pollIntervalMs: 200 });
    await worker.start();

    const admin = await auth.ensureAdmin('admin@graphql.test');
    adminToken = await login(admin!.email, admin!.password);
  });

  afterAll(async () => {
    await app?.close();
    await fleet?.close({ graceMs: 1000 });
    await db?.drop();
  });

  describe('users and sessions', () => {
    it('lets an admin create users (input and seed 000 createUserInput)', async () => {
      const a = await gql<{ createUser: { id: string; email: string; role: string } }>(
        `mutation($i: CreateUserInput!) { createUser(input: $i) { id email role name } }`,
        { i: { email: 'alice@graphql.test', password: 'alice-password-123', name: 'Alice' } },
        { token: adminToken },
      );
      expect(a.errors).toBeUndefined();
      expect(a.data!.createUser).toMatchObject({ email: 'alice@graphql.test', role: 'MEMBER', name: 'Alice' });
      aliceId = a.data!.createUser.id;
      const b = await gql(
        `mutation { createUser(createUserInput: { email: "bob@graphql.test", password: "bob-password-1234" }) { id email } }`,
        undefined,
        { token: adminToken },
      );
      expect(b.errors).toBeUndefined();
    });

    it('refuses createUser anonymously and from a member, and duplicate emails', async () => {
      const q = `mutation { createUser(input: { email: "eve@graphql.test", password: "eve-password-123" }) { id } }`;
      expect(codes(await gql(q))).toEqual(['UNAUTHENTICATED']);
      aliceToken = await login('alice@graphql.test', 'alice-password-123');
      expect(codes(await gql(q, undefined, { token: aliceToken }))).toEqual(['FORBIDDEN']);
      const dup = await gql(
        `mutation { createUser(input: { email: "alice@graphql.test", password: "x-password-123" }) { id } }`,
        undefined,
        {
          token: adminToken,
        },
      );
      expect(codes(dup)).toEqual(['EMAIL_TAKEN']);
      const notFound = await gql(`{ user(id: "00000000-0000-4000-8000-000000000000") { id } }`, undefined, { token: adminToken });
      expect(notFound.errors![0]!.extensions).toMatchObject({ code: 'NOT_FOUND', reason: 'USER_NOT_FOUND' });
    });

    it('logs in with input or loginInput, returns tokens and sets the HTTP-only cookie', async () => {
      const r = await gql<{
        login: { token: string; refreshToken: string; expiresIn: number; user: { email: string; role: string } };
      }>(
        `mutation { login(loginInput: { email: "bob@graphql.test", password: "bob-password-1234" }) { token refreshToken expiresIn user { email role } } }`,
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.login).toMatchObject({ expiresIn: 900, user: { email: 'bob@graphql.test', role: 'MEMBER' } });
      expect(r.data!.login.refreshToken.length).toBeGreaterThan(10);
      bobToken = r.data!.login.token;
      const setCookie = r.headers.get('set-cookie') ?? '';
      expect(setCookie).toMatch(/jobfleet_token=/);
      expect(setCookie).toMatch(/HttpOnly/i);
      expect(setCookie).toMatch(/SameSite=Lax/i);

      // The cookie alone authenticates.
      const cookieValue = /jobfleet_token=([^;]+)/.exec(setCookie)![1];
      const me = await gql<{ me: { email: string } }>(`{ me { email } }`, undefined, { cookie: `jobfleet_token=${cookieValue}` });
      expect(me.data!.me.email).toBe('bob@graphql.test');
    });

    it('refuses bad logins and ambiguous arguments', async () => {
      const bad = await gql(`mutation { login(input: { email: "bob@graphql.test", password: "wrong-password" }) { token } }`);
      expect(bad.data).toBeNull();
      expect(bad.errors![0]!.extensions!.code).toBe('UNAUTHENTICATED');
      const both = await gql(
        `mutation { login(input: { email: "a@b.c", password: "x" }, loginInput: { email: "a@b.c", password: "x" }) { token } }`,
      );
      expect(codes(both)).toEqual(['VALIDATION_FAILED']);
      const none = await gql(`mutation { login { token } }`);
      expect(codes(none)).toEqual(['VALIDATION_FAILED']);
      // A stale cookie does not get in the way of logging in again.
      const stale = await gql(
        `mutation { login(input: { email: "bob@graphql.test", password: "bob-password-1234" }) { token } }`,
        undefined,
        {
          cookie: 'jobfleet_token=expired-or-garbage',
        },
      );
      expect(stale.errors).toBeUndefined();
    });

    it('answers me, user (id and userId) and users with the right permissions', async () => {
      const me = await gql<{ me: { id: string; email: string } }>(`{ me { id email role createdAt } }`, undefined, {
        token: aliceToken,
      });
      expect(me.data!.me).toMatchObject({ id: aliceId, email: 'alice@graphql.test' });
      const byId = await gql<{ user: { email: string } }>(
        `query($id: ID) { user(id: $id) { email } }`,
        { id: aliceId },
        { token: adminToken },
      );
      expect(byId.data!.user.email).toBe('alice@graphql.test');
      const byUserId = await gql<{ user: { email: string } }>(
        `query($id: String) { user(userId: $id) { email } }`,
        { id: aliceId },
        { token: aliceToken },
      );
      expect(byUserId.data!.user.email).toBe('alice@graphql.test');
      // Bob may not read Alice.
      expect(codes(await gql(`query($id: ID) { user(id: $id) { email } }`, { id: aliceId }, { token: bobToken }))).toEqual([
        'FORBIDDEN',
      ]);
      const users = await gql<{ users: { email: string }[] }>(`{ users { email role } }`, undefined, { token: adminToken });
      expect(users.data!.users.map((u) => u.email).sort()).toEqual([
        'admin@graphql.test',
        'alice@graphql.test',
        'bob@graphql.test',
      ]);
      expect(codes(await gql(`{ users { email } }`, undefined, { token: aliceToken }))).toEqual(['FORBIDDEN']);
      expect(codes(await gql(`{ me { email } }`))).toEqual(['UNAUTHENTICATED']);
      expect(codes(await gql(`{ me { email } }`, undefined, { token: 'not-a-jwt' }))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('job types and jobs', () => {
    it('lists job types with descriptions and filters', async () => {
      const r = await gql<{ jobTypes: { name: string; description: string; queue: string }[] }>(
        `{ jobTypes { name description queue payloadSchema maxAttempts workers } }`,
        undefined,
        { token: aliceToken },
      );
      expect(r.errors).toBeUndefined();
      const names = r.data!.jobTypes.map((t) => t.name);
      expect(names).toEqual(expect.arrayContaining(['Fibonacci', 'LoadProducts', 'reverse_string', 'sleep']));
      expect(r.data!.jobTypes.find((t) => t.name === 'Fibonacci')!.description).toMatch(/Fibonacci/);
      const f = await gql<{ jobTypes: { name: string }[] }>(`{ jobTypes(filter: { search: "fibonacci" }) { name } }`, undefined, {
        token: aliceToken,
      });
      expect(f.data!.jobTypes.map((t) => t.name).sort()).toEqual(['Fibonacci', 'fibonacci_calc']);
      const one = await gql<{ jobType: { name: string } | null }>(`{ jobType(name: "LoadProducts") { name } }`, undefined, {
        token: aliceToken,
      });
      expect(one.data!.jobType!.name).toBe('LoadProducts');
    });

    it('runs seed 001: LoadProducts with data as a JSON string', async () => {
      const r = await gql<{ executeJob: { id: string; status: string; name: string; description: string; payload: unknown } }>(
        `mutation { executeJob(input: { name: "LoadProducts", data: "[{\\"name\\": \\"Product 1\\", \\"price\\": 99.99}]" }) { id status name type description payload queue maxAttempts createdAt } }`,
        undefined,
        { token: aliceToken },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.executeJob).toMatchObject({
        // RUNNING when the server's own worker was idle and took it at once (direct start).
        status: expect.stringMatching(/^(QUEUED|RUNNING)$/),
        name: 'LoadProducts',
        payload: '[{"name": "Product 1", "price": 99.99}]',
      });
      expect(r.data!.executeJob.description).toMatch(/products/i);
      const done = await waitForStatus(r.data!.executeJob.id, ['COMPLETED'], { token: aliceToken });
      expect(done.result).toEqual({ loaded: 1, totalValue: 99.99 });
    });

    it('runs seed 002: executeJobInput with an object, and seed 000: jobName with no data (defaults apply)', async () => {
      const r = await gql<{ executeJob: { id: string; name: string; description: string } }>(
        `mutation { executeJob(executeJobInput: { name: "Fibonacci", data: { iterations: 10 } }) { id name description } }`,
        undefined,
        { token: aliceToken },
      );
      expect(r.errors).toBeUndefined();
      expect(r.data!.executeJob).toMatchObject({
        name: 'Fibonacci',
        description: 'Generate a Fibonacci sequence of the given length.',
      });
      const done = await waitForStatus(r.data!.executeJob.id, ['COMPLETED'], { token: aliceToken });
      expect(done.result).toMatchObject({ iterations: 10, last: 34 });

      const bare = await gql<{ executeJob: { id: string; status: string } }>(
        `mutation { executeJob(jobName: "Fibonacci") { id status } }`,
        undefined,
        {
          token: bobToken,
        },
      );
      expect(bare.errors).toBeUndefined();
      const done2 = await waitForStatus(bare.data!.executeJob.id, ['COMPLETED'], { token: bobToken });
      expect(done2.result).toMatchObject({ iterations: 10 });

      const withVars = await gql<{ executeJob: { payload: unknown } }>(
        `mutation($i: ExecuteJobInput!) { executeJob(input: $i) { payload ownerId } }`,
        { i: { name: 'reverse_string', data: 'héllo', options: { priority: 3, metadata: { from: 'test' } } } },
        { token: bobToken },
      );
      expect(withVars.errors).toBeUndefined();
      expect(withVars.data!.executeJob.payload).toBe('héllo');
    });

    it('refuses bad input with the right codes', async () => {
      const who = { token: aliceToken };
      const unknown = await gql(`mutation { executeJob(input: { name: "NoSuchJob" }) { id } }`, undefined, who);
      expect(codes(unknown)).toEqual(['UNKNOWN_JOB_TYPE']);
      const sqlish = await gql(
        `mutation($n: String!) { executeJob(jobName: $n) { id } }`,
        { n: `x'; DROP TABLE jobfleet.jobs; --` },
        who,
      );
      expect(codes(sqlish)).toEqual(['UNKNOWN_JOB_TYPE']);
      const badPayload = await gql(
        `mutation { executeJob(input: { name: "Fibonacci", data: { iterations: "ten" } }) { id } }`,
        undefined,
        who,
      );
      expect(codes(badPayload)).toEqual(['INVALID_PAYLOAD']);
      const badJsonString = await gql(
        `mutation { executeJob(input: { name: "LoadProducts", data: "not json" }) { id } }`,
        undefined,
        who,
      );
      expect(codes(badJsonString)).toEqual(['INVALID_PAYLOAD']);
      const badOption = await gql(
        `mutation { executeJob(input: { name: "Fibonacci", options: { priority: 99999 } }) { id } }`,
        undefined,
        who,
      );
      expect(codes(badOption)).toEqual(['VALIDATION_FAILED']);
      const wrongType = await gql(`mutation { executeJob(input: { name: 42 }) { id } }`, undefined, who);
      expect(codes(wrongType)).toEqual(['VALIDATION_FAILED']);
      expect(wrongType.status).toBe(400);
      const unknownField = await gql(`{ jobs { nodes { id secretField } } }`, undefined, who);
      expect(codes(unknownField)).toEqual(['VALIDATION_FAILED']);
      const badVariable = await gql(`query($id: ID!) { job(id: $id) { id } }`, { id: { $ne: null } }, who);
      expect(codes(badVariable)).toEqual(['VALIDATION_FAILED']);
      expect(badVariable.errors![0]!.message).toMatch(/\$id/);
      const missingVariable = await gql(`query($id: ID!) { job(id: $id) { id } }`, {}, who);
      expect(codes(missingVariable)).toEqual(['VALIDATION_FAILED']);
      const syntax = await gql(`{ jobs { nodes { id }`, undefined, who);
      expect(codes(syntax)).toEqual(['GRAPHQL_PARSE_FAILED']);
      for (const id of ['not-a-uuid', `1' OR '1'='1`, '00000000-0000-0000-0000-000000000000']) {
        const r = await gql(`query($id: ID!) { job(id: $id) { id } }`, { id }, who);
        expect(codes(r)).toEqual(['NOT_FOUND']);
        expect(codes(await gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id }, who))).toEqual(['NOT_FOUND']);
      }
      const badCursor = await gql(`{ jobs(after: "'; SELECT 1; --") { nodes { id } } }`, undefined, who);
      expect(codes(badCursor)).toEqual(['VALIDATION_FAILED']);
      const badDate = await gql(`{ jobs(filter: { createdAfter: "yesterday" }) { nodes { id } } }`, undefined, who);
      expect(codes(badDate)).toEqual(['VALIDATION_FAILED']);
      const badFirst = await gql(`{ jobs(first: 100000) { nodes { id } } }`, undefined, who);
      expect(codes(badFirst)).toEqual(['VALIDATION_FAILED']);
      // Nothing leaks: no stack traces, only message/locations/path/extensions.
      for (const r of [unknown, badPayload, wrongType, syntax, badVariable]) {
        for (const e of r.errors!) {
          expect(Object.keys(e).every((k) => ['message', 'locations', 'path', 'extensions'].includes(k))).toBe(true);
          expect(JSON.stringify(e)).not.toMatch(/stack|\.ts:\d+/);
        }
      }
      // The jobs table is still there.
      expect((await fleet.client.list({ limit: 1 })).jobs.length).toBe(1);
    });

    it('lists submitted jobs with filters and cursor pagination (jobs filter and seed jobsFilter)', async () => {
      const who = { token: bobToken };
      const ids: string[] = [];
      for (let i = 0; i < 5; i++) {
        const r = await gql<{ executeJob: { id: string } }>(
          `mutation($i: ExecuteJobInput!) { executeJob(input: $i) { id } }`,
          { i: { name: 'uppercase_text', data: `text ${i}`, options: { delay: 3_600_000 } } },
          who,
        );
        ids.push(r.data!.executeJob.id);
      }
      const seen: string[] = [];
      let after: string | null = null;
      for (let page = 0; page < 10; page++) {
        const r: GqlResponse<{ jobs: { nodes: { id: string; status: string; name: string }[]; nextCursor: string | null } }> =
          await gql(
            `query($after: String) { jobs(filter: { type: "uppercase_text", status: [SCHEDULED] }, first: 2, after: $after) { nodes { id status name } nextCursor } }`,
            { after },
            who,
          );
        expect(r.errors).toBeUndefined();
        expect(r.data!.jobs.nodes.length).toBeLessThanOrEqual(2);
        seen.push(...r.data!.jobs.nodes.map((n) => n.id));
        after = r.data!.jobs.nextCursor;
        if (!after) break;
      }
      expect(seen.sort()).toEqual([...ids].sort());
      const seed = await gql<{ jobs: { nodes: { id: string }[] } }>(
        `{ jobs(jobsFilter: { name: "uppercase_text" }) { nodes { id } } }`,
        undefined,
        who,
      );
      expect(seed.data!.jobs.nodes).toHaveLength(5);
      // Alice sees none of Bob's jobs; the admin sees them all.
      const alice = await gql<{ jobs: { nodes: { id: string }[] } }>(
        `{ jobs(filter: { type: "uppercase_text" }) { nodes { id } } }`,
        undefined,
        {
          token: aliceToken,
        },
      );
      expect(alice.data!.jobs.nodes).toHaveLength(0);
      const admin = await gql<{ jobs: { nodes: { id: string }[] } }>(
        `{ jobs(filter: { type: "uppercase_text" }, first: 100) { nodes { id } } }`,
        undefined,
        {
          token: adminToken,
        },
      );
      expect(admin.data!.jobs.nodes).toHaveLength(5);
      for (const id of ids) await fleet.client.cancel(id);
    });

    it('cancels and retries jobs, with INVALID_STATE for impossible transitions', async () => {
      const who = { token: aliceToken };
      const r = await gql<{ executeJob: { id: string; status: string } }>(
        `mutation { executeJob(input: { name: "sleep", data: { ms: 10 }, options: { delay: 3600000 } }) { id status } }`,
        undefined,
        who,
      );
      expect(r.data!.executeJob.status).toBe('SCHEDULED');
      const id = r.data!.executeJob.id;
      const c = await gql<{ cancelJob: { status: string } }>(
        `mutation($id: ID!) { cancelJob(id: $id) { id status } }`,
        { id },
        who,
      );
      expect(c.data!.cancelJob.status).toBe('CANCELLED');
      expect(codes(await gql(`mutation($id: ID!) { cancelJob(id: $id) { id } }`, { id }, who))).toEqual(['INVALID_STATE']);
      // Bob can neither see nor touch it.
      expect(codes(await gql(`mutation($id: ID!) { retryJob(id: $id) { id } }`, { id }, { token: bobToken }))).toEqual([
        'NOT_FOUND',
      ]);
      expect(codes(await gql(`query($id: ID!) { job(id: $id) { id } }`, { id }, { token: bobToken }))).toEqual(['NOT_FOUND']);
      const rt = await gql<{ retryJob: { status: string } }>(
        `mutation($id: ID!) { retryJob(id: $id) { id status } }`,
        { id },
        who,
      );
      expect(rt.errors).toBeUndefined();
      expect(['QUEUED', 'RUNNING', 'COMPLETED']).toContain(rt.data!.retryJob.status);
      const done = await waitForStatus(id, ['COMPLETED'], who);
      expect(done.result).toEqual({ sleptMs: 10 });
      expect(codes(await gql(`mutation($id: ID!) { retryJob(id: $id) { id } }`, { id }, who))).toEqual(['INVALID_STATE']);
    });

    it('shows queues to readers and lets only admins pause and resume them', async () => {
      const q = await gql<{ queues: { name: string; paused: boolean; counts: { completed: number; total: number } }[] }>(
        `{ queues { name paused counts { queued completed cancelled total } } }`,
        undefined,
        { token: aliceToken },
      );
      expect(q.errors).toBeUndefined();
      const def = q.data!.queues.find((x) => x.name === 'default')!;
      expect(def.counts.completed).toBeGreaterThan(0);
      expect(codes(await gql(`mutation { pauseQueue(name: "default") { paused } }`, undefined, { token: aliceToken }))).toEqual([
        'FORBIDDEN',
      ]);
      const p = await gql<{ pauseQueue: { name: string; paused: boolean } }>(
        `mutation { pauseQueue(name: "default") { name paused } }`,
        undefined,
        {
          token: adminToken,
        },
      );
      expect(p.data!.pauseQueue).toEqual({ name: 'default', paused: true });
      const res = await gql<{ resumeQueue: { paused: boolean } }>(
        `mutation { resumeQueue(name: "default") { paused } }`,
        undefined,
        { token: adminToken },
      );
      expect(res.data!.resumeQueue.paused).toBe(false);
      expect(
        codes(await gql(`mutation { pauseQueue(name: "bad name; --") { paused } }`, undefined, { token: adminToken })),
      ).toEqual(['VALIDATION_FAILED']);
    });
  });

  describe('authorization', () => {
    it('refuses anonymous callers everywhere but login', async () => {
      for (const q of [
        `{ jobs { nodes { id } } }`,
        `{ jobTypes { name } }`,
        `{ queues { name } }`,
        `mutation { executeJob(jobName: "Fibonacci") { id } }`,
      ]) {
        const r = await gql(q);
        expect(codes(r)).toEqual(['UNAUTHENTICATED']);
        expect(r.data).toBeNull();
      }
    });

    it("keeps member A out of member B's jobs", async () => {
      const r = await gql<{ executeJob: { id: string } }>(`mutation { executeJob(jobName: "noop") { id } }`, undefined, {
        token: bobToken,
      });
      const id = r.data!.executeJob.id;
      expect(codes(await gql(`query($id: ID!) { job(id: $id) { id } }`, { id }, { token: aliceToken }))).toEqual(['NOT_FOUND']);
      const own = await gql<{ job: { id: string } }>(`query($id: ID!) { job(id: $id) { id } }`, { id }, { token: bobToken });
      expect(own.data!.job.id).toBe(id);
      const admin = await gql<{ job: { id: string } }>(`query($id: ID!) { job(id: $id) { id } }`, { id }, { token: adminToken });
      expect(admin.data!.job.id).toBe(id);
    });

    it('holds API keys to their scopes', async () => {
      const alice = (await auth.authenticate({ bearer: aliceToken }))!;
      const { key: readKey } = await auth.createApiKey(alice, { name: 'read only', scopes: ['jobs:read'] });
      const { key: schedKey } = await auth.createApiKey(alice, { name: 'schedules', scopes: ['schedules:read'] });
      const { key: writeKey } = await auth.createApiKey(alice, { name: 'writer', scopes: ['jobs:read', 'jobs:write'] });
      const list = await gql<{ jobs: { nodes: unknown[] } }>(`{ jobs { nodes { id } } }`, undefined, { apiKey: readKey });
      expect(list.errors).toBeUndefined();
      expect(codes(await gql(`mutation { executeJob(jobName: "noop") { id } }`, undefined, { apiKey: readKey }))).toEqual([
        'FORBIDDEN',
      ]);
      expect(codes(await gql(`{ jobs { nodes { id } } }`, undefined, { apiKey: schedKey }))).toEqual(['FORBIDDEN']);
      const w = await gql<{ executeJob: { ownerId: string } }>(
        `mutation { executeJob(jobName: "noop") { ownerId } }`,
        undefined,
        { token: writeKey },
      );
      expect(w.errors).toBeUndefined();
      expect(w.data!.executeJob.ownerId).toBe(aliceId);
      expect(codes(await gql(`{ jobs { nodes { id } } }`, undefined, { apiKey: 'jf_nonsense' }))).toEqual(['UNAUTHENTICATED']);
    });
  });

  describe('limits', () => {
    it('refuses queries deeper than the limit, but allows introspection', async () => {
      const ok = await gql(`{ a: jobs { nodes { ...F } } } fragment F on Job { error { message } }`, undefined, {
        token: aliceToken,
      });
      expect(ok.errors).toBeUndefined();
      // The schema has no cycles, so a 9-level query needs unknown fields: both problems are reported.
      const nine = `{ ${'a { '.repeat(8)}b${' }'.repeat(8)} }`;
      const deep = await gql(nine, undefined, { token: aliceToken });
      expect(deep.status).toBe(400);
      expect(codes(deep)).toContain('QUERY_TOO_DEEP');
      const introspection = await gql(
        `{ __schema { types { name fields { name type { name ofType { name ofType { name ofType { name ofType { name } } } } } } } } }`,
      );
      expect(introspection.errors).toBeUndefined();
      expect((introspection.data as { __schema: { types: unknown[] } }).__schema.types.length).toBeGreaterThan(10);
    });

    it('reports QUERY_TOO_DEEP and QUERY_TOO_COMPLEX', async () => {
      // A bare Fastify with the plugin alone, and low limits.
      const limited = Fastify({ logger: false });
      const opts: ServerDeps & GraphqlOptions = { fleet, auth, config: loadServerConfig({}), maxDepth: 2, maxFields: 20 };
      await limited.register(graphqlPlugin, opts);
      await limited.ready();
      try {
        const inject = async (query: string) => {
          const res = await limited.inject({
            method: 'POST',
            url: '/graphql',
            headers: { authorization: `Bearer ${aliceToken}` },
            payload: { query },
          });
          return { status: res.statusCode, ...(res.json() as { data: unknown; errors?: GqlResponse['errors'] }) };
        };
        const deep = await inject(`{ jobs { nodes { error { message } } } }`);
        expect(deep.status).toBe(400);
        expect(deep.errors!.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
        const viaFragments = await inject(
          `{ jobs { ...A } } fragment A on JobConnection { nodes { ...B } } fragment B on Job { error { message } }`,
        );
        expect(viaFragments.errors!.map((e) => e.extensions?.code)).toEqual(['QUERY_TOO_DEEP']);
        const wide = await inject(`{ ${Array.from({ length: 25 }, (_, i) => `a${i}: queues { name }`).join(' ')} }`);
        expect(wide.errors!.map((e) => e.extensions?.code)).toContain('QUERY_TOO_COMPLEX');
        const ok = await inject(`{ jobs { nextCursor } }`);
        expect(ok.errors).toBeUndefined();
      } finally {
        await limited.close();
      }
    });

    it('serves GraphiQL, with a CSP that lets it load its scripts', async () => {
      const res = await fetch(`${base}/graphiql`);
      expect(res.status).toBe(200);
      expect(await res.text()).toMatch(/graphiql/i);
      expect(res.headers.get('content-security-policy')).toMatch(/script-src 'self' https:\/\/unpkg\.com/);
      const api = await fetch(`${base}/graphql?query=${encodeURIComponent('{ __typename }')}`);
      expect(await api.json()).toEqual({ data: { __typename: 'Query' } });
      expect(api.headers.get('content-security-policy')).not.toMatch(/unpkg/);
    });

    it('answers malformed bodies with BAD_REQUEST and hides internal errors behind INTERNAL', async () => {
      const res = await fetch(`${base}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: '{"query": ',
      });
      expect(res.status).toBe(400);
      const body = (await res.json()) as GqlResponse;
      expect(body.errors![0]!.extensions!.code).toBe('BAD_REQUEST');

      const broken = Fastify({ logger: false });
      const failingAuth: AuthService = {
        ...auth,
        authenticate: async () => {
          throw new Error('connect ECONNWHATEVER postgres://secret@db/internal');
        },
      };
      await broken.register(graphqlPlugin, { fleet, auth: failingAuth, config: loadServerConfig({}) });
      try {
        const r = await broken.inject({
          method: 'POST',
          url: '/graphql',
          headers: { authorization: 'Bearer x' },
          payload: { query: '{ me { id } }' },
        });
        const json = r.json() as GqlResponse;
        expect(json.errors).toEqual([
          {
            message: 'Internal server error.',
            locations: [{ line: 1, column: 3 }],
            path: ['me'],
            extensions: { code: 'INTERNAL' },
          },
        ]);
        expect(r.body).not.toMatch(/secret|ECONN|stack/);
      } finally {
        await broken.close();
      }
    });

    it('refuses mutations over GET', async () => {
      const res = await fetch(`${base}/graphql?query=${encodeURIComponent('mutation { executeJob(jobName: "noop") { id } }')}`, {
        headers: { authorization: `Bearer ${aliceToken}` },
      });
      expect(res.status).toBe(405);
      expect(((await res.json()) as GqlResponse).errors![0]!.extensions!.code).toBe('METHOD_NOT_ALLOWED');
    });
  });

  describe('subscription jobUpdated over WebSocket', () => {
    function open(protocol: string, headers?: Record<string, string>) {
      const ws = new WebSocket(`${base.replace('http', 'ws')}/graphql`, protocol, headers ? { headers } : undefined);
      const messages: { type: string; id?: string; payload?: any }[] = [];
      ws.on('message', (d) => messages.push(JSON.parse(d.toString())));
      const opened = new Promise<void>((resolve, reject) => {
        ws.on('open', () => resolve());
        ws.on('error', reject);
      });
      const closed = new Promise<void>((resolve) => ws.on('close', () => resolve()));
      const next = async (pred: (m: { type: string; id?: string; payload?: any }) => boolean, what: string) =>
        (await waitFor(() => messages.find(pred), { timeoutMs: 15_000, what }))!;
      return { ws, messages, opened, closed, next };
    }

    it('streams a job from QUEUED to COMPLETED (graphql-transport-ws, token in connection params)', async () => {
      const listenersBefore = fleet.events.listenerCount();
      await gql(`mutation { pauseQueue(name: "default") { paused } }`, undefined, { token: adminToken });
      const r = await gql<{ executeJob: { id: string } }>(
        `mutation { executeJob(input: { name: "sleep", data: { ms: 50 } }) { id } }`,
        undefined,
        {
          token: aliceToken,
        },
      );
      const id = r.data!.executeJob.id;
      const c = open('graphql-transport-ws');
      await c.opened;
      c.ws.send(JSON.stringify({ type: 'connection_init', payload: { authorization: `Bearer ${aliceToken}` } }));
      await c.next((m) => m.type === 'connection_ack', 'connection_ack');
      c.ws.send(
        JSON.stringify({
          id: '1',
          type: 'subscribe',
          payload: { query: `subscription($id: ID!) { jobUpdated(id: $id) { id status name result } }`, variables: { id } },
        }),
      );
      const first = await c.next((m) => m.type === 'next', 'the first update');
      expect(first.payload.data.jobUpdated).toMatchObject({ id, status: 'QUEUED', name: 'sleep' });
      expect(fleet.events.listenerCount()).toBeGreaterThan(listenersBefore);
      await gql(`mutation { resumeQueue(name: "default") { paused } }`, undefined, { token: adminToken });
      const done = await c.next(
        (m) => m.type === 'next' && m.payload.data?.jobUpdated.status === 'COMPLETED',
        'COMPLETED update',
      );
      expect(done.payload.data.jobUpdated.result).toEqual({ sleptMs: 50 });
      const statuses = c.messages.filter((m) => m.type === 'next').map((m) => m.payload.data.jobUpdated.status);
      expect(statuses[0]).toBe('QUEUED');
      expect(statuses.at(-1)).toBe('COMPLETED');
      c.ws.send(JSON.stringify({ id: '1', type: 'complete' }));
      await waitFor(() => fleet.events.listenerCount() === listenersBefore, { what: 'the bus listener to be removed' });
      c.ws.close();
      await c.closed;
    });

    it('delivers a state change whose event never arrives, from the database', async () => {
      await gql(`mutation { pauseQueue(name: "default") { paused } }`, undefined, { token: adminToken });
      try {
        const r = await gql<{ executeJob: { id: string } }>(`mutation { executeJob(jobName: "noop") { id } }`, undefined, {
          token: aliceToken,
        });
        const id = r.data!.executeJob.id;
        const c = open('graphql-transport-ws');
        await c.opened;
        c.ws.send(JSON.stringify({ type: 'connection_init', payload: { token: aliceToken } }));
        await c.next((m) => m.type === 'connection_ack', 'connection_ack');
        c.ws.send(
          JSON.stringify({
            id: '1',
            type: 'subscribe',
            payload: { query: `subscription($id: ID!) { jobUpdated(id: $id) { status result } }`, variables: { id } },
          }),
        );
        const first = await c.next((m) => m.type === 'next', 'the first update');
        expect(first.payload.data.jobUpdated.status).toBe('QUEUED');
        const t0 = Date.now();
        // Finished behind the event bus's back, as if its notification had been lost.
        await fleet.db.query(
          `UPDATE ${fleet.schema}.jobs SET status = 'COMPLETED', result = '"done"', finished_at = now(), updated_at = now() WHERE id = $1`,
          [id],
        );
        const done = await c.next(
          (m) => m.type === 'next' && m.payload.data?.jobUpdated.status === 'COMPLETED',
          'COMPLETED update from the re-read',
        );
        expect(done.payload.data.jobUpdated.result).toBe('done');
        expect(Date.now() - t0).toBeLessThan(12_000);
        // Unchanged re-reads send nothing more.
        await new Promise((r) => setTimeout(r, 5_500));
        expect(c.messages.filter((m) => m.type === 'next')).toHaveLength(2);
        c.ws.close();
        await c.closed;
      } finally {
        await gql(`mutation { resumeQueue(name: "default") { paused } }`, undefined, { token: adminToken });
      }
    });

    it('authenticates with the cookie on the upgrade request (legacy graphql-ws protocol)', async () => {
      const r = await gql<{ executeJob: { id: string } }>(`mutation { executeJob(jobName: "noop") { id } }`, undefined, {
        token: bobToken,
      });
      const id = r.data!.executeJob.id;
      await waitForStatus(id, ['COMPLETED'], { token: bobToken });
      const c = open('graphql-ws', { cookie: `jobfleet_token=${bobToken}` });
      await c.opened;
      c.ws.send(JSON.stringify({ type: 'connection_init', payload: {} }));
      await c.next((m) => m.type === 'connection_ack', 'connection_ack');
      c.ws.send(
        JSON.stringify({ id: 'a', type: 'start', payload: { query: `subscription { jobUpdated(id: "${id}") { status } }` } }),
      );
      const data = await c.next((m) => m.type === 'data', 'data');
      expect(data.payload.data.jobUpdated.status).toBe('COMPLETED');
      c.ws.close();
      await c.closed;
    });

    it("refuses bad credentials, anonymous callers, other members' jobs and invalid subscriptions", async () => {
      const bad = open('graphql-transport-ws');
      await bad.opened;
      bad.ws.send(JSON.stringify({ type: 'connection_init', payload: { token: 'garbage' } }));
      const err = await bad.next((m) => m.type === 'connection_error', 'connection_error');
      expect(err.payload.message).toBe('Forbidden');
      await bad.closed;

      const r = await gql<{ executeJob: { id: string } }>(`mutation { executeJob(jobName: "noop") { id } }`, undefined, {
        token: bobToken,
      });
      const id = r.data!.executeJob.id;
      const sub = (n: string, query: string) =>
        JSON.stringify({ id: n, type: 'subscribe', payload: { query, variables: { id } } });

      const anon = open('graphql-transport-ws');
      await anon.opened;
      anon.ws.send(JSON.stringify({ type: 'connection_init' }));
      await anon.next((m) => m.type === 'connection_ack', 'ack');
      anon.ws.send(sub('1', `subscription($id: ID!) { jobUpdated(id: $id) { status } }`));
      const e1 = await anon.next((m) => m.type === 'error' && m.id === '1', 'error');
      expect(e1.payload[0].extensions.code).toBe('UNAUTHENTICATED');
      anon.ws.close();

      const alice = open('graphql-transport-ws');
      await alice.opened;
      alice.ws.send(JSON.stringify({ type: 'connection_init', payload: { token: aliceToken } }));
      await alice.next((m) => m.type === 'connection_ack', 'ack');
      alice.ws.send(sub('2', `subscription($id: ID!) { jobUpdated(id: $id) { status } }`));
      const e2 = await alice.next((m) => m.type === 'error' && m.id === '2', 'error');
      expect(e2.payload[0].extensions.code).toBe('NOT_FOUND');
      alice.ws.send(sub('3', `subscription($id: ID!) { jobUpdated(id: $id) { nope } }`));
      const e3 = await alice.next((m) => m.type === 'error' && m.id === '3', 'error');
      expect(e3.payload[0].extensions.code).toBe('VALIDATION_FAILED');
      alice.ws.send(
        JSON.stringify({
          id: '4',
          type: 'subscribe',
          payload: { query: `subscription { ${'a { '.repeat(9)}b${' }'.repeat(9)} }` },
        }),
      );
      const e4 = await alice.next((m) => m.type === 'error' && m.id === '4', 'error');
      expect(e4.payload[0].extensions.code).toBe('QUERY_TOO_DEEP');
      alice.ws.close();
      await alice.closed;
    });
  });
});
