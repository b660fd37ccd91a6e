import { parseEventStream } from './sse.ts';
import type {
  ApiKey,
  ApiScope,
  Health,
  Job,
  JobPage,
  JobType,
  ListJobsQuery,
  LoginResult,
  Queue,
  ReplayFilter,
  Role,
  ServerSentEvent,
  SubmitJob,
  User,
} from './types.ts';

/** An error answered by the API (`{ error: { code, message, details } }`), or a transport failure (status 0). */
export class JobfleetApiError extends Error {
  readonly status: number;
  readonly code: string;
  readonly details: unknown;
  constructor(status: number, code: string, message: string, details?: unknown) {
    super(message);
    this.name = 'JobfleetApiError';
    this.status = status;
    this.code = code;
    this.details = details;
  }
}

export type FetchLike = (input: string, init?: RequestInit) => Promise<Response>;

export interface JobfleetHttpClientOptions {
  /** The server's origin, e.g. "http://127.0.0.1:3000" (a trailing "/api/v1" is accepted too). */
  baseUrl: string;
  /** A JWT access token (sent as `Authorization: Bearer`). Set by login(). */
  token?: string;
  /** An API key (sent as `X-API-Key`). */
  apiKey?: string;
  /** Defaults to the global fetch. */
  fetch?: FetchLike;
  /** Extra headers for every request. */
  headers?: Record<string, string>;
}

interface RequestOptions {
  query?: Record<string, unknown>;
  body?: unknown;
  signal?: AbortSignal;
  /** Don't send credentials (register, login, refresh). */
  anonymous?: boolean;
}

const API_PREFIX = '/api/v1';

/** A typed client for the Jobfleet REST API (`/api/v1`). Works in Node 20+ and browsers. */
export class JobfleetHttpClient {
  readonly baseUrl: string;
  token: string | undefined;
  refreshToken: string | undefined;
  apiKey: string | undefined;
  private readonly fetchImpl: FetchLike;
  private readonly extraHeaders: Record<string, string>;

  constructor(opts: JobfleetHttpClientOptions) {
    if (!opts || typeof opts.baseUrl !== 'string' || !/^https?:\/\//i.test(opts.baseUrl)) {
      throw new TypeError('JobfleetHttpClient needs a baseUrl starting with http:// or https://');
    }
    this.baseUrl = opts.baseUrl.replace(/\/+$/, '').replace(/\/api\/v1$/, '');
    this.token = opts.token;
    this.apiKey = opts.apiKey;
    const f = opts.fetch ?? (globalThis.fetch as FetchLike | undefined);
    if (!f) throw new TypeError('No fetch implementation: pass one as options.fetch.');
    this.fetchImpl = (input, init) => f(input, init);
    this.extraHeaders = opts.headers ?? {};
  }

  // ---------------------------------------------------------------- auth

  /** Creates an account (when the server allows open registration). */
  async register(input: { email: string; password: string; name?: string }): Promise<User> {
    return unwrap<User>(await this.request('POST', '/auth/register', { body: input, anonymous: true }), 'user');
  }

  /** Logs in and keeps the tokens on this client for later calls. */
  async login(input: { email: string; password: string }): Promise<LoginResult> {
    const r = await this.request<LoginResult>('POST', '/auth/login', { body: input, anonymous: true });
    this.token = r.token;
    this.refreshToken = r.refreshToken;
    return r;
  }

  /** Exchanges the refresh token (the stored one by default) for a new pair, and keeps it. */
  async refresh(refreshToken = this.refreshToken): Promise<LoginResult> {
    if (!refreshToken) throw new JobfleetApiError(0, 'NO_REFRESH_TOKEN', 'No refresh token: log in first.');
    const r = await this.request<LoginResult>('POST', '/auth/refresh', { body: { refreshToken }, anonymous: true });
    this.token = r.token;
    this.refreshToken = r.refreshToken;
    return r;
  }

  /** Revokes the refresh token and forgets the tokens. */
  async logout(refreshToken = this.refreshToken): Promise<void> {
    try {
      await this.request('POST', '/auth/logout', { body: refreshToken ? { refreshToken } : {} });
    } finally {
      this.token = undefined;
      this.refreshToken = undefined;
    }
  }

