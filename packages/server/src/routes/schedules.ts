/**
 * Cron schedules over REST: create, list, read, change, pause/resume (isActive), delete, run now, and the
 * jobs a schedule enqueued. Seed 003's body `{ name, description, schedule, isActive }` is accepted as is
 * (`schedule` is the cron expression, `cron` its other spelling); every response carries `lastRun` and
 * `nextRun`. Members see and change their own schedules only, admins all of them (404 otherwise).
 * Validation happens before anything is stored: the JSON schemas below check shapes and sizes (400
 * VALIDATION_FAILED), the engine checks the cron rule (400 INVALID_CRON, naming the faulty field), the
 * time zone (400 INVALID_TIMEZONE), the job type (422 UNKNOWN_JOB_TYPE) and its payload (422 INVALID_PAYLOAD).
 */
import type { FastifyPluginAsync } from 'fastify';
import {
  ScheduleNotFoundError,
  ScheduleService,
  type JobStatus,
  type ListSchedulesFilter,
  type Schedule,
  type ScheduleInput,
  type ScheduleUpdate,
} from '@jobfleet/core';
import { ApiError, ownerScope, type ServerDeps } from '../contracts.ts';
import { principalOf, requireScope, secured } from '../principal.ts';
import { errorResponses, errorSchema, idParams, jobSchema } from '../schemas.ts';
import { serializeJob } from '../serialize.ts';

const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const scheduleSchema = {
  type: 'object',
  description:
    'A cron schedule. `schedule` and `cron` are the same expression (seed 003 calls it `schedule`). `lastRun` is when it last fired (null before the first run), `nextRun` when it fires next (null while paused).',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    description: nullableString,
    schedule: { type: 'string', description: 'The cron expression.' },
    cron: { type: 'string', description: 'The cron expression (same as schedule).' },
    timezone: { type: 'string' },
    jobType: { type: 'string' },
    payload: {},
    options: { type: 'object', additionalProperties: true },
    isActive: { type: 'boolean' },
    overlap: { type: 'string', enum: ['allow', 'skip'] },
    missedRuns: { type: 'string', enum: ['skip', 'once', 'all'] },
    maxCatchUp: { type: 'integer' },
    lastRun: nullableDateTime,
    nextRun: nullableDateTime,
    lastError: nullableString,
    ownerId: nullableString,
    source: { type: 'string', enum: ['api', 'code'] },
    createdAt: dateTime,
    updatedAt: dateTime,
  },
  required: ['id', 'name', 'schedule', 'cron', 'timezone', 'jobType', 'isActive', 'lastRun', 'nextRun', 'createdAt'],
} as const;

/** The fields of a schedule definition, with the engine's limits (so that oversized input fails early, in words). */
const definitionProperties = {
  name: { type: 'string', minLength: 1, maxLength: 200 },
  description: { type: ['string', 'null'], maxLength: 2000 },
  schedule: {
    type: 'string',
    minLength: 1,
    maxLength: 200,
    description: 'Cron expression: 5 fields (minute hour day-of-month month day-of-week), 6 (seconds first) or @hourly …',
  },
  cron: { type: 'string', minLength: 1, maxLength: 200, description: 'Same as schedule; give one of the two.' },
  timezone: { type: 'string', minLength: 1, maxLength: 64, description: 'IANA time zone, default UTC.' },
  jobType: {
    type: 'string',
    minLength: 1,
    maxLength: 128,
    description: 'The job type to enqueue; default the built-in jobfleet.schedule-tick.',
  },
  payload: { description: "Validated against the job type's payload schema." },
  options: {
    type: 'object',
    additionalProperties: true,
    description: 'Enqueue options for each job: queue, priority, maxAttempts, backoff, timeout, metadata.',
  },
  isActive: { type: 'boolean', description: 'Default true; false creates it paused.' },
  overlap: { type: 'string', enum: ['allow', 'skip'], description: 'skip: no new job while the previous one is unfinished.' },
  missedRuns: {
    type: 'string',
    enum: ['skip', 'once', 'all'],
    description: 'What to do with fire times missed while no scheduler ran (default once).',
  },
  maxCatchUp: { type: 'integer', minimum: 1, maximum: 10_000 },
} as const;

const createBody = {
  type: 'object',
  properties: {
    ...definitionProperties,
    ownerId: { type: 'string', minLength: 1, maxLength: 128, description: 'Admins only: create it for this user.' },
  },
  required: ['name'],
} as const;

const updateBody = { type: 'object', properties: definitionProperties, minProperties: 1 } as const;

