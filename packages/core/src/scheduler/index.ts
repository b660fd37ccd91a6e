export {
  Scheduler,
  dueFireTimes,
  triggerSchedule,
  type SchedulerOptions,
  type SchedulerHost,
  type TickResult,
} from './scheduler.ts';
export { ScheduleService } from './schedule-service.ts';
export {
  ScheduleStore,
  type Schedule,
  type ScheduleInput,
  type ScheduleUpdate,
  type ScheduleJobOptions,
  type ListSchedulesFilter,
  type SchedulePage,
  type OverlapPolicy,
  type MissedRunPolicy,
  type ScheduleSource,
} from './schedule-store.ts';
export { validateCron, validateTimezone, normalizeCron, nextRun, nextRuns, recentRuns } from './cron.ts';
export { scheduleTickJob, SCHEDULE_TICK, type ScheduleStamp, type ScheduleTickResult } from './built-in-tick.ts';
export {
  defineSchedule,
  isDeclaredSchedule,
  syncSchedules,
  type ScheduleDeclaration,
  type DeclaredSchedule,
  type SyncResult,
} from './declare-schedule.ts';
export {
  InvalidCronError,
  InvalidTimezoneError,
  ScheduleNotFoundError,
  ScheduleNameTakenError,
  ScheduleReadOnlyError,
} from './errors.ts';
