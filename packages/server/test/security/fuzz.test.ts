/**
 * Property-based fuzzing (fast-check) of every REST route that takes a body, every query string, and the
 * GraphQL variables: arbitrary JSON text (SQL metacharacters, unicode, NUL and other control characters,
 * lone surrogates, huge and out-of-range numbers, deep nesting, duplicate keys, `__proto__` /
 * `constructor` / `prototype` keys), arbitrary path parameters, and mutations of valid bodies so that the
 * handlers themselves are reached.
 *
 * Invariants, for every request: never a 5xx; never a stack trace, source path or SQL error in the body;
 * errors always in the API's shape (`{ error: { code, message } }`, or GraphQL `errors[].extensions.code`);
 * Object.prototype never polluted; and member B's canary data (a job, a schedule, an API key, the user
 * record and B's row counts) unchanged by member A's requests.
 *
 * Runs: FUZZ_RUNS (default 200 per property), seed: FUZZ_SEED (printed on failure by fast-check).
 */
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { pgAvailable } from '@jobfleet/core/testing';
import { call, newMember, startHarness, type Harness } from '../helpers.ts';
import { createKey, leaks, routeTable, type Member } from './fixtures.ts';

const RUNS = Number(process.env.FUZZ_RUNS ?? 200);
const SEED = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : undefined;
const params = (numRuns = RUNS) => ({ numRuns, ...(SEED !== undefined ? { seed: SEED } : {}), endOnFailure: true });
const BODY_LIMIT = 256 * 1024;

// ---------------------------------------------------------------------------------------------- JSON text
/** A JSON document as a tree, serialized by hand: duplicate keys, `__proto__` keys and raw numbers survive. */
type Node =
  | { t: 'str'; v: string }
  | { t: 'num'; v: string }
  | { t: 'lit'; v: 'true' | 'false' | 'null' }
  | { t: 'arr'; v: Node[] }
  | { t: 'obj'; v: [string, Node][] }
  /** Pre-serialized text (deep nesting, built without recursion). */
  | { t: 'raw'; v: string };

export function toText(n: Node): string {
  switch (n.t) {
    case 'str':
      return JSON.stringify(n.v);
    case 'num':
    case 'lit':
    case 'raw':
      return n.v;
    case 'arr':
      return `[${n.v.map(toText).join(',')}]`;
    case 'obj':
      return `{${n.v.map(([k, v]) => `${JSON.stringify(k)}:${toText(v)}`).join(',')}}`;
  }
}

function toNode(v: unknown): Node {
  if (v === null || v === undefined) return { t: 'lit', v: 'null' };
  if (typeof v === 'boolean') return { t: 'lit', v: v ? 'true' : 'false' };
  if (typeof v === 'number') return { t: 'num', v: String(v) };
  if (typeof v === 'string') return { t: 'str', v };
  if (Array.isArray(v)) return { t: 'arr', v: v.map(toNode) };
  return { t: 'obj', v: Object.entries(v as object).map(([k, x]) => [k, toNode(x)]) };
}

const NASTY_STRINGS = [
  "' OR '1'='1",
  "'; DROP TABLE jobs; --",
  '" OR ""="',
  "1' AND pg_sleep(5)--",
  '\\',
  '%',
  '_%',
  '$1',
  '$$',
  '\u0000',
  'a\u0000b',
  '\u0001\u001f\u007f',
  '\r\nX-Injected: 1',
  '\u202e\u200b\ufeff',
  '\ud800',
  'x\udfffy',
  '😀👩‍👩‍👧',
  'Ω≈ç√∫',
  '../../../etc/passwd',
  '%2e%2e%2f',
  '${jndi:ldap://x}',
  '{{constructor.constructor("return process")()}}',
  '<script>alert(1)</script>',
  '__proto__',
  'constructor',
  'prototype',
  'toString',
  'hasOwnProperty',
  'NaN',
  'Infinity',
  '-0',
  '1e309',
  'null',
  'true',
  '[]',
  '{}',
  ' ',
  '',
  'a'.repeat(300),
  'é'.repeat(5000),
  '00000000-0000-0000-0000-000000000000',
  'ffffffff-ffff-ffff-ffff-ffffffffffff',
  '* * * * * * *',
  '*/0 * * * *',
  '59 23 31 2 *',
  '@every 1s',
  'Mars/Olympus',
  'UTC',
  'noop',
  'default',
  'QUEUED,RUNNING',
  'admin',
  'jobs:read',
  'jf_' + 'A'.repeat(43),
  '2026-02-30T25:61:61Z',
  '+275760-09-13T00:00:00.001Z',
  '-271821-04-20T00:00:00.000Z',
  '1970-01-01T00:00:00Z',
];

const NUMBERS = [
  '0',
  '-0',
  '1',
  '-1',
  '2147483647',
  '2147483648',
  '-2147483649',
  '9007199254740993',
  '123456789012345678901234567890',
  '1e308',
  '1e309',
  '-1e309',
  '1e-400',
  '0.5',
  '1E2',
  '3.14159',
  '8640000000000001',
];

const KEYS = [
  '__proto__',
  'constructor',
  'prototype',
  'type',
  'payload',
  'options',
  'name',
  'cron',
  'schedule',
  'timezone',
  'jobType',
  'ids',
  'jobs',
  'email',
  'password',
  'refreshToken',
  'scopes',
  'ownerId',
  'queue',
  'priority',
  'delay',
  'runAt',
  'maxAttempts',
  'timeout',
  'idempotencyKey',
  'batchId',
  'metadata',
  'backoff',
  'isActive',
  'overlap',
  'missedRuns',
  'maxCatchUp',
  'description',
  'count',
  'expiresAt',
  'role',
  'status',
  'limit',
  'cursor',
];

