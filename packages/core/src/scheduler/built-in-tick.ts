import { z } from 'zod';
import { defineJob } from '../job-types/define-job.ts';

/** The job type a schedule enqueues when it names none (seed-003 style: a name, a cron rule and nothing else). */
export const SCHEDULE_TICK = 'jobfleet.schedule-tick';

/** What the scheduler writes into each job's metadata under `schedule`. */
export interface ScheduleStamp {
  id: string;
  name: string;
  /** ISO time of the fire time (cron) or of the manual trigger. */
  fireAt: string;
  trigger: 'cron' | 'manual';
}

export interface ScheduleTickResult {
  /** The schedule's name (its id when the job carries no stamp). */
  schedule: string | null;
  scheduleId: string | null;
  /** ISO fire time. */
  firedAt: string;
  trigger: 'cron' | 'manual' | null;
}

/**
 * Records the tick in the job's log and returns `{ schedule, firedAt }`. Register it with the
 * workers (the CLI adds it to the examples) so that schedules without a job type have a runner.
 */
export const scheduleTickJob = defineJob({
  name: SCHEDULE_TICK,
  description: 'Built in: records a tick of a schedule that names no job type, and returns { schedule, firedAt }.',
  schema: z.record(z.string(), z.unknown()).nullable(),
  maxAttempts: 1,
  handler: (_payload, ctx): ScheduleTickResult => {
    const stamp = (ctx.job.metadata?.schedule ?? null) as Partial<ScheduleStamp> | null;
    const firedAt = typeof stamp?.fireAt === 'string' ? stamp.fireAt : ctx.job.createdAt.toISOString();
    const schedule = typeof stamp?.name === 'string' ? stamp.name : ctx.job.scheduleId;
    ctx.log(`tick of schedule ${schedule ?? '(none)'} at ${firedAt}`);
    return { schedule, scheduleId: ctx.job.scheduleId, firedAt, trigger: stamp?.trigger ?? null };
  },
});
