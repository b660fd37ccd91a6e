/**
 * Shared set-up of the security suites: a harness on real PostgreSQL, two members (A and B), the admin,
 * API keys per scope, and the refused credentials (disabled user, expired / foreign-key / alg:none /
 * tampered tokens, revoked API key).
 */
import { SignJWT } from 'jose';
import type { ApiScope } from '../../src/index.ts';
import { adminToken, call, newMember, TEST_SECRET, type Harness } from '../helpers.ts';

export const enc = (s: string) => new TextEncoder().encode(s);
export const b64 = (o: unknown) => Buffer.from(JSON.stringify(o)).toString('base64url');
export const FOREIGN_SECRET = 'another-secret-of-enough-length-0123456789';

export type Member = Awaited<ReturnType<typeof newMember>>;

/** A caller: the headers it sends, and who it acts as when its credentials are accepted. */
export interface Caller {
  name: PrincipalName;
  headers: Record<string, string>;
}

export const PRINCIPALS = [
  'anonymous',
  'memberA',
  'memberB',
  'admin',
  'keyWithScope',
  'keyWithoutScope',
  'disabledUser',
  'expiredToken',
  'foreignKeyToken',
  'algNoneToken',
  'tamperedToken',
  'revokedKey',
] as const;
export type PrincipalName = (typeof PRINCIPALS)[number];

/** The principals whose credentials must be refused with 401 (and the codes accepted for each). */
export const REFUSED: Partial<Record<PrincipalName, string[]>> = {
  disabledUser: ['USER_DISABLED', 'SESSION_REVOKED'],
  expiredToken: ['TOKEN_EXPIRED'],
  foreignKeyToken: ['INVALID_TOKEN'],
  algNoneToken: ['INVALID_TOKEN'],
  tamperedToken: ['INVALID_TOKEN'],
  revokedKey: ['API_KEY_REVOKED'],
};

export const USER_SCOPES: ApiScope[] = ['jobs:read', 'jobs:write', 'schedules:read', 'schedules:write'];

export interface World {
  a: Member;
  b: Member;
  disabled: Member;
  adminTok: string;
  adminId: string;
  /** A's API keys holding exactly one scope, and holding every user scope but that one. */
  keyWith: Record<Exclude<ApiScope, 'admin'>, string>;
  keyWithout: Record<Exclude<ApiScope, 'admin'>, string>;
  /** The admin's key with the admin scope, and one with every other scope. */
  adminKeyWith: string;
  adminKeyWithout: string;
  revokedKey: string;
  expired: string;
  foreign: string;
  algNone: string;
  tampered: string;
}

export async function createKey(h: Harness, token: string, scopes: ApiScope[], name = 'k'): Promise<{ key: string; id: string }> {
  const r = await call(h, 'POST', '/api/v1/api-keys', { token, body: { name, scopes } });
  if (r.status !== 201) throw new Error(`api key: ${r.status} ${JSON.stringify(r.body)}`);
  return { key: r.body.key, id: r.body.apiKey.id };
}

export async function buildWorld(h: Harness): Promise<World> {
  const a = await newMember(h, 'alice');
  const b = await newMember(h, 'bob');
  const disabled = await newMember(h, 'dis');
  const adminTok = await adminToken(h);
  const adminId = (await call(h, 'GET', '/api/v1/auth/me', { token: adminTok })).body.id as string;

  const keyWith = {} as World['keyWith'];
  const keyWithout = {} as World['keyWithout'];
  for (const s of USER_SCOPES) {
    keyWith[s as keyof World['keyWith']] = (await createKey(h, a.token, [s], `with-${s}`)).key;
    keyWithout[s as keyof World['keyWith']] = (
      await createKey(
        h,
        a.token,
        USER_SCOPES.filter((x) => x !== s),
        `without-${s}`,
      )
    ).key;
  }
  const adminKeyWith = (await createKey(h, adminTok, ['admin'], 'admin-with')).key;
  const adminKeyWithout = (await createKey(h, adminTok, USER_SCOPES, 'admin-without')).key;
  const revoked = await createKey(h, a.token, USER_SCOPES, 'revoked');
  const rev = await call(h, 'DELETE', `/api/v1/api-keys/${revoked.id}`, { token: a.token });
  if (rev.status !== 200) throw new Error('revoke failed');

  const dis = await call(h, 'POST', `/api/v1/users/${disabled.id}/disable`, { token: adminTok });
  if (dis.status !== 200) throw new Error('disable failed');

  // Tokens built from A's genuine token.
  const [header, payload, sig] = a.token.split('.') as [string, string, string];
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString()) as Record<string, unknown>;
  const expired = await new SignJWT({
    ...claims,
    iat: Math.floor(Date.now() / 1000) - 100,
    exp: Math.floor(Date.now() / 1000) - 10,
  })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(enc(TEST_SECRET));
  const foreign = await new SignJWT({ ...claims, role: 'admin' })
    .setProtectedHeader({ alg: 'HS256', typ: 'JWT' })
    .sign(enc(FOREIGN_SECRET));
  const algNone = `${b64({ alg: 'none', typ: 'JWT' })}.${b64({ ...claims, role: 'admin' })}.`;
  const tampered = `${header}.${b64({ ...claims, role: 'admin' })}.${sig}`;

  return {
    a,
    b,
    disabled,
    adminTok,
    adminId,
    keyWith,
    keyWithout,
    adminKeyWith,
    adminKeyWithout,
    revokedKey: revoked.key,
    expired,
    foreign,
    algNone,
    tampered,
  };
}