/** The values that reach the database and break it when not handled: NUL, unpaired surrogates, far dates. */
const STORAGE_BREAKERS = [
  '\u0000',
  'a\u0000b',
  '\ud800',
  'x\udc00',
  '99999-01-01',
  '+275760-09-13T00:00:00.000Z',
  '0000-01-01T00:00:00Z',
  '-000001-01-01T00:00:00Z',
  '1e400',
];

const nastyString: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...STORAGE_BREAKERS) },
  { weight: 4, arbitrary: fc.constantFrom(...NASTY_STRINGS) },
  { weight: 2, arbitrary: fc.string({ unit: 'binary', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 40 }) },
  { weight: 1, arbitrary: fc.string({ maxLength: 20 }) },
);
const nastyKey: fc.Arbitrary<string> = fc.oneof(
  { weight: 3, arbitrary: fc.constantFrom(...KEYS) },
  { weight: 1, arbitrary: nastyString },
);
const numberText: fc.Arbitrary<string> = fc.oneof(
  fc.constantFrom(...NUMBERS),
  fc.integer().map(String),
  fc.double({ noNaN: true, noDefaultInfinity: true }).map((d) => (Object.is(d, -0) ? '-0' : String(d))),
);

const { node: nastyNode } = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.oneof(
    { depthSize: 'small', withCrossShrink: true },
    fc.record({ t: fc.constant('str' as const), v: nastyString }),
    fc.record({ t: fc.constant('num' as const), v: numberText }),
    fc.record({ t: fc.constant('lit' as const), v: fc.constantFrom('true' as const, 'false' as const, 'null' as const) }),
    fc.record({ t: fc.constant('arr' as const), v: fc.array(tie('node'), { maxLength: 4 }) }),
    fc.record({ t: fc.constant('obj' as const), v: fc.array(fc.tuple(nastyKey, tie('node')), { maxLength: 5 }) }),
  ),
}));

/** Deeply nested arrays or objects, 50 to 5000 levels. */
const deepNode: fc.Arbitrary<Node> = fc.tuple(fc.integer({ min: 50, max: 5000 }), fc.boolean()).map(([depth, arrays]): Node => ({
  t: 'raw',
  v: arrays ? `${'['.repeat(depth)}null${']'.repeat(depth)}` : `${'{"a":'.repeat(depth)}null${'}'.repeat(depth)}`,
}));

/** encodeURIComponent, with lone surrogates sent as the (invalid) UTF-8 bytes of a surrogate. */
export function encodeAny(s: string): string {
  try {
    return encodeURIComponent(s);
  } catch {
    return s
      .split(/([\ud800-\udfff])/)
      .map((part) => (/^[\ud800-\udfff]$/.test(part) ? '%ED%A0%80' : encodeURIComponent(part)))
      .join('');
  }
}

/** Prototype-pollution attempts. */
const pollutionNode: fc.Arbitrary<Node> = fc.constantFrom<Node>(
  {
    t: 'obj',
    v: [
      [
        '__proto__',
        {
          t: 'obj',
          v: [
            ['polluted', { t: 'str', v: 'yes' }],
            ['role', { t: 'str', v: 'admin' }],
          ],
        },
      ],
    ],
  },
  {
    t: 'obj',
    v: [['constructor', { t: 'obj', v: [['prototype', { t: 'obj', v: [['polluted', { t: 'str', v: 'yes' }]] }]] }]],
  },
  { t: 'obj', v: [['options', { t: 'obj', v: [['__proto__', { t: 'obj', v: [['ownerId', { t: 'str', v: 'B' }]] }]] }]] },
);

const anyNode: fc.Arbitrary<Node> = fc.oneof(
  { weight: 8, arbitrary: nastyNode },
  { weight: 1, arbitrary: deepNode },
  { weight: 1, arbitrary: pollutionNode },
);

/** A valid value, each field kept, dropped or replaced by something nasty; extra nasty keys added. */
function mutate(v: unknown, depth = 0): fc.Arbitrary<Node> {
  if (v !== null && typeof v === 'object' && !Array.isArray(v) && depth < 3) {
    const fields = Object.entries(v as Record<string, unknown>).map(([k, x]) =>
      fc.oneof(
        { weight: 3, arbitrary: fc.constant([k, toNode(x)] as [string, Node]) },
        { weight: 3, arbitrary: mutate(x, depth + 1).map((n) => [k, n] as [string, Node]) },
        { weight: 1, arbitrary: fc.constant(null) },
      ),
    );
    const obj = fc
      .tuple(fc.tuple(...fields), fc.array(fc.tuple(nastyKey, nastyNode), { maxLength: 2 }))
      .map(([es, extra]): Node => ({ t: 'obj', v: [...(es.filter(Boolean) as [string, Node][]), ...extra] }));
    return fc.oneof({ weight: 6, arbitrary: obj }, { weight: 1, arbitrary: anyNode });
  }
  if (Array.isArray(v) && depth < 3 && v.length > 0) {
    return fc.oneof(
      { weight: 3, arbitrary: fc.array(mutate(v[0], depth + 1), { maxLength: 3 }).map((a): Node => ({ t: 'arr', v: a })) },
      { weight: 1, arbitrary: nastyNode },
    );
  }
  return fc.oneof({ weight: 1, arbitrary: fc.constant(toNode(v)) }, { weight: 2, arbitrary: nastyNode });
}

/** Every path to a value (and to each object, for key injection) in a JSON tree. */
function paths(n: Node, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (n.t === 'arr') n.v.forEach((x, i) => out.push(...paths(x, [...at, i])));
  if (n.t === 'obj') n.v.forEach(([, x], i) => out.push(...paths(x, [...at, i])));
  return out;
}