  async me(): Promise<User> {
    return unwrap<User>(await this.request('GET', '/auth/me'), 'user');
  }

  // ---------------------------------------------------------------- users (admin)

  readonly users = {
    list: async (): Promise<User[]> => unwrapList<User>(await this.request('GET', '/users'), 'users'),
    create: async (input: { email: string; password: string; name?: string; role?: Role }): Promise<User> =>
      unwrap<User>(await this.request('POST', '/users', { body: input }), 'user'),
    get: async (id: string): Promise<User> => unwrap<User>(await this.request('GET', `/users/${seg(id)}`), 'user'),
    disable: async (id: string): Promise<User> => unwrap<User>(await this.request('POST', `/users/${seg(id)}/disable`), 'user'),
    enable: async (id: string): Promise<User> => unwrap<User>(await this.request('POST', `/users/${seg(id)}/enable`), 'user'),
  };

  // ---------------------------------------------------------------- API keys

  readonly apiKeys = {
    list: async (): Promise<ApiKey[]> => unwrapList<ApiKey>(await this.request('GET', '/api-keys'), 'apiKeys'),
    /** The key itself is returned once, here. */
    create: async (input: {
      name: string;
      scopes: ApiScope[];
      expiresAt?: string | Date;
    }): Promise<{ key: string; apiKey: ApiKey }> => this.request('POST', '/api-keys', { body: input }),
    revoke: async (id: string): Promise<void> => {
      await this.request('DELETE', `/api-keys/${seg(id)}`);
    },
  };

  // ---------------------------------------------------------------- job types

  async jobTypes(): Promise<JobType[]> {
    return unwrapList<JobType>(await this.request('GET', '/job-types'), 'jobTypes');
  }

  // ---------------------------------------------------------------- jobs

  readonly jobs = {
    submit: async (job: SubmitJob): Promise<Job> => unwrap<Job>(await this.request('POST', '/jobs', { body: job }), 'job'),
    submitBulk: async (jobs: SubmitJob[]): Promise<Job[]> =>
      unwrapList<Job>(await this.request('POST', '/jobs/bulk', { body: { jobs } }), 'jobs'),
    list: async (query: ListJobsQuery = {}): Promise<JobPage> => {
      const r = await this.request<JobPage | Job[]>('GET', '/jobs', { query: { ...query } });
      return Array.isArray(r) ? { jobs: r, nextCursor: null } : { jobs: r.jobs ?? [], nextCursor: r.nextCursor ?? null };
    },
    /** Every page of a listing, lazily. */
    listAll: (query: ListJobsQuery = {}): AsyncIterable<Job> => {
      const list = this.jobs.list;
      return {
        async *[Symbol.asyncIterator]() {
          let cursor = query.cursor;
          do {
            const page = await list({ ...query, ...(cursor ? { cursor } : {}) });
            yield* page.jobs;
            cursor = page.nextCursor ?? undefined;
          } while (cursor);
        },
      };
    },
    get: async (id: string): Promise<Job> => unwrap<Job>(await this.request('GET', `/jobs/${seg(id)}`), 'job'),
    cancel: async (id: string): Promise<Job> => unwrap<Job>(await this.request('POST', `/jobs/${seg(id)}/cancel`), 'job'),
    retry: async (id: string): Promise<Job> => unwrap<Job>(await this.request('POST', `/jobs/${seg(id)}/retry`), 'job'),
    /** Deletes a job that is not running; returns it as it was. */
    delete: async (id: string): Promise<Job> => unwrap<Job>(await this.request('DELETE', `/jobs/${seg(id)}`), 'job'),
    /** The job's events as they happen (server-sent events), until the server ends the stream or `signal` aborts. */
    events: (id: string, opts: { signal?: AbortSignal } = {}): AsyncIterable<ServerSentEvent> =>
      this.stream(`/jobs/${seg(id)}/events`, opts.signal),
    /** Polls until the job is COMPLETED, DEAD or CANCELLED (or the time is up). */
    wait: async (id: string, opts: { timeoutMs?: number; intervalMs?: number } = {}): Promise<Job> => {
      const deadline = Date.now() + (opts.timeoutMs ?? 30_000);
      for (;;) {
        const job = await this.jobs.get(id);
        if (job.status === 'COMPLETED' || job.status === 'DEAD' || job.status === 'CANCELLED') return job;
        if (Date.now() > deadline) throw new JobfleetApiError(0, 'TIMEOUT', `Job ${id} is still ${job.status}.`);
        await new Promise((r) => setTimeout(r, opts.intervalMs ?? 100));
      }
    },
  };