const listQuery = {
  type: 'object',
  properties: {
    isActive: { type: 'boolean' },
    source: { type: 'string', enum: ['api', 'code'] },
    jobType: { type: 'string', maxLength: 128 },
    name: { type: 'string', maxLength: 200 },
    ownerId: { type: 'string', maxLength: 128, description: 'Admins only; members always see their own schedules.' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 64, description: 'The nextCursor of the previous page.' },
  },
} as const;

const runsQuery = {
  type: 'object',
  properties: {
    status: { type: 'string', maxLength: 200, description: 'One state or a comma-separated list (COMPLETED,FAILED).' },
    limit: { type: 'integer', minimum: 1, maximum: 500, default: 50 },
    cursor: { type: 'string', maxLength: 64 },
  },
} as const;

const previewBody = {
  type: 'object',
  properties: {
    cron: definitionProperties.cron,
    schedule: definitionProperties.schedule,
    timezone: definitionProperties.timezone,
    count: { type: 'integer', minimum: 1, maximum: 100, default: 5 },
  },
} as const;

const pageSchema = {
  type: 'object',
  properties: { schedules: { type: 'array', items: scheduleSchema }, nextCursor: { type: ['string', 'null'] } },
  required: ['schedules', 'nextCursor'],
} as const;

const runsPageSchema = {
  type: 'object',
  properties: {
    jobs: { type: 'array', items: jobSchema },
    nextCursor: { type: ['string', 'null'] },
    schedule: { ...scheduleSchema, description: 'The schedule, with its lastRun and nextRun.' },
  },
  required: ['jobs', 'nextCursor', 'schedule'],
} as const;

/** The job enqueued by a trigger, with the schedule it came from (its lastRun is now). */
const triggeredSchema = {
  ...jobSchema,
  properties: {
    ...jobSchema.properties,
    schedule: { ...scheduleSchema, description: 'The schedule, with its lastRun and nextRun.' },
  },
} as const;

/** A schedule for the API: dates as ISO strings, the cron rule under both `schedule` (seed 003) and `cron`. */
export function serializeSchedule(s: Schedule) {
  return {
    id: s.id,
    name: s.name,
    description: s.description,
    schedule: s.cron,
    cron: s.cron,
    timezone: s.timezone,
    jobType: s.jobType,
    payload: s.payload,
    options: s.options,
    isActive: s.isActive,
    overlap: s.overlap,
    missedRuns: s.missedRuns,
    maxCatchUp: s.maxCatchUp,
    lastRun: s.lastRun ? s.lastRun.toISOString() : null,
    // A paused schedule does not fire: no next run (the engine keeps the old next_run while paused).
    nextRun: s.isActive && s.nextRun ? s.nextRun.toISOString() : null,
    lastError: s.lastError,
    ownerId: s.ownerId,
    source: s.source,
    createdAt: s.createdAt.toISOString(),
    updatedAt: s.updatedAt.toISOString(),
  };
}

type ListQuery = Omit<ListSchedulesFilter, 'source'> & { source?: 'api' | 'code' };
interface RunsQuery {
  status?: string;
  limit?: number;
  cursor?: string;
}