function replaceAt(n: Node, at: (string | number)[], f: (old: Node) => Node): Node {
  if (at.length === 0) return f(n);
  const [head, ...rest] = at as [number, ...number[]];
  if (n.t === 'arr') return { t: 'arr', v: n.v.map((x, i) => (i === head ? replaceAt(x, rest, f) : x)) };
  if (n.t === 'obj')
    return { t: 'obj', v: n.v.map(([k, x], i) => [k, i === head ? replaceAt(x, rest, f) : x] as [string, Node]) };
  return n;
}

/**
 * A valid value with one place changed, keeping its type where it has one (a string becomes a nasty
 * string, a number an extreme number), or a nasty key added to one object: most such requests pass the
 * schema checks and reach the handlers and the database.
 */
function typedMutation(v: unknown): fc.Arbitrary<Node> {
  const base = toNode(v);
  const all = paths(base);
  return fc.tuple(fc.constantFrom(...all), nastyString, numberText, nastyKey, nastyNode).map(([at, str, num, key, any]) =>
    replaceAt(base, at, (old): Node => {
      switch (old.t) {
        case 'str':
          return { t: 'str', v: str };
        case 'num':
          return { t: 'num', v: num };
        case 'obj':
          return { t: 'obj', v: [...old.v, [key, { t: 'str', v: str }]] };
        case 'arr':
          return { t: 'arr', v: [...old.v, { t: 'str', v: str }] };
        default:
          return any;
      }
    }),
  );
}

