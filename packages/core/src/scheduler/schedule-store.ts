import { uuidv7 } from '../ids.ts';
import { z } from 'zod';
import type { JobfleetClient, Scope } from '../client.ts';
import type { Queryable } from '../db/database.ts';
import { parseEnqueueOptions, type EnqueueOptions } from '../enqueue-options.ts';
import { InvalidOptionError, PayloadValidationError, UnknownJobTypeError } from '../errors.ts';
import { SCHEDULE_TICK } from './built-in-tick.ts';
import { nextRun, validateCron } from './cron.ts';
import { ScheduleNameTakenError, ScheduleNotFoundError, ScheduleReadOnlyError } from './errors.ts';

export type OverlapPolicy = 'allow' | 'skip';
export type MissedRunPolicy = 'skip' | 'once' | 'all';
export type ScheduleSource = 'api' | 'code';

/** Enqueue options a schedule passes to each job; ownerId, scheduleId and the rest are set by the scheduler. */
export type ScheduleJobOptions = Pick<EnqueueOptions, 'queue' | 'priority' | 'maxAttempts' | 'backoff' | 'timeout' | 'metadata'>;

/** The validated columns of a schedule definition. */
interface Definition {
  name: string;
  description: string | null;
  cron: string;
  timezone: string;
  jobType: string;
  payload: unknown;
  options: ScheduleJobOptions;
  isActive: boolean;
  overlap: OverlapPolicy;
  missedRuns: MissedRunPolicy;
  maxCatchUp: number;
}

export interface Schedule extends Definition {
  id: string;
  lastRun: Date | null;
  nextRun: Date | null;
  /** Why the last attempt to fire failed; null after a success. */
  lastError: string | null;
  ownerId: string | null;
  source: ScheduleSource;
  createdAt: Date;
  updatedAt: Date;
}

export interface ScheduleInput {
  name: string;
  description?: string | null;
  /** The cron expression (5 or 6 fields, or a nickname). */
  cron?: string;
  /** Seed-003 spelling of `cron`; give one of the two. */
  schedule?: string;
  /** IANA time zone, default UTC. */
  timezone?: string;
  /** Default: the built-in `jobfleet.schedule-tick`, which only records the tick. */
  jobType?: string;
  payload?: unknown;
  options?: ScheduleJobOptions;
  /** Default true. */
  isActive?: boolean;
  /** Default allow. */
  overlap?: OverlapPolicy;
  /** Default once. */
  missedRuns?: MissedRunPolicy;
  /** Default 100: the most fire times `missedRuns: 'all'` catches up at once. */
  maxCatchUp?: number;
  /** Admins only (a scope without ownerId): create the schedule for this owner. */
  ownerId?: string | null;
}

export type ScheduleUpdate = Partial<Omit<ScheduleInput, 'ownerId'>>;

export interface ListSchedulesFilter {
  isActive?: boolean;
  source?: ScheduleSource;
  jobType?: string;
  name?: string;
  ownerId?: string;
  /** 1–500, default 50. */
  limit?: number;
  /** nextCursor of the previous page. */
  cursor?: string;
}

export interface SchedulePage {
  schedules: Schedule[];
  nextCursor: string | null;
}

export interface ScheduleRow {
  id: string;
  name: string;
  description: string | null;
  cron: string;
  timezone: string;
  job_type: string;
  payload: unknown;
  options: ScheduleJobOptions | null;
  is_active: boolean;
  overlap: OverlapPolicy;
  missed_runs: MissedRunPolicy;
  max_catch_up: number;
  last_run: Date | string | null;
  next_run: Date | string | null;
  last_error: string | null;
  owner_id: string | null;
  source: ScheduleSource;
  created_at: Date | string;
  updated_at: Date | string;
}

export const SCHEDULE_COLUMNS = `id, name, description, cron, timezone, job_type, payload, options, is_active, overlap, missed_runs,
  max_catch_up, last_run, next_run, last_error, owner_id, source, created_at, updated_at`;

const date = (v: Date | string | null): Date | null => (v === null ? null : new Date(v));

