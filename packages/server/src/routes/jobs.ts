import type { FastifyPluginAsync } from 'fastify';
import { FINISHED, JobNotFoundError, type EnqueueOptions, type EnqueueSpec, type JobEvent, type JobStatus } from '@jobfleet/core';
import { ApiError, JOB_RECHECK_MS, ownerScope, type ServerDeps } from '../contracts.ts';
import { principalOf, requireScope, secured } from '../principal.ts';
import { errorResponses, errorSchema, idParams, jobSchema } from '../schemas.ts';
import { serializeJob } from '../serialize.ts';

export const MAX_BULK = 10_000;
const SSE_HEARTBEAT_MS = 15_000;

const enqueueSpecSchema = {
  type: 'object',
  properties: {
    type: { type: 'string', minLength: 1, maxLength: 200, description: 'The job type name.' },
    payload: { description: "Validated against the job type's payload schema." },
    options: {
      type: 'object',
      description: 'queue, priority, runAt, delay, maxAttempts, backoff, timeout, idempotencyKey, batchId, metadata.',
      additionalProperties: true,
    },
  },
  required: ['type'],
} as const;

const listQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', maxLength: 200, description: 'One state or a comma-separated list (QUEUED,RUNNING).' },
    type: { type: 'string', maxLength: 200 },
    queue: { type: 'string', maxLength: 64 },
    batchId: { type: 'string', maxLength: 64 },
    ownerId: { type: 'string', maxLength: 128, description: 'Admins only; members always see their own jobs.' },
    createdAfter: { type: 'string', maxLength: 64, description: 'ISO date-time.' },
    createdBefore: { type: 'string', maxLength: 64, description: 'ISO date-time.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 64, description: 'The nextCursor of the previous page.' },
  },
} as const;

export interface ListQuery {
  status?: string;
  type?: string;
  queue?: string;
  batchId?: string;
  ownerId?: string;
  createdAfter?: string;
  createdBefore?: string;
  limit?: number;
  cursor?: string;
}

const pageSchema = {
  type: 'object',
  properties: { jobs: { type: 'array', items: jobSchema }, nextCursor: { type: ['string', 'null'] } },
  required: ['jobs', 'nextCursor'],
} as const;

export function listFilter(q: ListQuery) {
  const date = (v: string | undefined) => (v === undefined ? undefined : new Date(v));
  return {
    status: q.status
      ? (q.status
          .split(',')
          .map((s) => s.trim().toUpperCase())
          .filter(Boolean) as JobStatus[])
      : undefined,
    type: q.type,
    queue: q.queue,
    batchId: q.batchId,
    ownerId: q.ownerId,
    createdAfter: date(q.createdAfter),
    createdBefore: date(q.createdBefore),
    limit: q.limit,
    cursor: q.cursor,
  };
}

