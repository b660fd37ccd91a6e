import type { FastifyPluginAsync } from 'fastify';
import { ownerScope, type ServerDeps } from '../contracts.ts';
import { emptyBody } from './auth.ts';
import { principalOf, requireScope, secured } from '../principal.ts';
import { dispatchSchema, errorResponses, jobSchema, jobTypeSchema, queueSchema, uuid } from '../schemas.ts';
import { serializeJob } from '../serialize.ts';
import { dispatchInfo } from '../dispatch-info.ts';

const nameParams = {
  type: 'object',
  properties: { name: { type: 'string', minLength: 1, maxLength: 64 } },
  required: ['name'],
} as const;

/** Queues (counts, pause/resume), job types and dead letters. */
export const queueRoutes: FastifyPluginAsync<ServerDeps> = async (app, { fleet }) => {
  const read = requireScope('jobs:read');
  const write = requireScope('jobs:write');
  const admin = requireScope('admin');

  app.get(
    '/job-types',
    {
      preHandler: read,
      schema: {
        tags: ['job-types'],
        summary: 'Job types known here or published by live workers, with their payload schema and live worker count',
        security: secured,
        response: {
          200: { type: 'object', properties: { jobTypes: { type: 'array', items: jobTypeSchema } } },
          ...errorResponses,
        },
      },
    },
    async () => ({ jobTypes: await fleet.client.jobTypes() }),
  );

  app.get(
    '/queues',
    {
      preHandler: read,
      schema: {
        tags: ['queues'],
        summary: 'Queues with job counts by state; with RabbitMQ dispatch, also the outbox and the broker’s depth and consumers',
        security: secured,
        response: {
          200: {
            type: 'object',
            properties: { queues: { type: 'array', items: queueSchema }, dispatch: dispatchSchema },
          },
          ...errorResponses,
        },
      },
    },
    async () => {
      const queues = await fleet.client.queues();
      const dispatch = await dispatchInfo(
        fleet,
        queues.map((q) => q.name),
      );
      return { queues, dispatch };
    },
  );

  for (const [action, paused] of [
    ['pause', true],
    ['resume', false],
  ] as const) {
    app.post<{ Params: { name: string } }>(
      `/queues/:name/${action}`,
      {
        preHandler: admin,
        schema: {
          tags: ['queues'],
          summary: paused ? 'Pause a queue: workers stop claiming from it' : 'Resume a queue',
          security: secured,
          params: nameParams,
          response: { 200: queueSchema, ...errorResponses },
        },
      },
      async (request) => {
        const name = request.params.name;
        if (paused) await fleet.client.pauseQueue(name);
        else await fleet.client.resumeQueue(name);
        const info = (await fleet.client.queues()).find((q) => q.name === name);
        return info ?? { name, paused, counts: {} };
      },
    );
  }

  app.get<{ Querystring: { type?: string; queue?: string; limit?: number; cursor?: string } }>(
    '/dead-letters',
    {
      preHandler: read,
      schema: {
        tags: ['dead-letters'],
        summary: 'Jobs that exhausted their attempts (DEAD), newest first',
        security: secured,
        querystring: {
          type: 'object',
          properties: {
            type: { type: 'string', maxLength: 200 },
            queue: { type: 'string', maxLength: 64 },
            limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
            cursor: { type: 'string', maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { jobs: { type: 'array', items: jobSchema }, nextCursor: { type: ['string', 'null'] } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const q = request.query;
      const page = await fleet.client.list(
        { status: 'DEAD', type: q.type, queue: q.queue, limit: q.limit, cursor: q.cursor },
        ownerScope(principalOf(request)),
      );
      return { jobs: page.jobs.map(serializeJob), nextCursor: page.nextCursor };
    },
  );

  app.post<{ Body: { ids?: string[]; type?: string; queue?: string } | undefined }>(
    '/dead-letters/replay',
    {
      preValidation: emptyBody,
      preHandler: write,
      schema: {
        tags: ['dead-letters'],
        summary:
          'Replay dead letters with fresh attempts: the given ids, or all matching type/queue (all of yours with an empty body)',
        security: secured,
        body: {
          type: 'object',
          properties: {
            ids: { type: 'array', maxItems: 10_000, items: uuid },
            type: { type: 'string', minLength: 1, maxLength: 200 },
            queue: { type: 'string', minLength: 1, maxLength: 64 },
          },
        },
        response: {
          200: {
            type: 'object',
            properties: { replayed: { type: 'integer' }, ids: { type: 'array', items: { type: 'string' } } },
          },
          ...errorResponses,
        },
      },
    },
    async (request) => fleet.client.replayDead(request.body ?? {}, ownerScope(principalOf(request))),
  );
};