export function scheduleFromRow(r: ScheduleRow): Schedule {
  return {
    id: r.id,
    name: r.name,
    description: r.description,
    cron: r.cron,
    timezone: r.timezone,
    jobType: r.job_type,
    payload: r.payload,
    options: r.options ?? {},
    isActive: r.is_active,
    overlap: r.overlap,
    missedRuns: r.missed_runs,
    maxCatchUp: r.max_catch_up,
    lastRun: date(r.last_run),
    nextRun: date(r.next_run),
    lastError: r.last_error,
    ownerId: r.owner_id,
    source: r.source,
    createdAt: new Date(r.created_at),
    updatedAt: new Date(r.updated_at),
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
export const isUuid = (s: unknown): s is string => typeof s === 'string' && UUID.test(s);

const cronText = z.string().min(1, 'must not be empty').max(200);
const fieldsSchema = {
  name: z.string().trim().min(1, 'must not be empty').max(200),
  description: z.string().max(2000).nullable().optional(),
  cron: cronText.optional(),
  schedule: cronText.optional(),
  timezone: z.string().min(1).max(64).optional(),
  jobType: z.string().min(1).max(128).optional(),
  payload: z.unknown().optional(),
  options: z.record(z.string(), z.unknown()).optional(),
  isActive: z.boolean().optional(),
  overlap: z.enum(['allow', 'skip']).optional(),
  missedRuns: z.enum(['skip', 'once', 'all']).optional(),
  maxCatchUp: z.number().int().min(1).max(10_000).optional(),
};
const createSchema = z.object({ ...fieldsSchema, ownerId: z.string().min(1).max(128).nullable().optional() }).strict();
const updateSchema = z.object({ ...fieldsSchema, name: fieldsSchema.name.optional() }).strict();

/** Options the scheduler sets itself, or that make no sense on a timetable. */
const RESERVED_OPTIONS = ['ownerId', 'scheduleId', 'idempotencyKey', 'runAt', 'delay', 'batchId'] as const;

function parseShape<T>(schema: z.ZodType<T>, input: unknown, what: string): T {
  const r = schema.safeParse(input);
  if (r.success) return r.data;
  const issues = r.error.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
  throw new InvalidOptionError(
    `Invalid ${what}: ${issues.map((i) => (i.path ? `${i.path}: ${i.message}` : i.message)).join('; ')}`,
    { issues },
  );
}

/** Schedules in the database, with validation; scoped reads and writes. ScheduleService is the façade over it. */
export class ScheduleStore {
  readonly schema: string;

  constructor(readonly client: JobfleetClient) {
    this.schema = client.schema;
  }

  /**
   * Checks a definition completely: cron and time zone, that the job type is known, that the payload
   * passes its schema, and the enqueue options. Throws the typed error of the first problem.
   */
  async validate(def: Definition): Promise<Definition> {
    const { cron, timezone } = validateCron(def.cron, def.timezone);
    const resolved = await this.client.catalog.resolve(def.jobType);
    if (!resolved) throw new UnknownJobTypeError(def.jobType);
    const payload = def.payload === undefined ? null : def.payload;
    const issues = resolved.validate(payload);
    if (issues) throw new PayloadValidationError(def.jobType, issues);
    const options = (def.options ?? {}) as Record<string, unknown>;
    for (const k of RESERVED_OPTIONS) {
      if (k in options)
        throw new InvalidOptionError(`options.${k} cannot be set on a schedule: the scheduler sets it for each job.`);
    }
    parseEnqueueOptions(options);
    return { ...def, cron, timezone, payload, options: options as ScheduleJobOptions };
  }

  private definitionFrom(input: unknown, what: string): Definition & { ownerId?: string | null } {
    const x = parseShape(createSchema, input, what);
    const cron = pickCron(x.cron, x.schedule);
    if (cron === undefined)
      throw new InvalidOptionError(`Invalid ${what}: cron: a cron expression is required (for instance "0 9 * * *").`);
    return {
      name: x.name,
      description: x.description ?? null,
      cron,
      timezone: x.timezone ?? 'UTC',
      jobType: x.jobType ?? SCHEDULE_TICK,
      payload: x.payload,
      options: (x.options ?? {}) as ScheduleJobOptions,
      isActive: x.isActive ?? true,
      overlap: x.overlap ?? 'allow',
      missedRuns: x.missedRuns ?? 'once',
      maxCatchUp: x.maxCatchUp ?? 100,
      ownerId: x.ownerId,
    };
  }

  async create(input: ScheduleInput, scope: Scope = {}, source: ScheduleSource = 'api'): Promise<Schedule> {
    const parsed = this.definitionFrom(input, 'schedule');
    const def = await this.validate(parsed);
    const ownerId = scope.ownerId ?? parsed.ownerId ?? null;
    const next = def.isActive ? nextRun(def.cron, def.timezone, new Date()) : null;
    try {
      const { rows } = await this.client.db.query<ScheduleRow>(
        `INSERT INTO ${this.schema}.schedules (id, name, description, cron, timezone, job_type, payload, options, is_active,
           overlap, missed_runs, max_catch_up, next_run, owner_id, source)
         VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb, $8::jsonb, $9, $10, $11, $12, $13, $14, $15)
         RETURNING ${SCHEDULE_COLUMNS}`,
        [uuidv7(), ...definitionValues(def), next?.toISOString() ?? null, ownerId, source],
      );
      return scheduleFromRow(rows[0] as ScheduleRow);
    } catch (err) {
      if (isUniqueViolation(err)) throw new ScheduleNameTakenError(def.name);
      throw err;
    }
  }

  async get(id: string, scope: Scope = {}, db: Queryable = this.client.db): Promise<Schedule | null> {
    if (!isUuid(id)) return null;
    const { rows } = await db.query<ScheduleRow>(
      `SELECT ${SCHEDULE_COLUMNS} FROM ${this.schema}.schedules WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`,
      [id, scope.ownerId ?? null],
    );
    return rows[0] ? scheduleFromRow(rows[0]) : null;
  }

  /** By name within an owner's namespace (the scope's owner; for admins, ownerId or the shared namespace). */
  async getByName(name: string, scope: Scope = {}, ownerId: string | null = null): Promise<Schedule | null> {
    const { rows } = await this.client.db.query<ScheduleRow>(
      `SELECT ${SCHEDULE_COLUMNS} FROM ${this.schema}.schedules WHERE name = $1 AND owner_id IS NOT DISTINCT FROM $2`,
      [name, scope.ownerId ?? ownerId],
    );
    return rows[0] ? scheduleFromRow(rows[0]) : null;
  }

  async list(filter: ListSchedulesFilter = {}, scope: Scope = {}): Promise<SchedulePage> {
    const limit = filter.limit ?? 50;
    if (!Number.isInteger(limit) || limit < 1 || limit > 500)
      throw new InvalidOptionError('limit must be an integer from 1 to 500.');
    if (filter.cursor !== undefined && !isUuid(filter.cursor))
      throw new InvalidOptionError('cursor is not valid: pass the nextCursor of the previous page.');
    if (filter.source !== undefined && filter.source !== 'api' && filter.source !== 'code')
      throw new InvalidOptionError('source must be "api" or "code".');
    if (scope.ownerId && filter.ownerId && filter.ownerId !== scope.ownerId) return { schedules: [], nextCursor: null };
    const where: string[] = [];
    const params: unknown[] = [];
    const add = (clause: string, value: unknown) => {
      params.push(value);
      where.push(clause.replace('?', `$${params.length}`));
    };
    const owner = scope.ownerId ?? filter.ownerId;
    if (owner) add('owner_id = ?', owner);
    if (filter.isActive !== undefined) add('is_active = ?', filter.isActive);
    if (filter.source) add('source = ?', filter.source);
    if (filter.jobType) add('job_type = ?', filter.jobType);
    if (filter.name) add('name = ?', filter.name);
    if (filter.cursor) add('id > ?::uuid', filter.cursor);
    params.push(limit + 1);
    const { rows } = await this.client.db.query<ScheduleRow>(
      `SELECT ${SCHEDULE_COLUMNS} FROM ${this.schema}.schedules ${where.length ? 'WHERE ' + where.join(' AND ') : ''}
       ORDER BY id LIMIT $${params.length}`,
      params,
    );
    const schedules = rows.slice(0, limit).map(scheduleFromRow);
    return { schedules, nextCursor: rows.length > limit ? (schedules[schedules.length - 1]?.id ?? null) : null };
  }

  /**
   * Changes some fields. Changing cron or time zone, or resuming, restarts the timetable from now
   * (fire times missed while paused are not caught up). Code-declared schedules accept only isActive
   * unless `asCode` (syncSchedules).
   */
  async update(id: string, patch: ScheduleUpdate, scope: Scope = {}, opts: { asCode?: boolean } = {}): Promise<Schedule> {
    const p = parseShape(updateSchema, patch ?? {}, 'schedule update');
    // Validation may query the database (the job type catalog), so it runs outside any transaction
    // (PGlite has one connection); the write is a compare-and-set on the definition's version.
    for (let attempt = 0; ; attempt++) {
      if (!isUuid(id)) throw new ScheduleNotFoundError(id);
      const { rows: found } = await this.client.db.query<ScheduleRow & { version: string }>(
        `SELECT ${SCHEDULE_COLUMNS}, updated_at::text AS version FROM ${this.schema}.schedules
         WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2)`,
        [id, scope.ownerId ?? null],
      );
      if (!found[0]) throw new ScheduleNotFoundError(id);
      const current = scheduleFromRow(found[0]);
      const keys = Object.keys(p).filter((k) => (p as Record<string, unknown>)[k] !== undefined);
      if (current.source === 'code' && !opts.asCode && keys.some((k) => k !== 'isActive')) {
        throw new ScheduleReadOnlyError(current.name, 'edited');
      }
      const merged: Definition = {
        name: p.name ?? current.name,
        description: p.description !== undefined ? p.description : current.description,
        cron: pickCron(p.cron, p.schedule) ?? current.cron,
        timezone: p.timezone ?? current.timezone,
        jobType: p.jobType ?? current.jobType,
        payload: p.payload !== undefined ? p.payload : current.payload,
        options: (p.options as ScheduleJobOptions | undefined) ?? current.options,
        isActive: p.isActive ?? current.isActive,
        overlap: p.overlap ?? current.overlap,
        missedRuns: p.missedRuns ?? current.missedRuns,
        maxCatchUp: p.maxCatchUp ?? current.maxCatchUp,
      };
      const def = await this.validate(merged);
      // A new timetable, or a resume, starts from now: fire times missed while paused are not caught up.
      const restart =
        def.isActive && (def.cron !== current.cron || def.timezone !== current.timezone || !current.isActive || !current.nextRun);
      const next = restart ? nextRun(def.cron, def.timezone, new Date()) : null;
      try {
        const { rows } = await this.client.db.query<ScheduleRow>(
          `UPDATE ${this.schema}.schedules SET name = $2, description = $3, cron = $4, timezone = $5, job_type = $6,
             payload = $7::jsonb, options = $8::jsonb, is_active = $9, overlap = $10, missed_runs = $11, max_catch_up = $12,
             next_run = CASE WHEN $13::boolean THEN $14::timestamptz ELSE next_run END,
             last_error = NULL, last_error_at = NULL, updated_at = now()
           WHERE id = $1 AND updated_at::text = $15 RETURNING ${SCHEDULE_COLUMNS}`,
          [id, ...definitionValues(def), restart, next?.toISOString() ?? null, found[0].version],
        );
        if (rows[0]) return scheduleFromRow(rows[0]);
      } catch (err) {
        if (isUniqueViolation(err)) throw new ScheduleNameTakenError(def.name);
        throw err;
      }
      // Changed (or deleted) meanwhile: start over from the new version.
      if (attempt >= 4) throw new Error(`Schedule "${id}" keeps changing while it is updated; try again.`);
    }
  }

  /** Deletes the schedule and its fire records; its jobs stay (with their scheduleId). */
  async delete(id: string, scope: Scope = {}, opts: { asCode?: boolean } = {}): Promise<Schedule> {
    const current = await this.get(id, scope);
    if (!current) throw new ScheduleNotFoundError(id);
    if (current.source === 'code' && !opts.asCode) throw new ScheduleReadOnlyError(current.name, 'deleted');
    const { rows } = await this.client.db.query<ScheduleRow>(
      `DELETE FROM ${this.schema}.schedules WHERE id = $1 AND ($2::text IS NULL OR owner_id = $2) RETURNING ${SCHEDULE_COLUMNS}`,
      [id, scope.ownerId ?? null],
    );
    if (!rows[0]) throw new ScheduleNotFoundError(id);
    return scheduleFromRow(rows[0]);
  }
}

function pickCron(cron: string | undefined, schedule: string | undefined): string | undefined {
  if (cron !== undefined && schedule !== undefined && cron.trim() !== schedule.trim()) {
    throw new InvalidOptionError('Give the cron expression once: "cron" and "schedule" differ.');
  }
  return cron ?? schedule;
}

function isUniqueViolation(err: unknown): boolean {
  return typeof err === 'object' && err !== null && (err as { code?: string }).code === '23505';
}

/** A definition's columns as statement parameters, in the order both INSERT and UPDATE bind them ($2–$12). */
function definitionValues(def: Definition): unknown[] {
  return [
    def.name,
    def.description,
    def.cron,
    def.timezone,
    def.jobType,
    JSON.stringify(def.payload),
    JSON.stringify(def.options),
    def.isActive,
    def.overlap,
    def.missedRuns,
    def.maxCatchUp,
  ];
}