export const scheduleRoutes: FastifyPluginAsync<ServerDeps> = async (app, deps) => {
  const service = new ScheduleService(deps.fleet);
  const read = requireScope('schedules:read');
  const write = requireScope('schedules:write');
  const tags = ['schedules'];

  app.post<{ Body: ScheduleInput }>(
    '/schedules',
    {
      preHandler: write,
      schema: {
        tags,
        summary: 'Create a schedule (seed 003 body: { name, description, schedule, isActive })',
        security: secured,
        body: createBody,
        response: { 201: scheduleSchema, 409: errorSchema, 413: errorSchema, 422: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const p = principalOf(request);
      const scope = ownerScope(p);
      // A member's schedules are always theirs (the scope wins); an admin's are theirs unless ownerId names another user.
      const input: ScheduleInput = scope.ownerId ? request.body : { ...request.body, ownerId: request.body.ownerId ?? p.userId };
      const created = await service.create(input, scope);
      return reply.status(201).send(serializeSchedule(created));
    },
  );

  app.get<{ Querystring: ListQuery }>(
    '/schedules',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'List schedules, oldest first, with filters and a cursor',
        security: secured,
        querystring: listQuery,
        response: { 200: pageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const page = await service.list(request.query, ownerScope(principalOf(request)));
      return { schedules: page.schedules.map(serializeSchedule), nextCursor: page.nextCursor };
    },
  );

  app.post<{ Body: { cron?: string; schedule?: string; timezone?: string; count?: number } }>(
    '/schedules/preview',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'The next fire times of a cron expression (checks it without storing anything)',
        security: secured,
        body: previewBody,
        response: {
          200: {
            type: 'object',
            properties: { cron: { type: 'string' }, timezone: { type: 'string' }, nextRuns: { type: 'array', items: dateTime } },
            required: ['nextRuns'],
          },
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { cron, schedule, timezone = 'UTC', count = 5 } = request.body ?? {};
      const expression = cron ?? schedule;
      if (expression === undefined) {
        throw new ApiError(
          400,
          'VALIDATION_FAILED',
          'Invalid request: body.cron is required (a cron expression such as "0 9 * * *").',
          {
            issues: [{ path: 'body.cron', message: 'is required' }],
          },
        );
      }
      const times = ScheduleService.preview(expression, timezone, count);
      return { cron: expression, timezone, nextRuns: times.map((d) => d.toISOString()) };
    },
  );

  app.get<{ Params: { id: string } }>(
    '/schedules/:id',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'One schedule',
        security: secured,
        params: idParams,
        response: { 200: scheduleSchema, ...errorResponses },
      },
    },
    async (request) => {
      const s = await service.get(request.params.id, ownerScope(principalOf(request)));
      if (!s) throw new ScheduleNotFoundError(request.params.id);
      return serializeSchedule(s);
    },
  );

  app.patch<{ Params: { id: string }; Body: ScheduleUpdate }>(
    '/schedules/:id',
    {
      preHandler: write,
      schema: {
        tags,
        summary: 'Change some fields (isActive: false pauses, true resumes); a new cron rule restarts the timetable from now',
        security: secured,
        params: idParams,
        body: updateBody,
        response: { 200: scheduleSchema, 409: errorSchema, 413: errorSchema, 422: errorSchema, ...errorResponses },
      },
    },
    async (request) => serializeSchedule(await service.update(request.params.id, request.body, ownerScope(principalOf(request)))),
  );

  app.delete<{ Params: { id: string } }>(
    '/schedules/:id',
    {
      preHandler: write,
      schema: {
        tags,
        summary: 'Delete a schedule (the jobs it enqueued stay); returns the deleted schedule',
        security: secured,
        params: idParams,
        response: { 200: scheduleSchema, 409: errorSchema, ...errorResponses },
      },
    },
    async (request) => serializeSchedule(await service.delete(request.params.id, ownerScope(principalOf(request)))),
  );

  for (const [action, summary] of [
    ['pause', 'Pause a schedule (same as PATCH { isActive: false })'],
    ['resume', 'Resume a schedule; fire times missed while paused are not caught up'],
  ] as const) {
    app.post<{ Params: { id: string } }>(
      `/schedules/:id/${action}`,
      {
        preHandler: write,
        schema: { tags, summary, security: secured, params: idParams, response: { 200: scheduleSchema, ...errorResponses } },
      },
      async (request) => {
        const scope = ownerScope(principalOf(request));
        const s =
          action === 'pause' ? await service.pause(request.params.id, scope) : await service.resume(request.params.id, scope);
        return serializeSchedule(s);
      },
    );
  }

  app.post<{ Params: { id: string } }>(
    '/schedules/:id/trigger',
    {
      preHandler: write,
      schema: {
        tags,
        summary: "Run now: enqueue one job of the schedule at once (its timetable doesn't change)",
        security: secured,
        params: idParams,
        response: { 201: triggeredSchema, 422: errorSchema, ...errorResponses },
      },
    },
    async (request, reply) => {
      const scope = ownerScope(principalOf(request));
      const job = await service.trigger(request.params.id, scope);
      const schedule = await service.get(request.params.id, scope);
      return reply.status(201).send({ ...serializeJob(job), ...(schedule ? { schedule: serializeSchedule(schedule) } : {}) });
    },
  );

  app.get<{ Params: { id: string }; Querystring: RunsQuery }>(
    '/schedules/:id/runs',
    {
      preHandler: read,
      schema: {
        tags,
        summary: 'The jobs the schedule enqueued (by cron or trigger), newest first',
        security: secured,
        params: idParams,
        querystring: runsQuery,
        response: { 200: runsPageSchema, ...errorResponses },
      },
    },
    async (request) => {
      const q = request.query;
      const status = q.status
        ? (q.status
            .split(',')
            .map((s) => s.trim().toUpperCase())
            .filter(Boolean) as JobStatus[])
        : undefined;
      const scope = ownerScope(principalOf(request));
      const schedule = await service.get(request.params.id, scope);
      if (!schedule) throw new ScheduleNotFoundError(request.params.id);
      const page = await service.runs(schedule.id, { status, limit: q.limit, cursor: q.cursor }, scope);
      return { schedule: serializeSchedule(schedule), jobs: page.jobs.map(serializeJob), nextCursor: page.nextCursor };
    },
  );
};
