/**
 * Cron schedules: schedules, schedule, scheduleRuns, previewSchedule, createSchedule, updateSchedule,
 * pauseSchedule, resumeSchedule, triggerSchedule, deleteSchedule. The same ScheduleService as REST and
 * the CLI: members see and change their own schedules, admins all; nothing is stored unless the whole
 * definition is valid. Engine errors reach clients with extensions.code (INVALID_CRON, INVALID_TIMEZONE,
 * UNKNOWN_JOB_TYPE, INVALID_PAYLOAD, VALIDATION_FAILED, NOT_FOUND, SCHEDULE_NAME_TAKEN, SCHEDULE_READ_ONLY).
 */
import {
  ScheduleNotFoundError,
  ScheduleService,
  type JobStatus,
  type ListSchedulesFilter,
  type MissedRunPolicy,
  type OverlapPolicy,
  type Schedule,
  type ScheduleInput,
  type ScheduleJobOptions,
  type ScheduleUpdate,
} from '@jobfleet/core';
import type { IResolvers } from 'mercurius';
import { ownerScope, type ServerDeps } from '../../contracts.ts';
import { requireScope, type GqlContext } from '../context.ts';
import { invalid } from '../errors.ts';
import { iso } from './util.ts';

type Upper<T extends string> = Uppercase<T>;

interface ScheduleFieldsInput {
  name?: string | null;
  description?: string | null;
  schedule?: string | null;
  cron?: string | null;
  timezone?: string | null;
  jobType?: string | null;
  payload?: unknown;
  options?: unknown;
  isActive?: boolean | null;
  overlap?: Upper<OverlapPolicy> | null;
  missedRuns?: Upper<MissedRunPolicy> | null;
  maxCatchUp?: number | null;
}

interface CreateScheduleInput extends ScheduleFieldsInput {
  name: string;
  ownerId?: string | null;
}

interface SchedulesFilterInput {
  isActive?: boolean | null;
  jobType?: string | null;
  name?: string | null;
  ownerId?: string | null;
  source?: 'API' | 'CODE' | null;
}

/**
 * GraphQL input → the engine's shape. Omitted and null fields are left out (the engine's defaults, or the
 * current value on update), except description, where null clears it.
 */
function toDefinition(i: ScheduleFieldsInput): ScheduleUpdate {
  const out: ScheduleUpdate = {};
  if (i.name != null) out.name = i.name;
  if (i.description !== undefined) out.description = i.description;
  if (i.schedule != null) out.schedule = i.schedule;
  if (i.cron != null) out.cron = i.cron;
  if (i.timezone != null) out.timezone = i.timezone;
  if (i.jobType != null) out.jobType = i.jobType;
  if (i.payload !== undefined && i.payload !== null) out.payload = i.payload;
  if (i.options != null) {
    if (typeof i.options !== 'object' || Array.isArray(i.options)) throw invalid('options must be a JSON object.');
    out.options = i.options as ScheduleJobOptions;
  }
  if (i.isActive != null) out.isActive = i.isActive;
  if (i.overlap != null) out.overlap = i.overlap.toLowerCase() as OverlapPolicy;
  if (i.missedRuns != null) out.missedRuns = i.missedRuns.toLowerCase() as MissedRunPolicy;
  if (i.maxCatchUp != null) out.maxCatchUp = i.maxCatchUp;
  return out;
}

