import { JobfleetError } from '../errors.ts';

/** The cron expression cannot be parsed or never fires. details: { cron, field?, value?, reason }. */
export class InvalidCronError extends JobfleetError {
  constructor(cron: string, reason: string, extra: { field?: string; value?: string } = {}) {
    super('INVALID_CRON', `Invalid cron expression "${cron}": ${reason}`, { cron, reason, ...extra });
  }
}

/** Not an IANA time zone name. details: { timezone }. */
export class InvalidTimezoneError extends JobfleetError {
  constructor(timezone: string) {
    super(
      'INVALID_TIMEZONE',
      `"${timezone}" is not a known IANA time zone; use a name such as "UTC", "Europe/Berlin" or "America/New_York".`,
      { timezone },
    );
  }
}

export class ScheduleNotFoundError extends JobfleetError {
  constructor(id: string) {
    super('SCHEDULE_NOT_FOUND', `No schedule with id "${id}" exists (or you may not see it).`, { id });
  }
}

/** Another schedule of the same owner has this name. */
export class ScheduleNameTakenError extends JobfleetError {
  constructor(name: string) {
    super('SCHEDULE_NAME_TAKEN', `A schedule named "${name}" already exists.`, { name });
  }
}

/** A schedule declared in code can be paused, resumed and triggered through the API, not edited or deleted. */
export class ScheduleReadOnlyError extends JobfleetError {
  constructor(name: string, action: string) {
    super(
      'SCHEDULE_READ_ONLY',
      `Schedule "${name}" is declared in code; it cannot be ${action} through the API (change the code, or only pause it with isActive).`,
      { name, action },
    );
  }
}