  // ---------------------------------------------------------------- queues

  async queues(): Promise<Queue[]> {
    return unwrapList<Queue>(await this.request('GET', '/queues'), 'queues');
  }

  /** Workers stop claiming from the queue; returns it with its counts. */
  async pauseQueue(name: string): Promise<Queue> {
    return this.request<Queue>('POST', `/queues/${seg(name)}/pause`);
  }

  async resumeQueue(name: string): Promise<Queue> {
    return this.request<Queue>('POST', `/queues/${seg(name)}/resume`);
  }

  // ---------------------------------------------------------------- dead letters

  readonly deadLetters = {
    list: async (query: Omit<ListJobsQuery, 'status'> = {}): Promise<JobPage> => {
      const r = await this.request<JobPage | Job[]>('GET', '/dead-letters', { query: { ...query } });
      return Array.isArray(r) ? { jobs: r, nextCursor: null } : { jobs: r.jobs ?? [], nextCursor: r.nextCursor ?? null };
    },
    replay: async (filter: ReplayFilter = {}): Promise<{ replayed: number; ids: string[] }> =>
      this.request('POST', '/dead-letters/replay', { body: filter }),
  };

  // ---------------------------------------------------------------- health

  /** Liveness: `{ status: 'ok' }` while the process serves requests. */
  async health(): Promise<Health> {
    return this.request<Health>('GET', '/healthz', { anonymous: true });
  }

  /** Readiness: the database answers and no migration is pending. Never throws on 503: check `ready`. */
  async ready(): Promise<{ ready: boolean; status: string; database?: string; error?: JobfleetApiError }> {
    try {
      const r = await this.request<{ status: string; database?: string }>('GET', '/readyz', { anonymous: true });
      return { ready: true, ...r };
    } catch (err) {
      if (err instanceof JobfleetApiError && err.status === 503) return { ready: false, status: err.code, error: err };
      throw err;
    }
  }

  // ---------------------------------------------------------------- plumbing

  /** Sends any request under /api/v1 and returns the parsed JSON body (throws JobfleetApiError on 4xx/5xx). */
  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<T> {
    const res = await this.send(method, this.url(path, opts.query), opts);
    const body = await readBody(res);
    if (!res.ok) throw toApiError(res, body);
    return body as T;
  }

  private url(path: string, query?: Record<string, unknown>): string {
    let url = `${this.baseUrl}${API_PREFIX}${path.startsWith('/') ? path : `/${path}`}`;
    if (query) {
      const params = new URLSearchParams();
      for (const [k, v] of Object.entries(query)) {
        if (v === undefined || v === null || v === '') continue;
        const values = Array.isArray(v) ? v : [v];
        if (values.length === 0) continue;
        params.set(k, values.map((x) => (x instanceof Date ? x.toISOString() : String(x))).join(','));
      }
      const s = params.toString();
      if (s) url += `?${s}`;
    }
    return url;
  }

  private headers(opts: RequestOptions, accept = 'application/json'): Record<string, string> {
    const h: Record<string, string> = { accept, ...this.extraHeaders };
    if (opts.body !== undefined) h['content-type'] = 'application/json';
    if (!opts.anonymous) {
      if (this.token) h.authorization = `Bearer ${this.token}`;
      if (this.apiKey) h['x-api-key'] = this.apiKey;
    }
    return h;
  }

