import type { EnqueuedJob, JobfleetClient, JobPage, ListJobsFilter, Scope } from '../client.ts';
import { InvalidOptionError } from '../errors.ts';
import { nextRuns } from './cron.ts';
import { ScheduleNotFoundError } from './errors.ts';
import {
  ScheduleStore,
  type ListSchedulesFilter,
  type Schedule,
  type ScheduleInput,
  type SchedulePage,
  type ScheduleUpdate,
} from './schedule-store.ts';
import { triggerSchedule, type SchedulerHost } from './scheduler.ts';

/**
 * Schedule administration, as REST, GraphQL and the CLI call it. Every method takes a Scope:
 * with ownerId (a member) it sees and changes only that owner's schedules, and creates schedules
 * owned by it; without (an admin) it sees all. Errors are JobfleetErrors with stable codes:
 * INVALID_OPTION, INVALID_CRON, INVALID_TIMEZONE, UNKNOWN_JOB_TYPE, INVALID_PAYLOAD,
 * SCHEDULE_NOT_FOUND, SCHEDULE_NAME_TAKEN, SCHEDULE_READ_ONLY.
 */
export class ScheduleService {
  readonly store: ScheduleStore;
  private readonly client: JobfleetClient;

  constructor(host: SchedulerHost) {
    this.client = host.client;
    this.store = new ScheduleStore(host.client);
  }

  /** Validates everything (cron, time zone, job type, payload, options) before storing anything. */
  create(input: ScheduleInput, scope: Scope = {}): Promise<Schedule> {
    return this.store.create(input, scope, 'api');
  }

  get(id: string, scope: Scope = {}): Promise<Schedule | null> {
    return this.store.get(id, scope);
  }

  /** Ordered by creation; page with nextCursor. */
  list(filter: ListSchedulesFilter = {}, scope: Scope = {}): Promise<SchedulePage> {
    return this.store.list(filter, scope);
  }

  /** Partial update (PATCH). A changed cron or time zone, or a resume, restarts the timetable from now. */
  update(id: string, patch: ScheduleUpdate, scope: Scope = {}): Promise<Schedule> {
    return this.store.update(id, patch, scope);
  }

  pause(id: string, scope: Scope = {}): Promise<Schedule> {
    return this.store.update(id, { isActive: false }, scope);
  }

  resume(id: string, scope: Scope = {}): Promise<Schedule> {
    return this.store.update(id, { isActive: true }, scope);
  }

  /** Deletes the schedule; the jobs it enqueued stay. Returns the deleted schedule. */
  delete(id: string, scope: Scope = {}): Promise<Schedule> {
    return this.store.delete(id, scope);
  }

  /** Enqueues one job of the schedule now ("run now"), leaving its timetable alone. */
  trigger(id: string, scope: Scope = {}): Promise<EnqueuedJob> {
    return triggerSchedule(this.client, id, scope);
  }

  /** The schedule's jobs, newest first (JobfleetClient.list with its scheduleId). */
  async runs(id: string, filter: Omit<ListJobsFilter, 'scheduleId'> = {}, scope: Scope = {}): Promise<JobPage> {
    const schedule = await this.store.get(id, scope);
    if (!schedule) throw new ScheduleNotFoundError(id);
    return this.client.list({ ...filter, scheduleId: schedule.id }, scope);
  }

  /** The next n fire times of a stored schedule (n ≤ 100). */
  async upcoming(id: string, n = 5, scope: Scope = {}): Promise<Date[]> {
    const schedule = await this.store.get(id, scope);
    if (!schedule) throw new ScheduleNotFoundError(id);
    return ScheduleService.preview(schedule.cron, schedule.timezone, n);
  }

  /** The next n fire times of an expression, validated (for forms that show what a rule means). */
  static preview(cron: string, timezone = 'UTC', n = 5, from = new Date()): Date[] {
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new InvalidOptionError('n must be an integer from 1 to 100.');
    return nextRuns(cron, timezone, from, n);
  }
}