/** Enqueue, inspect and administer jobs; follow one job live over Server-Sent Events. */
export const jobRoutes: FastifyPluginAsync<ServerDeps & { sseStreams?: Set<() => void> }> = async (app, deps) => {
  const { fleet } = deps;
  const streams = deps.sseStreams ?? new Set<() => void>();
  const read = requireScope('jobs:read');
  const write = requireScope('jobs:write');
  const tags = ['jobs'];

  /** The owner is always the caller: a client cannot enqueue in someone else's name. */
  const withOwner = (options: EnqueueOptions | undefined, ownerId: string, idempotencyKey?: string): EnqueueOptions => {
    if (options !== undefined && (typeof options !== 'object' || options === null || Array.isArray(options))) {
      throw new ApiError(400, 'VALIDATION_FAILED', 'options must be an object.', {
        issues: [{ path: 'body.options', message: 'must be object' }],
      });
    }
    const out: EnqueueOptions = { ...(options ?? {}), ownerId };
    if (idempotencyKey !== undefined && out.idempotencyKey === undefined) out.idempotencyKey = idempotencyKey;
    return out;
  };

  app.post<{ Body: EnqueueSpec; Headers: { 'idempotency-key'?: string } }>(
    '/jobs',
    {
      preHandler: write,
      schema: {
        tags,
        summary: 'Enqueue a job (201), or get the existing one when its idempotency key matches (200)',
        security: secured,
        headers: { type: 'object', properties: { 'idempotency-key': { type: 'string', minLength: 1, maxLength: 255 } } },
        body: enqueueSpecSchema,
        response: { 200: jobSchema, 201: jobSchema, 409: errorSchema, 413: errorSchema, 422: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const { type, payload, options } = request.body;
      const job = await fleet.client.enqueue(type, payload, withOwner(options, p.userId, request.headers['idempotency-key']));
      return reply.status(job.deduplicated ? 200 : 201).send(serializeJob(job));
    },
  );

  app.post<{ Body: { jobs: EnqueueSpec[] } }>(
    '/jobs/bulk',
    {
      preHandler: write,
      schema: {
        tags,
        summary: `Enqueue up to ${MAX_BULK} jobs at once; all are validated first, one bad job enqueues none`,
        security: secured,
        body: {
          type: 'object',
          properties: { jobs: { type: 'array', minItems: 1, maxItems: MAX_BULK, items: enqueueSpecSchema } },
          required: ['jobs'],
        },
        response: {
          201: { type: 'object', properties: { jobs: { type: 'array', items: jobSchema } }, required: ['jobs'] },
          413: errorSchema,
          422: errorSchema,
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const specs = request.body.jobs.map((s) => ({ type: s.type, payload: s.payload, options: withOwner(s.options, p.userId) }));
      const jobs = await fleet.client.enqueueMany(specs);
      return reply.status(201).send({ jobs: jobs.map(serializeJob) });
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/jobs',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'List jobs, newest first, with filters and a cursor',
        security: secured,
        querystring: listQuery,
        response: { 200: pageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const page = await fleet.client.list(listFilter(request.query), ownerScope(principalOf(request)));
      return { jobs: page.jobs.map(serializeJob), nextCursor: page.nextCursor };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      preHandler: read,
      schema: { tags, summary: 'One job', security: secured, params: idParams, response: { 200: jobSchema, ...errorResponses } },
    },
    async (request) => {
      const job = await fleet.client.get(request.params.id, ownerScope(principalOf(request)));
      if (!job) throw new JobNotFoundError(request.params.id);
      return serializeJob(job);
    },
  );

  const actions = [
    [
      'cancel',
      'Cancel a waiting job, or ask a running one to stop',
      (id: string, s: { ownerId?: string }) => fleet.client.cancel(id, s),
    ],
    [
      'retry',
      'Run a FAILED job now, or replay a DEAD or CANCELLED one',
      (id: string, s: { ownerId?: string }) => fleet.client.retry(id, s),
    ],
  ] as const;
  for (const [action, summary, run] of actions) {
    app.post<{ Params: { id: string } }>(
      `/jobs/:id/${action}`,
      {
        preHandler: write,
        schema: {
          tags,
          summary,
          security: secured,
          params: idParams,
          response: { 200: jobSchema, 409: errorSchema, ...errorResponses },
        },
      },
      async (request) => serializeJob(await run(request.params.id, ownerScope(principalOf(request)))),
    );
  }

  app.delete<{ Params: { id: string } }>(
    '/jobs/:id',
    {
      preHandler: write,
      schema: {
        tags,
        summary: 'Delete a job that is not running',
        security: secured,
        params: idParams,
        response: { 200: jobSchema, 409: errorSchema, ...errorResponses },
      },
    },
    async (request) => serializeJob(await fleet.client.delete(request.params.id, ownerScope(principalOf(request)))),
  );

  app.get<{ Params: { id: string } }>(
    '/jobs/:id/events',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'Follow a job (Server-Sent Events): its current state, then state/progress/log events until it finishes',
        description:
          'Events: `state` (first the current job, then each change), `progress`, `log`. The stream ends after COMPLETED, DEAD or CANCELLED. A `: heartbeat` comment is sent every 15 s.',
        security: secured,
        params: idParams,
        produces: ['text/event-stream'],
        response: { 200: { description: 'text/event-stream', type: 'string' }, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = ownerScope(principalOf(request));
      const id = request.params.id;
      const buffered: JobEvent[] = [];
      let forward: ((e: JobEvent, fromDatabase?: boolean) => void) | null = null;
      const unsubscribe = fleet.events.subscribe((e) => {
        if (e.jobId !== id) return;
        if (forward) forward(e);
        else buffered.push(e);
      });
      let job;
      try {
        job = await fleet.client.get(id, scope);
      } catch (err) {
        unsubscribe();
        throw err;
      }
      if (!job) {
        unsubscribe();
        throw new JobNotFoundError(id);
      }

      reply.hijack();
      const raw = reply.raw;
      const headers: Record<string, string | number | string[]> = {};
      for (const [k, v] of Object.entries(reply.getHeaders())) if (v !== undefined) headers[k] = v as string | number | string[];
      raw.writeHead(200, {
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      let seq = 0;
      let closed = false;
      const send = (event: string, data: unknown) => {
        if (!closed) raw.write(`id: ${++seq}\nevent: ${event}\ndata: ${JSON.stringify(data)}\n\n`);
      };
      const heartbeat = setInterval(() => {
        if (!closed) raw.write(': heartbeat\n\n');
      }, SSE_HEARTBEAT_MS);
      heartbeat.unref();
      let recheck: NodeJS.Timeout | null = null;
      const close = () => {
        if (closed) return;
        closed = true;
        unsubscribe();
        clearInterval(heartbeat);
        if (recheck) clearInterval(recheck);
        streams.delete(close);
        raw.end();
      };
      streams.add(close);
      request.raw.on('close', close);
      raw.on('error', close);

      raw.write('retry: 3000\n\n');
      const snapshot = serializeJob(job);
      send('state', {
        kind: 'state',
        jobId: job.id,
        type: job.type,
        queue: job.queue,
        status: job.status,
        ownerId: job.ownerId,
        attempt: job.attempts,
        at: new Date().toISOString(),
        job: snapshot,
      });
      if (FINISHED.includes(job.status)) return close();

      // Events are written in order; a finishing event carries the final job (result or error) and ends the stream.
      let chain: Promise<void> = Promise.resolve();
      let lastStatus = job.status;
      let lastAttempt = job.attempts;
      forward = (e, fromDatabase = false) => {
        if (e.kind === 'state') {
          // The same state twice in a row (an event and the re-read below both saw it) is sent once.
          if (e.status === lastStatus) return;
          // Events from different processes can cross (an enqueuer's QUEUED after the worker's RUNNING):
          // an earlier attempt's event never replaces a live job's later state. A finished job that moves on
          // was replayed or retried by hand, which may reset its attempts. The re-read is the truth and
          // always passes: a worker that shuts down hands its job back with the attempt uncounted, and that
          // QUEUED reaches the stream from there.
          const stale = e.attempt !== undefined && e.attempt < lastAttempt && !FINISHED.includes(lastStatus);
          if (stale && !fromDatabase) return;
          lastStatus = e.status;
          lastAttempt = e.attempt ?? lastAttempt;
        }
        chain = chain.then(async () => {
          if (closed) return;
          if (e.kind === 'state' && FINISHED.includes(e.status)) {
            const final = await fleet.client.get(id, scope).catch(() => null);
            send('state', { ...e, job: final ? serializeJob(final) : undefined });
            close();
          } else {
            send(e.kind, e);
          }
        });
      };
      // Events raised while the snapshot was read (the one the snapshot already shows is skipped above).
      for (const e of buffered) forward(e);
      // A lost notification (relay error, a restart) must delay the stream, never strand it: the database
      // stays the truth, so a changed state is sent from it.
      recheck = setInterval(() => {
        fleet.client
          .get(id, scope)
          .then((now) => {
            if (!closed && now && now.status !== lastStatus && forward) {
              forward(
                {
                  kind: 'state',
                  jobId: now.id,
                  type: now.type,
                  queue: now.queue,
                  status: now.status,
                  ownerId: now.ownerId,
                  attempt: now.attempts,
                  at: new Date().toISOString(),
                },
                true,
              );
            }
          })
          .catch(() => {});
      }, JOB_RECHECK_MS);
      recheck.unref();
    },
  );
};
