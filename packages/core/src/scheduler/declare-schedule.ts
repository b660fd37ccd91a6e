import type { Scope } from '../client.ts';
import { SCHEDULE_TICK } from './built-in-tick.ts';
import { validateCron } from './cron.ts';
import { ScheduleNameTakenError, ScheduleNotFoundError } from './errors.ts';
import {
  ScheduleStore,
  type MissedRunPolicy,
  type OverlapPolicy,
  type Schedule,
  type ScheduleJobOptions,
} from './schedule-store.ts';
import type { SchedulerHost } from './scheduler.ts';

/** A schedule declared in code (source 'code', no owner); syncSchedules writes it at start-up. */
export interface ScheduleDeclaration {
  name: string;
  description?: string;
  cron: string;
  /** IANA time zone, default UTC. */
  timezone?: string;
  /** Default: the built-in jobfleet.schedule-tick. */
  jobType?: string;
  payload?: unknown;
  options?: ScheduleJobOptions;
  /** Only used when the schedule is first created; afterwards pausing is an operator's decision (API isActive). */
  isActive?: boolean;
  overlap?: OverlapPolicy;
  missedRuns?: MissedRunPolicy;
  maxCatchUp?: number;
}

const DECLARATION = Symbol.for('jobfleet.schedule');
export type DeclaredSchedule = Readonly<ScheduleDeclaration> & { readonly [DECLARATION]: true };

/** Declares a schedule in code. The cron expression and time zone are checked at once. */
export function defineSchedule(decl: ScheduleDeclaration): DeclaredSchedule {
  if (typeof decl?.name !== 'string' || decl.name.trim() === '') throw new TypeError('A declared schedule needs a name.');
  const { cron, timezone } = validateCron(decl.cron, decl.timezone ?? 'UTC');
  return Object.freeze({ ...decl, cron, timezone, [DECLARATION]: true as const });
}

export function isDeclaredSchedule(value: unknown): value is DeclaredSchedule {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[DECLARATION] === true;
}

export interface SyncResult {
  created: string[];
  updated: string[];
  unchanged: string[];
  /** Code schedules in the database that the code no longer declares (deleted unless removeMissing is false). */
  removed: string[];
}

/**
 * Upserts declared schedules by name (shared namespace: no owner) with source 'code', validating
 * each fully (job type, payload) before writing any. An API schedule with the same name is taken
 * over. With removeMissing (default true) code schedules no longer declared are deleted.
 * Run it once at start-up of the process that owns the code (it is idempotent; concurrent
 * start-ups are safe).
 */
export async function syncSchedules(
  host: SchedulerHost,
  declarations: ScheduleDeclaration[],
  opts: { removeMissing?: boolean } = {},
): Promise<SyncResult> {
  const store = new ScheduleStore(host.client);
  const names = new Set<string>();
  for (const d of declarations) {
    if (names.has(d.name)) throw new TypeError(`Two declared schedules are named "${d.name}".`);
    names.add(d.name);
  }
  const admin: Scope = {};
  // Validate all first: one bad declaration writes nothing.
  const defs = [];
  for (const d of declarations) {
    const def = await store.validate({
      name: d.name,
      description: d.description ?? null,
      cron: d.cron,
      timezone: d.timezone ?? 'UTC',
      jobType: d.jobType ?? SCHEDULE_TICK,
      payload: d.payload,
      options: d.options ?? {},
      isActive: d.isActive ?? true,
      overlap: d.overlap ?? 'allow',
      missedRuns: d.missedRuns ?? 'once',
      maxCatchUp: d.maxCatchUp ?? 100,
    });
    defs.push(def);
  }
  const result: SyncResult = { created: [], updated: [], unchanged: [], removed: [] };
  const db = host.client.db;
  const schema = host.client.schema;
  // Processes starting together may sync at once: a lost race to create becomes an update, a lost
  // race to delete is ignored, and updates of the same definition are idempotent.
  for (const def of defs) {
    for (let attempt = 0; ; attempt++) {
      const existing = await store.getByName(def.name, admin, null);
      try {
        if (!existing) {
          await store.create({ ...def, description: def.description ?? undefined }, admin, 'code');
          result.created.push(def.name);
        } else if (existing.source === 'code' && sameDefinition(existing, def)) {
          result.unchanged.push(def.name);
        } else {
          if (existing.source !== 'code') {
            await db.query(`UPDATE ${schema}.schedules SET source = 'code' WHERE id = $1`, [existing.id]);
          }
          const { isActive: _operatorDecides, ...patch } = def;
          await store.update(existing.id, patch, admin, { asCode: true });
          result.updated.push(def.name);
        }
        break;
      } catch (err) {
        const raced = err instanceof ScheduleNameTakenError || err instanceof ScheduleNotFoundError;
        if (!raced || attempt >= 2) throw err;
      }
    }
  }
  if (opts.removeMissing !== false) {
    const { rows } = await db.query<{ id: string; name: string }>(
      `SELECT id, name FROM ${schema}.schedules WHERE source = 'code' AND owner_id IS NULL AND NOT (name = ANY($1::text[]))`,
      [[...names]],
    );
    for (const r of rows) {
      try {
        await store.delete(r.id, admin, { asCode: true });
        result.removed.push(r.name);
      } catch (err) {
        if (!(err instanceof ScheduleNotFoundError)) throw err;
      }
    }
  }
  return result;
}

function sameDefinition(
  s: Schedule,
  d: Omit<
    Schedule,
    'id' | 'isActive' | 'lastRun' | 'nextRun' | 'lastError' | 'ownerId' | 'source' | 'createdAt' | 'updatedAt'
  > & { isActive: boolean },
): boolean {
  return (
    s.description === d.description &&
    s.cron === d.cron &&
    s.timezone === d.timezone &&
    s.jobType === d.jobType &&
    s.overlap === d.overlap &&
    s.missedRuns === d.missedRuns &&
    s.maxCatchUp === d.maxCatchUp &&
    stableJson(s.payload) === stableJson(d.payload) &&
    stableJson(s.options) === stableJson(d.options)
  );
}

function stableJson(v: unknown): string {
  return JSON.stringify(v ?? null, (_k, x) =>
    x && typeof x === 'object' && !Array.isArray(x)
      ? Object.fromEntries(Object.entries(x).sort(([a], [b]) => a.localeCompare(b)))
      : x,
  );
}