  private async send(method: string, url: string, opts: RequestOptions, accept?: string): Promise<Response> {
    const init: RequestInit = { method, headers: this.headers(opts, accept) };
    if (opts.body !== undefined) init.body = JSON.stringify(opts.body);
    if (opts.signal) init.signal = opts.signal;
    try {
      return await this.fetchImpl(url, init);
    } catch (err) {
      if (opts.signal?.aborted) throw err;
      const cause = err instanceof Error ? ((err.cause as Error | undefined)?.message ?? err.message) : String(err);
      throw new JobfleetApiError(0, 'NETWORK_ERROR', `Cannot reach ${this.baseUrl}: ${cause}`);
    }
  }

  private stream(path: string, signal?: AbortSignal): AsyncIterable<ServerSentEvent> {
    const open = () => this.send('GET', this.url(path), { ...(signal ? { signal } : {}) }, 'text/event-stream');
    return {
      async *[Symbol.asyncIterator]() {
        const res = await open();
        if (!res.ok) throw toApiError(res, await readBody(res));
        if (!res.body) return;
        yield* parseEventStream(res.body, signal);
      },
    };
  }
}

/** Encodes one path segment. */
function seg(s: string): string {
  if (typeof s !== 'string' || s.length === 0) throw new JobfleetApiError(0, 'INVALID_ARGUMENT', 'An id or name is required.');
  return encodeURIComponent(s);
}

async function readBody(res: Response): Promise<unknown> {
  if (res.status === 204) return undefined;
  const text = await res.text();
  if (text === '') return undefined;
  const type = res.headers.get('content-type') ?? '';
  if (type.includes('json') || /^[[{"]/.test(text.trimStart())) {
    try {
      return JSON.parse(text) as unknown;
    } catch {
      return text;
    }
  }
  return text;
}

function toApiError(res: Response, body: unknown): JobfleetApiError {
  if (body && typeof body === 'object' && 'error' in body) {
    const e = (body as { error: unknown }).error;
    if (e && typeof e === 'object') {
      const { code, message, details } = e as { code?: unknown; message?: unknown; details?: unknown };
      return new JobfleetApiError(
        res.status,
        typeof code === 'string' ? code : httpCode(res.status),
        typeof message === 'string' ? message : `HTTP ${res.status} ${res.statusText}`.trim(),
        details,
      );
    }
    if (typeof e === 'string') {
      // Fastify's default shape: { statusCode, error: "Bad Request", message }.
      const m = (body as { message?: unknown }).message;
      const c = (body as { code?: unknown }).code;
      return new JobfleetApiError(res.status, typeof c === 'string' ? c : httpCode(res.status), typeof m === 'string' ? m : e);
    }
  }
  const text = typeof body === 'string' ? body.trim().slice(0, 200) : '';
  return new JobfleetApiError(
    res.status,
    httpCode(res.status),
    text ? `HTTP ${res.status}: ${text}` : `HTTP ${res.status} ${res.statusText}`.trim(),
  );
}

function httpCode(status: number): string {
  if (status === 400) return 'BAD_REQUEST';
  if (status === 401) return 'UNAUTHORIZED';
  if (status === 403) return 'FORBIDDEN';
  if (status === 404) return 'NOT_FOUND';
  if (status === 409) return 'CONFLICT';
  if (status === 429) return 'RATE_LIMITED';
  if (status >= 500) return 'SERVER_ERROR';
  return `HTTP_${status}`;
}

/** Accepts `{ [key]: T }` or T itself. */
function unwrap<T>(body: unknown, key: string): T {
  if (body && typeof body === 'object' && key in body && Object.keys(body).length <= 2) {
    return (body as Record<string, T>)[key] as T;
  }
  return body as T;
}

function unwrapList<T>(body: unknown, key: string): T[] {
  if (Array.isArray(body)) return body as T[];
  if (body && typeof body === 'object') {
    const v =
      (body as Record<string, unknown>)[key] ?? (body as Record<string, unknown>).items ?? (body as Record<string, unknown>).data;
    if (Array.isArray(v)) return v as T[];
  }
  return [];
}
