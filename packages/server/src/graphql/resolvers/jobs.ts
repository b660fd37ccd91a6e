/**
 * Job types and jobs: jobTypes, jobType, jobs, job, executeJob, cancelJob, retryJob.
 *
 * Naming choice: seed 000's `jobs(jobsFilter)` listed the available job *types* (what the seeds call
 * "jobs"), while the rest of the API says "job" for a submitted instance. Here `jobTypes(filter)` lists
 * job types and `jobs(filter | jobsFilter, first, after)` pages through submitted jobs; `jobsFilter` is
 * kept as an accepted argument name so seed-shaped queries still parse.
 */
import type { EnqueueOptions, Job, JobStatus, JobTypeInfo, ListJobsFilter } from '@jobfleet/core';
import type { IResolvers } from 'mercurius';
import { ownerScope, type ServerDeps } from '../../contracts.ts';
import { requireScope, type GqlContext } from '../context.ts';
import { invalid, notFound } from '../errors.ts';
import { compact, exactlyOne, iso, parseDate } from './util.ts';

interface JobsFilterInput {
  status?: JobStatus[] | null;
  type?: string | null;
  name?: string | null;
  queue?: string | null;
  ownerId?: string | null;
  batchId?: string | null;
  createdAfter?: string | null;
  createdBefore?: string | null;
}

interface JobTypesFilterInput {
  name?: string | null;
  queue?: string | null;
  search?: string | null;
}

interface JobOptionsInput {
  queue?: string | null;
  priority?: number | null;
  delay?: number | null;
  runAt?: string | null;
  maxAttempts?: number | null;
  timeout?: number | null;
  idempotencyKey?: string | null;
  metadata?: unknown;
}

interface ExecuteJobInput {
  name: string;
  data?: unknown;
  options?: JobOptionsInput | null;
}

const MAX_NAME = 200;

function toListFilter(f: JobsFilterInput | null | undefined): ListJobsFilter {
  const out: ListJobsFilter = {};
  if (!f) return out;
  if (f.type != null && f.name != null && f.type !== f.name) throw invalid('filter: give type or name, not two different ones.');
  const type = f.type ?? f.name;
  if (type != null) out.type = type;
  if (f.status != null && f.status.length > 0) out.status = f.status;
  if (f.queue != null) out.queue = f.queue;
  if (f.ownerId != null) out.ownerId = f.ownerId;
  if (f.batchId != null) out.batchId = f.batchId;
  if (f.createdAfter != null) out.createdAfter = parseDate(f.createdAfter, 'createdAfter');
  if (f.createdBefore != null) out.createdBefore = parseDate(f.createdBefore, 'createdBefore');
  return out;
}

function toEnqueueOptions(o: JobOptionsInput | null | undefined, ownerId: string): EnqueueOptions {
  const c = compact({ ...(o ?? {}) });
  const opts: EnqueueOptions = { ...c, ownerId } as EnqueueOptions;
  if (c.runAt !== undefined) opts.runAt = parseDate(c.runAt, 'options.runAt');
  if (c.metadata !== undefined && (typeof c.metadata !== 'object' || Array.isArray(c.metadata))) {
    throw invalid('options.metadata must be a JSON object.');
  }
  return opts;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function jobsResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  const client = deps.fleet.client;

  /** With no data given, a job type whose schema refuses null but accepts {} (defaults) gets {}. */
  async function defaultPayload(type: string): Promise<unknown> {
    const resolved = await client.catalog.resolve(type);
    if (resolved && resolved.validate(null) && !resolved.validate({})) return {};
    return undefined;
  }

  return {
    Job: {
      name: (j: Job) => j.type,
      description: async (j: Job) => (await client.catalog.resolve(j.type))?.info.description ?? null,
      runAt: (j: Job) => iso(j.runAt),
      createdAt: (j: Job) => iso(j.createdAt),
      updatedAt: (j: Job) => iso(j.updatedAt),
      startedAt: (j: Job) => iso(j.startedAt),
      finishedAt: (j: Job) => iso(j.finishedAt),
      errors: (j: Job) => j.errors ?? [],
    },
    JobType: {
      lastSeenAt: (t: JobTypeInfo) => iso(t.lastSeenAt),
    },
    Query: {
      jobTypes: async (_: unknown, args: { filter?: JobTypesFilterInput | null }, ctx: GqlContext) => {
        requireScope(ctx, 'jobs:read');
        const f = args.filter ?? {};
        const search = f.search?.toLowerCase();
        return (await client.jobTypes()).filter(
          (t) =>
            (f.name == null || t.name === f.name) &&
            (f.queue == null || t.queue === f.queue) &&
            (!search || t.name.toLowerCase().includes(search) || (t.description ?? '').toLowerCase().includes(search)),
        );
      },
      jobType: async (_: unknown, args: { name: string }, ctx: GqlContext) => {
        requireScope(ctx, 'jobs:read');
        if (args.name.length > MAX_NAME) return null;
        return (await client.catalog.resolve(args.name))?.info ?? null;
      },
      jobs: async (
        _: unknown,
        args: {
          filter?: JobsFilterInput | null;
          jobsFilter?: JobsFilterInput | null;
          first?: number | null;
          after?: string | null;
        },
        ctx: GqlContext,
      ) => {
        const p = requireScope(ctx, 'jobs:read');
        if (args.filter != null && args.jobsFilter != null) throw invalid('jobs: give filter or jobsFilter, not both.');
        const filter = toListFilter(args.filter ?? args.jobsFilter);
        if (args.first != null) filter.limit = args.first;
        if (args.after != null) filter.cursor = args.after;
        const page = await client.list(filter, ownerScope(p));
        return { nodes: page.jobs, nextCursor: page.nextCursor };
      },
      job: async (_: unknown, args: { id: string }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'jobs:read');
        const job = await client.get(args.id, ownerScope(p));
        if (!job) throw notFound(`Job "${args.id.slice(0, 100)}"`);
        return job;
      },
    },
    Mutation: {
      executeJob: async (
        _: unknown,
        args: {
          input?: ExecuteJobInput | null;
          executeJobInput?: ExecuteJobInput | null;
          jobName?: string | null;
          data?: unknown;
        },
        ctx: GqlContext,
      ) => {
        const p = requireScope(ctx, 'jobs:write');
        const spec = exactlyOne<ExecuteJobInput>(
          {
            input: args.input,
            executeJobInput: args.executeJobInput,
            jobName: args.jobName == null ? undefined : { name: args.jobName, data: args.data },
          },
          'executeJob',
        );
        if (args.jobName == null && args.data !== undefined)
          throw invalid('executeJob: the data argument goes with jobName; otherwise use input.data.');
        if (spec.name.length === 0 || spec.name.length > MAX_NAME)
          throw invalid(`executeJob: name must be 1 to ${MAX_NAME} characters.`);
        // data passes through unchanged (a JSON string stays a string): the job type's schema decides.
        const payload = spec.data === undefined || spec.data === null ? await defaultPayload(spec.name) : spec.data;
        return client.enqueue(spec.name, payload, toEnqueueOptions(spec.options, p.userId));
      },
      cancelJob: (_: unknown, args: { id: string }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'jobs:write');
        return client.cancel(args.id, ownerScope(p));
      },
      retryJob: (_: unknown, args: { id: string }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'jobs:write');
        return client.retry(args.id, ownerScope(p));
      },
    },
  };
}