// ---------------------------------------------------------------------------------------------- the suite
describe.runIf(pgAvailable)('fuzzing REST and GraphQL inputs (real PostgreSQL, fast-check)', () => {
  let h: Harness;
  let a: Member;
  let b: Member;
  let adminTok: string;
  let victimId: string;
  const own = {
    jobs: [] as string[],
    finishedJobs: [] as string[],
    streamJobs: [] as string[],
    schedules: [] as string[],
    keys: [] as string[],
  };
  const canary = { job: '', finishedJob: '', schedule: '', key: '', keyId: '' };
  let canaryBefore: unknown;
  let requests = 0;

  async function canaryState() {
    const s = h.fleet.schema;
    const job = await h.fleet.client.get(canary.job);
    const finished = await h.fleet.client.get(canary.finishedJob);
    const sched = await call(h, 'GET', `/api/v1/schedules/${canary.schedule}`, { token: adminTok });
    const user = await call(h, 'GET', `/api/v1/users/${b.id}`, { token: adminTok });
    const counts = await h.fleet.db.query(
      `SELECT (SELECT count(*) FROM ${s}.jobs WHERE owner_id::text = $1)::int AS jobs,
              (SELECT count(*) FROM ${s}.schedules WHERE owner_id::text = $1)::int AS schedules,
              (SELECT count(*) FROM ${s}.api_keys WHERE owner_id::text = $1 AND revoked_at IS NULL)::int AS keys,
              (SELECT count(*) FROM ${s}.users WHERE role = 'admin')::int AS admins`,
      [b.id],
    );
    const keyWorks = (await call(h, 'GET', '/api/v1/jobs', { headers: { 'x-api-key': canary.key } })).status;
    return {
      job: job && { status: job.status, ownerId: job.ownerId, updatedAt: job.updatedAt.toISOString(), payload: job.payload },
      finished: finished && { status: finished.status, updatedAt: finished.updatedAt.toISOString() },
      schedule: sched.body,
      user: { ...user.body, lastLoginAt: undefined },
      counts: counts.rows[0],
      keyWorks,
    };
  }

  type Inject = { status: number; text: string; contentType: string };
  async function inject(method: string, url: string, headers: Record<string, string>, payload?: string): Promise<Inject> {
    requests++;
    let timer: NodeJS.Timeout | undefined;
    const res = await Promise.race([
      h.app.inject({
        method: method as 'GET',
        url,
        headers: payload === undefined ? headers : { 'content-type': 'application/json', ...headers },
        ...(payload === undefined ? {} : { payload }),
      }),
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`${method} ${url.slice(0, 200)}: no response within 10 s`)), 10_000);
      }),
    ]).finally(() => clearTimeout(timer));
    return { status: res.statusCode, text: res.body, contentType: String(res.headers['content-type'] ?? '') };
  }

  /** The REST invariants; returns a description of the first broken one, or null. */
  function restProblem(r: Inject): string | null {
    if (r.status >= 500) return `status ${r.status}`;
    const leak = leaks(r.text);
    if (leak) return `leak ${leak}`;
    if (Object.keys(Object.prototype).length || ({} as Record<string, unknown>).polluted !== undefined)
      return 'Object.prototype polluted';
    if (r.status >= 400) {
      let body: any;
      try {
        body = JSON.parse(r.text);
      } catch {
        return 'error body is not JSON';
      }
      const keys = Object.keys(body ?? {});
      if (keys.length !== 1 || keys[0] !== 'error') return `error body keys ${keys.join(',')}`;
      if (typeof body.error.code !== 'string' || !/^[A-Z_]+$/.test(body.error.code)) return 'error.code';
      if (typeof body.error.message !== 'string' || body.error.message.length === 0) return 'error.message';
      if (!r.contentType.startsWith('application/json')) return `content-type ${r.contentType}`;
    }
    return null;
  }

  function gqlProblem(r: Inject): string | null {
    if (r.status >= 500) return `status ${r.status}`;
    const leak = leaks(r.text);
    if (leak) return `leak ${leak}`;
    if (Object.keys(Object.prototype).length || ({} as Record<string, unknown>).polluted !== undefined)
      return 'Object.prototype polluted';
    let body: any;
    try {
      body = JSON.parse(r.text);
    } catch {
      return 'body is not JSON';
    }
    if (body.error) return restProblem(r); // refused before GraphQL (body too large, bad media type)
    for (const e of body.errors ?? []) {
      if (typeof e.message !== 'string') return 'errors[].message';
      if (typeof e.extensions?.code !== 'string') return `errors[].extensions.code missing: ${e.message}`;
      if (e.extensions.code === 'INTERNAL') return `INTERNAL: ${e.message}`;
    }
    if (!body.errors && !body.data) return 'neither data nor errors';
    return null;
  }

  beforeAll(async () => {
    h = await startHarness({ config: { bodyLimit: BODY_LIMIT } });
    a = await newMember(h, 'fuzz-a');
    b = await newMember(h, 'fuzz-b');
    victimId = (await newMember(h, 'fuzz-victim')).id;
    adminTok = (await call(h, 'POST', '/api/v1/auth/login', { body: h.admin })).body.token;
    for (let i = 0; i < 6; i++) {
      own.jobs.push((await h.fleet.client.enqueue('noop', null, { ownerId: a.id, delay: 3_600_000 })).id);
      const f = await h.fleet.client.enqueue('noop', null, { ownerId: a.id, delay: 3_600_000 });
      await h.fleet.client.cancel(f.id);
      own.finishedJobs.push(f.id);
      // Finished jobs that no fuzzed request can touch (retry would make them wait): their event stream ends at once.
      const g = await h.fleet.client.enqueue('noop', null, { ownerId: a.id, delay: 3_600_000 });
      await h.fleet.client.cancel(g.id);
      own.streamJobs.push(g.id);
      const s = await call(h, 'POST', '/api/v1/schedules', {
        token: a.token,
        body: { name: `own-${i}`, cron: '0 0 1 1 *', jobType: 'noop' },
      });
      own.schedules.push(s.body.id);
      own.keys.push((await createKey(h, a.token, ['jobs:read'], `own-${i}`)).id);
    }
    canary.job = (await h.fleet.client.enqueue('noop', { canary: true }, { ownerId: b.id, delay: 3_600_000 })).id;
    const f = await h.fleet.client.enqueue('noop', null, { ownerId: b.id, delay: 3_600_000 });
    await h.fleet.client.cancel(f.id);
    canary.finishedJob = f.id;
    canary.schedule = (
      await call(h, 'POST', '/api/v1/schedules', { token: b.token, body: { name: 'canary', cron: '0 0 1 1 *', jobType: 'noop' } })
    ).body.id;
    const k = await createKey(h, b.token, ['jobs:read', 'jobs:write', 'schedules:read', 'schedules:write'], 'canary');
    canary.key = k.key;
    canary.keyId = k.id;
    canaryBefore = await canaryState();
  }, 60_000);

  afterAll(async () => {
    if (h) {
      // B's data is exactly as before all the fuzzing.
      expect(await canaryState()).toEqual(canaryBefore);
      await h.close();
    }
  });

  // ------------------------------------------------------------------ REST bodies
  /** A valid body per route that takes one (the fuzzer mutates it), and who calls it. */
  const BODIES: Record<string, { body: unknown; admin?: boolean }> = {
    'POST /api/v1/auth/register': { body: { email: 'fuzz.reg@example.com', password: 'password123', name: 'Fuzz' } },
    'POST /api/v1/auth/login': { body: { email: 'fuzz.login@example.com', password: 'password123' } },
    'POST /api/v1/auth/refresh': { body: { refreshToken: 'x'.repeat(43) } },
    'POST /api/v1/auth/logout': { body: { refreshToken: 'x'.repeat(43) } },
    'POST /api/v1/users': {
      body: { email: 'fuzz.user@example.com', password: 'password123', name: 'n', role: 'member' },
      admin: true,
    },
    'POST /api/v1/users/{id}/disable': { body: {}, admin: true },
    'POST /api/v1/users/{id}/enable': { body: {}, admin: true },
    'POST /api/v1/api-keys': { body: { name: 'fuzz', scopes: ['jobs:read'], expiresAt: '2099-01-01T00:00:00Z' } },
    'DELETE /api/v1/api-keys/{id}': { body: undefined },
    'POST /api/v1/jobs': {
      body: {
        type: 'noop',
        payload: { x: 1 },
        options: {
          queue: 'default',
          priority: 1,
          delay: 3_600_000,
          maxAttempts: 2,
          timeout: 1000,
          idempotencyKey: 'k',
          batchId: 'b',
          metadata: { m: 1 },
        },
      },
    },
    'POST /api/v1/jobs/bulk': {
      body: { jobs: [{ type: 'Fibonacci', payload: { iterations: 5 }, options: { delay: 3_600_000 } }] },
    },
    'POST /api/v1/jobs/{id}/cancel': { body: undefined },
    'POST /api/v1/jobs/{id}/retry': { body: undefined },
    'DELETE /api/v1/jobs/{id}': { body: undefined },
    'POST /api/v1/queues/{name}/pause': { body: undefined, admin: true },
    'POST /api/v1/queues/{name}/resume': { body: undefined, admin: true },
    'POST /api/v1/dead-letters/replay': {
      body: { ids: ['00000000-0000-0000-0000-000000000000'], type: 'noop', queue: 'default' },
    },
    'POST /api/v1/schedules': {
      body: {
        name: 'fuzz',
        description: 'd',
        cron: '*/5 * * * *',
        timezone: 'Europe/Paris',
        jobType: 'Fibonacci',
        payload: { iterations: 3 },
        options: { queue: 'default', priority: 1, maxAttempts: 2, timeout: 1000, metadata: {} },
        isActive: false,
        overlap: 'skip',
        missedRuns: 'all',
        maxCatchUp: 3,
        ownerId: 'someone',
      },
    },
    'POST /api/v1/schedules/preview': { body: { cron: '0 9 * * 1-5', timezone: 'America/New_York', count: 3 } },
    'PATCH /api/v1/schedules/{id}': {
      body: { description: 'x', schedule: '0 0 * * *', isActive: false, timezone: 'UTC', payload: null },
    },
    'DELETE /api/v1/schedules/{id}': { body: undefined },
    'POST /api/v1/schedules/{id}/pause': { body: undefined },
    'POST /api/v1/schedules/{id}/resume': { body: undefined },
    'POST /api/v1/schedules/{id}/trigger': { body: undefined },
  };

  /** A path parameter: one of A's own resources, B's canary, or something nasty. */
  function paramArb(route: string): fc.Arbitrary<string> {
    const nasty = nastyString.filter((s) => s.length > 0).map(encodeAny);
    let mine: string[] = [];
    let theirs: string[] = [];
    if (route.includes('/users/')) mine = [victimId];
    else if (route.includes('/queues/')) mine = ['fuzz-q'];
    else if (route.includes('/api-keys/')) [mine, theirs] = [own.keys, [canary.keyId]];
    else if (route.includes('/schedules/')) [mine, theirs] = [own.schedules, [canary.schedule]];
    else if (route.includes('/events'))
      [mine, theirs] = [own.streamJobs, [canary.finishedJob]]; // the admin may follow B's finished job: it ends at once
    else if (route.includes('/jobs/'))
      [mine, theirs] = [
        [...own.jobs, ...own.finishedJobs],
        [canary.job, canary.finishedJob],
      ];
    return fc.oneof(
      { weight: 2, arbitrary: fc.constantFrom(...mine) },
      ...(theirs.length ? [{ weight: 2, arbitrary: fc.constantFrom(...theirs) }] : []),
      { weight: 1, arbitrary: nasty },
    );
  }

  let bodyRoutes: string[] = [];
  it('knows a body for every POST, PATCH, PUT and DELETE route of the API', () => {
    bodyRoutes = routeTable(h.app.printRoutes({ commonPrefix: false })).filter((r) => /^(POST|PATCH|PUT|DELETE) \/api\//.test(r));
    expect(bodyRoutes.filter((r) => !(r in BODIES))).toEqual([]);
    expect(bodyRoutes.length).toBeGreaterThanOrEqual(20);
  });

  function requestArb(mode: 'arbitrary' | 'mutated' | 'typed') {
    return fc.constantFrom(...Object.keys(BODIES)).chain((route) => {
      const [method, template] = route.split(' ') as [string, string];
      const spec = BODIES[route]!;
      const bodyArb: fc.Arbitrary<string | undefined> =
        mode === 'arbitrary'
          ? fc.oneof({ weight: 5, arbitrary: anyNode.map(toText) }, { weight: 1, arbitrary: fc.constant(undefined) })
          : spec.body === undefined
            ? fc.oneof(fc.constant(undefined), nastyNode.map(toText))
            : mode === 'typed'
              ? typedMutation(spec.body).map(toText)
              : mutate(spec.body).map(toText);
      const pathArb = template.includes('{') ? paramArb(route).map((p) => template.replace(/\{\w+\}/, p)) : fc.constant(template);
      const who = fc.constantFrom(...(spec.admin ? ['admin'] : ['token', 'apiKey']));
      return fc.record({ route: fc.constant(route), method: fc.constant(method), path: pathArb, body: bodyArb, who });
    });
  }

  let aKey = '';
  const headersOf = (who: string): Record<string, string> =>
    who === 'admin'
      ? { authorization: `Bearer ${adminTok}` }
      : who === 'apiKey'
        ? { 'x-api-key': aKey }
        : { authorization: `Bearer ${a.token}` };

  for (const mode of ['arbitrary', 'mutated', 'typed'] as const) {
    it(`REST: ${mode} JSON bodies and path parameters never cause a 5xx, a leak or a bad error shape`, async () => {
      aKey ||= (await createKey(h, a.token, ['jobs:read', 'jobs:write', 'schedules:read', 'schedules:write'], 'fuzz')).key;
      await fc.assert(
        fc.asyncProperty(requestArb(mode), async (r) => {
          const res = await inject(r.method, r.path, headersOf(r.who), r.body);
          const problem = restProblem(res);
          if (problem)
            throw new Error(
              `${r.method} ${r.path} → ${res.status}: ${problem}\nbody: ${r.body?.slice(0, 500)}\nresponse: ${res.text.slice(0, 500)}`,
            );
        }),
        params(),
      );
    }, 60_000);
  }

  // ------------------------------------------------------------------ query strings
  const QUERY_KEYS = [
    'status',
    'type',
    'queue',
    'batchId',
    'ownerId',
    'createdAfter',
    'createdBefore',
    'limit',
    'cursor',
    'isActive',
    'source',
    'jobType',
    'name',
    '__proto__',
    'constructor',
  ];
  it('REST: arbitrary query strings on every GET route never cause a 5xx, a leak or a bad error shape', async () => {
    const gets = routeTable(h.app.printRoutes({ commonPrefix: false })).filter((r) => /^GET \/api\//.test(r));
    expect(gets.length).toBeGreaterThanOrEqual(14);
    const value = fc.oneof(
      nastyString,
      numberText,
      fc.constantFrom('QUEUED', 'true', 'false', '-1', '501', '0', 'api', 'code', b.id),
    );
    const query = fc.array(
      fc.tuple(fc.oneof({ weight: 4, arbitrary: fc.constantFrom(...QUERY_KEYS) }, { weight: 1, arbitrary: nastyString }), value),
      { minLength: 1, maxLength: 4 },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom(...gets).chain((route) => {
          const template = route.slice(4);
          const pathArb = template.includes('{')
            ? paramArb(route).map((p) => template.replace(/\{\w+\}/, p))
            : fc.constant(template);
          return fc.record({ path: pathArb, query, admin: fc.boolean() });
        }),
        async ({ path, query: q, admin }) => {
          const qs = q.map(([k, v]) => `${encodeAny(k)}=${encodeAny(v)}`).join('&');
          // The admin only reads (GET): nothing of B's can change.
          const res = await inject(
            'GET',
            `${path}?${qs}`,
            admin ? { authorization: `Bearer ${adminTok}` } : { authorization: `Bearer ${a.token}` },
          );
          const problem = restProblem(res);
          if (problem) throw new Error(`GET ${path}?${qs} → ${res.status}: ${problem}\nresponse: ${res.text.slice(0, 500)}`);
          // A never sees B's jobs or schedules, whatever the filters say.
          if (!admin && res.status === 200 && res.text.includes(b.id)) throw new Error(`GET ${path}?${qs} shows B's data`);
        },
      ),
      params(),
    );
  }, 60_000);

  // ------------------------------------------------------------------ GraphQL variables
  const ID = '$id: ID!';
  const GQL_OPS: { query: string; vars: Record<string, 'id' | 'any' | unknown> }[] = [
    { query: `query(${ID}) { job(id: $id) { id ownerId payload } }`, vars: { id: 'id' } },
    {
      query:
        'query($f: JobsFilter, $jf: JobsFilter, $n: Int, $a: String) { jobs(filter: $f, jobsFilter: $jf, first: $n, after: $a) { nodes { id ownerId } nextCursor } }',
      vars: {
        f: { status: ['QUEUED'], type: 'noop', ownerId: 'x', createdAfter: '2020-01-01T00:00:00Z' },
        jf: 'any',
        n: 10,
        a: 'any',
      },
    },
    { query: 'query($n: String!) { jobType(name: $n) { name } }', vars: { n: 'noop' } },
    {
      query: 'query($f: JobTypesFilter) { jobTypes(filter: $f) { name } }',
      vars: { f: { name: 'noop', queue: 'default', search: 'o' } },
    },
    { query: 'query($id: ID, $u: String) { user(id: $id, userId: $u) { id } }', vars: { id: 'id', u: 'any' } },
    {
      query:
        'query($f: SchedulesFilter, $n: Int, $a: String) { schedules(filter: $f, first: $n, after: $a) { nodes { id ownerId } } }',
      vars: { f: { isActive: true, jobType: 'noop', name: 'x', ownerId: 'x', source: 'API' }, n: 5, a: 'any' },
    },
    { query: `query(${ID}, $c: Int) { schedule(id: $id) { id ownerId upcoming(count: $c) } }`, vars: { id: 'id', c: 5 } },
    {
      query: `query(${ID}, $s: [JobStatus!], $n: Int, $a: String) { scheduleRuns(id: $id, status: $s, first: $n, after: $a) { nextCursor } }`,
      vars: { id: 'id', s: ['COMPLETED'], n: 5, a: 'any' },
    },
    {
      query: 'query($c: String!, $tz: String, $n: Int) { previewSchedule(cron: $c, timezone: $tz, count: $n) }',
      vars: { c: '*/5 * * * *', tz: 'UTC', n: 3 },
    },
    {
      query: 'mutation($i: LoginInput, $l: LoginInput) { login(input: $i, loginInput: $l) { token } }',
      vars: { i: { email: 'fuzz.login@example.com', password: 'password123' }, l: 'any' },
    },
    {
      query:
        'mutation($i: ExecuteJobInput, $e: ExecuteJobInput, $n: String, $d: JSON) { executeJob(input: $i, executeJobInput: $e, jobName: $n, data: $d) { id ownerId } }',
      vars: {
        i: {
          name: 'noop',
          data: { x: 1 },
          options: {
            queue: 'default',
            priority: 1,
            delay: 3600000,
            maxAttempts: 2,
            timeout: 100,
            idempotencyKey: 'k',
            metadata: {},
          },
        },
        e: 'any',
        n: 'any',
        d: 'any',
      },
    },
    { query: `mutation(${ID}) { cancelJob(id: $id) { id } }`, vars: { id: 'id' } },
    { query: `mutation(${ID}) { retryJob(id: $id) { id } }`, vars: { id: 'id' } },
    {
      query: 'mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id ownerId } }',
      vars: {
        i: {
          name: 'g',
          cron: '0 0 1 1 *',
          timezone: 'UTC',
          jobType: 'noop',
          payload: {},
          options: {},
          isActive: false,
          overlap: 'SKIP',
          missedRuns: 'ALL',
          maxCatchUp: 2,
          ownerId: 'x',
          description: 'd',
        },
      },
    },
    {
      query: `mutation(${ID}, $i: UpdateScheduleInput!) { updateSchedule(id: $id, input: $i) { id } }`,
      vars: { id: 'id', i: { description: 'x', cron: '0 0 * * *', timezone: 'UTC', payload: null, isActive: false } },
    },
    { query: `mutation(${ID}) { pauseSchedule(id: $id) { id } }`, vars: { id: 'id' } },
    { query: `mutation(${ID}) { resumeSchedule(id: $id) { id } }`, vars: { id: 'id' } },
    { query: `mutation(${ID}) { triggerSchedule(id: $id) { id } }`, vars: { id: 'id' } },
    { query: `mutation(${ID}) { deleteSchedule(id: $id) { id } }`, vars: { id: 'id' } },
  ];

  it('GraphQL: arbitrary variables never cause a 5xx, an INTERNAL error, a leak, or a sight of B’s data', async () => {
    const idArb = fc.oneof(
      fc.constantFrom(...own.jobs, ...own.schedules, a.id),
      fc.constantFrom(canary.job, canary.schedule, canary.finishedJob, b.id),
      nastyString,
    );
    const opArb = fc.constantFrom(...GQL_OPS).chain((op) => {
      const entries = Object.entries(op.vars).map(([name, base]) =>
        (base === 'id'
          ? fc.oneof({ weight: 4, arbitrary: idArb.map(toNode) }, { weight: 1, arbitrary: nastyNode })
          : base === 'any'
            ? fc.oneof(fc.constant<Node | null>(null), nastyNode)
            : fc.oneof(
                { weight: 1, arbitrary: fc.constant(toNode(base)) },
                { weight: 3, arbitrary: mutate(base) },
                { weight: 4, arbitrary: typedMutation(base) },
              )
        ).map((n) => (n ? ([name, n] as [string, Node]) : null)),
      );
      return fc.record({
        query: fc.constant(op.query),
        vars: fc.tuple(...entries).map((es): Node => ({ t: 'obj', v: es.filter(Boolean) as [string, Node][] })),
        extra: fc.oneof(fc.constant<Node | null>(null), pollutionNode),
      });
    });
    await fc.assert(
      fc.asyncProperty(opArb, async ({ query, vars, extra }) => {
        const v = extra
          ? { t: 'obj' as const, v: [...(vars as { v: [string, Node][] }).v, ...(extra as { v: [string, Node][] }).v] }
          : vars;
        const payload = `{"query":${JSON.stringify(query)},"variables":${toText(v)}}`;
        const res = await inject('POST', '/graphql', { authorization: `Bearer ${a.token}` }, payload);
        const problem = gqlProblem(res);
        if (problem)
          throw new Error(
            `${query}\nvariables: ${toText(v).slice(0, 500)}\n→ ${res.status}: ${problem}\nresponse: ${res.text.slice(0, 500)}`,
          );
        // B's data never shows: B's user id or email unless A sent it, nor the canary job's payload.
        const sent = toText(v);
        if ((res.text.includes(b.id) && !sent.includes(b.id)) || res.text.includes(b.email) || res.text.includes('"canary":true'))
          throw new Error(`B's data in ${res.text.slice(0, 300)}`);
      }),
      params(),
    );
  }, 60_000);

  // ------------------------------------------------------------------ regressions found by this suite
  it('regression: values PostgreSQL cannot store (NUL, unpaired surrogates, far dates) are a 400, never a 500', async () => {
    const token = { authorization: `Bearer ${a.token}` };
    const admin = { authorization: `Bearer ${adminTok}` };
    const cases: [string, string, Record<string, string>, unknown][] = [
      ['POST', '/api/v1/api-keys', token, { name: 'a\u0000b', scopes: ['jobs:read'] }],
      ['POST', '/api/v1/auth/register', {}, { email: 'x\u0000y@example.com', password: 'password123' }],
      ['POST', '/api/v1/auth/register', {}, { email: 'nul.name@example.com', password: 'password123', name: 'a\u0000' }],
      ['POST', '/api/v1/auth/login', {}, { email: 'x\u0000y@example.com', password: 'password123' }],
      ['POST', '/api/v1/users', admin, { email: 'nul.user@example.com', password: 'password123', name: '\u0000' }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', payload: { a: 'x\u0000' } }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', payload: { 'k\u0000': 1 } }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', payload: '\ud800' }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', options: { idempotencyKey: 'a\u0000' } }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', options: { metadata: { a: '\u0000' } } }],
      ['POST', '/api/v1/jobs', token, { type: 'noop', options: { runAt: '+275760-09-13T00:00:00.000Z' } }],
      ['POST', '/api/v1/schedules', token, { name: 'a\u0000', cron: '* * * * *', jobType: 'noop' }],
      ['POST', '/api/v1/schedules', token, { name: 'nul-desc', description: 'a\u0000', cron: '* * * * *', jobType: 'noop' }],
      ['POST', '/api/v1/schedules', token, { name: 'nul-payload', cron: '* * * * *', jobType: 'noop', payload: { x: '\u0000' } }],
      ['POST', '/api/v1/dead-letters/replay', token, { type: 'a\u0000' }],
      ['GET', '/api/v1/jobs?type=a%00b', token, undefined],
      ['GET', '/api/v1/jobs?createdAfter=99999-01-01', token, undefined],
      ['GET', '/api/v1/schedules?name=%00', token, undefined],
      ['GET', '/api/v1/dead-letters?type=%00', admin, undefined],
    ];
    for (const [method, url, headers, body] of cases) {
      const r = await inject(method, url, headers, body === undefined ? undefined : JSON.stringify(body));
      expect(restProblem(r), `${method} ${url} ${JSON.stringify(body)} → ${r.status} ${r.text}`).toBeNull();
      expect(r.status, `${method} ${url} ${JSON.stringify(body)}`).toBe(400);
    }
    const gql = [
      ['mutation($i: ExecuteJobInput) { executeJob(input: $i) { id } }', { i: { name: 'noop', data: { a: '\u0000' } } }],
      [
        'mutation($i: CreateScheduleInput!) { createSchedule(input: $i) { id } }',
        { i: { name: 'x\u0000', cron: '* * * * *', jobType: 'noop' } },
      ],
      ['query($f: JobsFilter) { jobs(filter: $f) { nextCursor } }', { f: { type: '\u0000' } }],
      ['mutation($i: LoginInput) { login(input: $i) { token } }', { i: { email: 'a\u0000@example.com', password: 'x' } }],
    ] as const;
    for (const [query, variables] of gql) {
      const r = await inject('POST', '/graphql', token, JSON.stringify({ query, variables }));
      expect(gqlProblem(r), `${query} → ${r.text}`).toBeNull();
      expect(JSON.parse(r.text).errors[0].extensions.code, query).toBe('VALIDATION_FAILED');
    }
  });

  // ------------------------------------------------------------------ refusals of the request itself
  it('malformed JSON gets 400 MALFORMED_JSON (REST) and a 400 (GraphQL)', async () => {
    const broken = fc
      .oneof(
        fc.string({ unit: 'binary', minLength: 1, maxLength: 50 }),
        fc.constantFrom(
          '{',
          '{"a":}',
          "{'a':1}",
          '[1,]',
          '{"a":1}}',
          'NaN',
          '{"a":undefined}',
          '\u0000',
          '{"a":"\u0001"}',
          '{"a":1e}',
          '01',
          '{"a" 1}',
          '"\\x41"',
        ),
        nastyNode.map((n) => toText(n).slice(0, -1)),
      )
      .filter((s) => {
        try {
          JSON.parse(s);
          return false;
        } catch {
          return s.trim().length > 0;
        }
      });
    await fc.assert(
      fc.asyncProperty(broken, fc.boolean(), async (text, gql) => {
        const res = await inject('POST', gql ? '/graphql' : '/api/v1/jobs', { authorization: `Bearer ${a.token}` }, text);
        if (res.status !== 400) throw new Error(`${JSON.stringify(text)} → ${res.status} ${res.text.slice(0, 300)}`);
        const problem = gql ? gqlProblem(res) : restProblem(res);
        if (problem) throw new Error(`${JSON.stringify(text)}: ${problem}`);
        if (!gql) expect(JSON.parse(res.text).error.code).toBe('MALFORMED_JSON');
      }),
      params(Math.min(RUNS, 100)),
    );
  }, 60_000);

  it('oversized bodies get 413 PAYLOAD_TOO_LARGE, on REST and GraphQL, before any authentication is needed', async () => {
    const big = JSON.stringify({ type: 'reverse_string', payload: 'x'.repeat(BODY_LIMIT) });
    for (const [url, hdrs] of [
      ['/api/v1/jobs', { authorization: `Bearer ${a.token}` }],
      ['/api/v1/jobs', {}],
      ['/api/v1/auth/login', {}],
      ['/api/v1/schedules', { 'x-api-key': canary.key }],
    ] as const) {
      const r = await inject('POST', url, { ...hdrs }, big);
      expect(r.status, url).toBe(413);
      expect(JSON.parse(r.text).error.code).toBe('PAYLOAD_TOO_LARGE');
      expect(restProblem(r)).toBeNull();
    }
    const g = await inject(
      'POST',
      '/graphql',
      { authorization: `Bearer ${a.token}` },
      JSON.stringify({ query: `{ me { id } }`, variables: { x: 'x'.repeat(BODY_LIMIT) } }),
    );
    expect(g.status).toBe(413);
    expect(gqlProblem(g)).toBeNull();
    expect(g.text).toContain('PAYLOAD_TOO_LARGE');
    // Just under the limit is accepted (the limit is the documented one, not lower).
    const under = JSON.stringify({
      type: 'reverse_string',
      payload: 'y'.repeat(BODY_LIMIT - 200),
      options: { delay: 3_600_000 },
    });
    expect((await inject('POST', '/api/v1/jobs', { authorization: `Bearer ${a.token}` }, under)).status).toBe(201);
    // Not JSON at all: 415.
    const t = await h.app.inject({
      method: 'POST',
      url: '/api/v1/jobs',
      headers: { authorization: `Bearer ${a.token}`, 'content-type': 'text/plain' },
      payload: 'hi',
    });
    expect(t.statusCode).toBe(415);
    expect(t.json().error.code).toBe('UNSUPPORTED_MEDIA_TYPE');
  });

  it('over-deep GraphQL documents are refused with QUERY_TOO_DEEP, whatever their shape', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 9, max: 60 }), fc.constantFrom('field', 'fragment', 'inline'), async (depth, how) => {
        let query: string;
        if (how === 'field') query = `{ ${'a { '.repeat(depth - 1)}b${' }'.repeat(depth - 1)} }`;
        else if (how === 'inline') query = `{ ${'a { ... on X { '.repeat(depth - 1)}b${' } }'.repeat(depth - 1)} }`;
        else {
          // A chain of fragments, each adding one level.
          const frags = Array.from(
            { length: depth },
            (_, i) => `fragment F${i} on T${i} { a${i} { ${i + 1 < depth ? `...F${i + 1}` : 'leaf'} } }`,
          );
          query = `{ ...F0 } ${frags.join(' ')}`;
        }
        const res = await inject('POST', '/graphql', { authorization: `Bearer ${a.token}` }, JSON.stringify({ query }));
        const problem = gqlProblem(res);
        if (problem) throw new Error(`depth ${depth} ${how}: ${problem}`);
        const codes = (JSON.parse(res.text).errors ?? []).map((e: { extensions: { code: string } }) => e.extensions.code);
        if (!codes.includes('QUERY_TOO_DEEP'))
          throw new Error(`depth ${depth} ${how}: ${codes.join(',')} ${res.text.slice(0, 300)}`);
      }),
      params(Math.min(RUNS, 60)),
    );
  }, 60_000);

  it('ran the planned number of requests', () => {
    expect(requests).toBeGreaterThan(RUNS * 5);
    console.log(`fuzz: ${requests} requests, ${RUNS} runs per property${SEED !== undefined ? `, seed ${SEED}` : ''}`);
  });
});