/** What a route or operation needs. `public`: nothing; `signedIn`: any accepted principal; else a scope. */
export type Need = 'public' | 'signedIn' | ApiScope;

/** The headers of a principal, for a route that needs `need` (the API keys are picked to have, or lack, it). */
export function headersFor(w: World, p: PrincipalName, need: Need): Record<string, string> {
  const bearer = (t: string) => ({ authorization: `Bearer ${t}` });
  const scope: Exclude<ApiScope, 'admin'> = need === 'public' || need === 'signedIn' || need === 'admin' ? 'jobs:read' : need;
  switch (p) {
    case 'anonymous':
      return {};
    case 'memberA':
      return bearer(w.a.token);
    case 'memberB':
      return bearer(w.b.token);
    case 'admin':
      return bearer(w.adminTok);
    case 'keyWithScope':
      return need === 'admin' ? { 'x-api-key': w.adminKeyWith } : { 'x-api-key': w.keyWith[scope] };
    case 'keyWithoutScope':
      // Also sent as Bearer jf_…, the other accepted spelling.
      return need === 'admin' ? bearer(w.adminKeyWithout) : bearer(w.keyWithout[scope]);
    case 'disabledUser':
      return bearer(w.disabled.token);
    case 'expiredToken':
      return bearer(w.expired);
    case 'foreignKeyToken':
      return bearer(w.foreign);
    case 'algNoneToken':
      return bearer(w.algNone);
    case 'tamperedToken':
      return { cookie: `jobfleet_token=${w.tampered}` };
    case 'revokedKey':
      return { 'x-api-key': w.revokedKey };
  }
}

/** The owner a principal acts as, once accepted ('A', 'B' or 'admin'). */
export function actsAs(p: PrincipalName, need: Need): 'A' | 'B' | 'admin' | null {
  switch (p) {
    case 'memberA':
      return 'A';
    case 'memberB':
      return 'B';
    case 'admin':
      return 'admin';
    case 'keyWithScope':
    case 'keyWithoutScope':
      return need === 'admin' ? 'admin' : 'A';
    default:
      return null;
  }
}

/** Things that must never appear in a response body: stack frames, source paths, internal errors. */
export const LEAK_PATTERNS: RegExp[] = [
  /\bat [\w$.<>]+ \(/, // a stack frame "at fn ("
  /\bat (?:file:\/\/|\/|node:)/, // a stack frame without a function name
  /\/(?:work|home|usr|opt|app|src)\/[\w./-]+\.(?:ts|js|mjs|cjs)\b/, // an absolute source path
  /node_modules/,
  /\.ts:\d+:\d+/,
  /\bstack\b["']?\s*:/i,
  /syntax error at or near/i, // a PostgreSQL parser message
  /\bSQLSTATE\b|\bpg_catalog\b|relation "[^"]+" does not exist/i,
];

export function leaks(text: string): RegExp | null {
  for (const re of LEAK_PATTERNS) if (re.test(text)) return re;
  return null;
}

/** Parses `app.printRoutes({ commonPrefix: false })` into "METHOD /path" lines (HEAD left out; :id as {id}). */
export function routeTable(printed: string): string[] {
  const out: string[] = [];
  const stack: string[] = [];
  for (const line of printed.split('\n')) {
    const m = /^([│ ├└─]*?)([└├]── )(.+?) \(([A-Z, ]+)\)\s*$/.exec(line);
    if (!m) continue;
    const depth = Math.round((m[1] as string).length / 4);
    stack.length = depth;
    stack.push(m[3] as string);
    const path = stack.join('').replace(/:(\w+)/g, '{$1}');
    for (const method of (m[4] as string).split(',').map((s) => s.trim())) {
      if (method !== 'HEAD') out.push(`${method} ${path}`);
    }
  }
  return [...new Set(out)].sort();
}