function toListFilter(f: SchedulesFilterInput | null | undefined): ListSchedulesFilter {
  const out: ListSchedulesFilter = {};
  if (!f) return out;
  if (f.isActive != null) out.isActive = f.isActive;
  if (f.jobType != null) out.jobType = f.jobType;
  if (f.name != null) out.name = f.name;
  if (f.ownerId != null) out.ownerId = f.ownerId;
  if (f.source != null) out.source = f.source === 'CODE' ? 'code' : 'api';
  return out;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function schedulesResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  const service = new ScheduleService(deps.fleet);

  return {
    Schedule: {
      schedule: (s: Schedule) => s.cron,
      overlap: (s: Schedule) => s.overlap.toUpperCase(),
      missedRuns: (s: Schedule) => s.missedRuns.toUpperCase(),
      source: (s: Schedule) => s.source.toUpperCase(),
      lastRun: (s: Schedule) => iso(s.lastRun),
      // A paused schedule does not fire: no next run (the engine keeps the old next_run while paused).
      nextRun: (s: Schedule) => (s.isActive ? iso(s.nextRun) : null),
      createdAt: (s: Schedule) => iso(s.createdAt),
      updatedAt: (s: Schedule) => iso(s.updatedAt),
      upcoming: (s: Schedule, args: { count?: number | null }) =>
        ScheduleService.preview(s.cron, s.timezone, args.count ?? 5).map((d) => d.toISOString()),
    },
    Query: {
      schedules: async (
        _: unknown,
        args: { filter?: SchedulesFilterInput | null; first?: number | null; after?: string | null },
        ctx: GqlContext,
      ) => {
        const p = requireScope(ctx, 'schedules:read');
        const filter = toListFilter(args.filter);
        if (args.first != null) filter.limit = args.first;
        if (args.after != null) filter.cursor = args.after;
        const page = await service.list(filter, ownerScope(p));
        return { nodes: page.schedules, nextCursor: page.nextCursor };
      },
      schedule: async (_: unknown, args: { id: string }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'schedules:read');
        const s = await service.get(args.id, ownerScope(p));
        if (!s) throw new ScheduleNotFoundError(args.id.slice(0, 100));
        return s;
      },
      scheduleRuns: async (
        _: unknown,
        args: { id: string; status?: JobStatus[] | null; first?: number | null; after?: string | null },
        ctx: GqlContext,
      ) => {
        const p = requireScope(ctx, 'schedules:read');
        const page = await service.runs(
          args.id,
          {
            ...(args.status != null && args.status.length > 0 ? { status: args.status } : {}),
            ...(args.first != null ? { limit: args.first } : {}),
            ...(args.after != null ? { cursor: args.after } : {}),
          },
          ownerScope(p),
        );
        return { nodes: page.jobs, nextCursor: page.nextCursor };
      },
      previewSchedule: (_: unknown, args: { cron: string; timezone?: string | null; count?: number | null }, ctx: GqlContext) => {
        requireScope(ctx, 'schedules:read');
        return ScheduleService.preview(args.cron, args.timezone ?? 'UTC', args.count ?? 5).map((d) => d.toISOString());
      },
    },
    Mutation: {
      createSchedule: async (_: unknown, args: { input: CreateScheduleInput }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'schedules:write');
        const scope = ownerScope(p);
        const input = { ...toDefinition(args.input), name: args.input.name } as ScheduleInput;
        // A member's schedules are always theirs; an admin's are theirs unless ownerId names another user.
        if (!scope.ownerId) input.ownerId = args.input.ownerId ?? p.userId;
        return service.create(input, scope);
      },
      updateSchedule: async (_: unknown, args: { id: string; input: ScheduleFieldsInput }, ctx: GqlContext) => {
        const p = requireScope(ctx, 'schedules:write');
        const patch = toDefinition(args.input);
        if (Object.keys(patch).length === 0) throw invalid('updateSchedule: input changes nothing; give at least one field.');
        return service.update(args.id, patch, ownerScope(p));
      },
      pauseSchedule: (_: unknown, args: { id: string }, ctx: GqlContext) =>
        service.pause(args.id, ownerScope(requireScope(ctx, 'schedules:write'))),
      resumeSchedule: (_: unknown, args: { id: string }, ctx: GqlContext) =>
        service.resume(args.id, ownerScope(requireScope(ctx, 'schedules:write'))),
      triggerSchedule: (_: unknown, args: { id: string }, ctx: GqlContext) =>
        service.trigger(args.id, ownerScope(requireScope(ctx, 'schedules:write'))),
      deleteSchedule: (_: unknown, args: { id: string }, ctx: GqlContext) =>
        service.delete(args.id, ownerScope(requireScope(ctx, 'schedules:write'))),
    },
  };
}
