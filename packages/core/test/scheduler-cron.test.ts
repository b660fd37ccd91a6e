import { describe, expect, it } from 'vitest';
import {
  dueFireTimes,
  InvalidCronError,
  InvalidTimezoneError,
  nextRuns,
  ScheduleService,
  validateCron,
  validateTimezone,
} from '../src/scheduler/index.ts';

const iso = (ds: Date[]) => ds.map((d) => d.toISOString());

function cronError(expr: string, tz = 'UTC'): InvalidCronError {
  try {
    validateCron(expr, tz);
  } catch (err) {
    expect(err).toBeInstanceOf(InvalidCronError);
    return err as InvalidCronError;
  }
  throw new Error(`"${expr}" was accepted`);
}

describe('cron validation', () => {
  it.each([
    ['* * * *', /has 4 fields; use 5 \(minute hour day-of-month month day-of-week\), 6/],
    ['* * * * * * *', /has 7 fields/],
    ['garbage', /has 1 field;/],
    ['', /empty/],
    ['61 * * * *', /minute field "61" has 61, out of range: minute must be from 0 to 59/],
    ['0 24 * * *', /hour field "24" has 24, out of range: hour must be from 0 to 23/],
    ['0 0 0 * *', /day-of-month must be from 1 to 31/],
    ['0 0 1 13 *', /month must be from 1 to 12/],
    ['0 0 * * 8', /day-of-week must be from 0 to 7/],
    ['60 * * * * *', /second field "60" .* second must be from 0 to 59/],
    ['*/0 * * * *', /minute field "\*\/0" has a step of 0/],
    ['30-10 * * * *', /range 30-10, which runs backwards/],
    ['a b c d e', /minute field "a" contains characters that are not allowed/],
    ['0 0 * JAN-FOO *', /month field/],
    ['@every', /unknown nickname/],
    ['0 0 30 2 *', /never fires/],
  ])('rejects %j with a message naming the problem', (expr, message) => {
    const err = cronError(expr);
    expect(err.code).toBe('INVALID_CRON');
    expect(err.message).toMatch(message);
  });

  it('names the field in details', () => {
    expect(cronError('61 * * * *').details).toMatchObject({ field: 'minute', value: '61' });
  });

  it.each([
    ['* * * * *', '* * * * *'],
    ['* * * * * *', '* * * * * *'],
    ['0 9 * * MON-FRI', '0 9 * * MON-FRI'],
    ['@HOURLY', '@hourly'],
    ['@daily', '@daily'],
    ['0 0 L * *', '0 0 L * *'],
    ['0 0 * * 5#2', '0 0 * * 5#2'],
    ['*/15 8-18 * * 1-5', '*/15 8-18 * * 1-5'],
    [' 0  9 * *  * ', '0 9 * * *'],
  ])('accepts %j (stored as %j)', (expr, stored) => {
    expect(validateCron(expr, 'UTC').cron).toBe(stored);
  });

  it('checks time zones against IANA names and canonicalises them', () => {
    expect(validateTimezone('utc')).toBe('UTC');
    expect(validateTimezone('Europe/Berlin')).toBe('Europe/Berlin');
    for (const tz of ['Mars/Base', '+05:00', '', 'Europe/Berlinn']) {
      expect(() => validateTimezone(tz)).toThrow(InvalidTimezoneError);
    }
    expect(() => validateCron('* * * * *', 'Mars/Base')).toThrow(/"Mars\/Base" is not a known IANA time zone/);
  });

  it('previews fire times', () => {
    expect(iso(ScheduleService.preview('0 9 * * *', 'UTC', 2, new Date('2026-01-01T10:00:00Z')))).toEqual([
      '2026-01-02T09:00:00.000Z',
      '2026-01-03T09:00:00.000Z',
    ]);
  });
});

describe('DST transitions (croner rules: a fixed time in the gap runs after it, a repeated fixed time runs once, intervals follow real time)', () => {
  it('America/New_York, spring forward 2026-03-08 02:00 → 03:00', () => {
    // 02:30 does not exist that night: it runs at 03:00 EDT (07:00Z).
    expect(iso(nextRuns('30 2 * * *', 'America/New_York', new Date('2026-03-07T00:00:00Z'), 3))).toEqual([
      '2026-03-07T07:30:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-09T06:30:00.000Z',
    ]);
    // Hourly: 01:00 EST then 03:00 EDT, one real hour apart; the missing 02:00 is skipped.
    expect(iso(nextRuns('0 * * * *', 'America/New_York', new Date('2026-03-08T05:30:00Z'), 3))).toEqual([
      '2026-03-08T06:00:00.000Z',
      '2026-03-08T07:00:00.000Z',
      '2026-03-08T08:00:00.000Z',
    ]);
  });

  it('America/New_York, fall back 2026-11-01 02:00 → 01:00', () => {
    // 01:30 happens twice: a fixed-time schedule runs once, at the first (EDT) one.
    expect(iso(nextRuns('30 1 * * *', 'America/New_York', new Date('2026-10-31T00:00:00Z'), 3))).toEqual([
      '2026-10-31T05:30:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-02T06:30:00.000Z',
    ]);
    // An interval runs on both occurrences of 01:00 and 01:30.
    expect(iso(nextRuns('*/30 * * * *', 'America/New_York', new Date('2026-11-01T04:45:00Z'), 6))).toEqual([
      '2026-11-01T05:00:00.000Z',
      '2026-11-01T05:30:00.000Z',
      '2026-11-01T06:00:00.000Z',
      '2026-11-01T06:30:00.000Z',
      '2026-11-01T07:00:00.000Z',
      '2026-11-01T07:30:00.000Z',
    ]);
  });

  it('Europe/Berlin, 2026-03-29 and 2026-10-25', () => {
    expect(iso(nextRuns('0 2 * * *', 'Europe/Berlin', new Date('2026-03-28T00:00:00Z'), 3))).toEqual([
      '2026-03-28T01:00:00.000Z', // 02:00 CET
      '2026-03-29T01:00:00.000Z', // 02:00 does not exist: 03:00 CEST
      '2026-03-30T00:00:00.000Z', // 02:00 CEST
    ]);
    expect(iso(nextRuns('30 2 * * *', 'Europe/Berlin', new Date('2026-10-24T00:00:00Z'), 3))).toEqual([
      '2026-10-24T00:30:00.000Z',
      '2026-10-25T00:30:00.000Z', // once, at 02:30 CEST
      '2026-10-26T01:30:00.000Z', // 02:30 CET
    ]);
    expect(iso(nextRuns('0 * * * *', 'Europe/Berlin', new Date('2026-10-24T23:30:00Z'), 3))).toEqual([
      '2026-10-25T00:00:00.000Z', // 02:00 CEST
      '2026-10-25T01:00:00.000Z', // 02:00 CET, again
      '2026-10-25T02:00:00.000Z', // 03:00 CET
    ]);
  });

  it('Australia/Sydney (southern hemisphere), 2026-04-05 and 2026-10-04', () => {
    expect(iso(nextRuns('30 2 * * *', 'Australia/Sydney', new Date('2026-04-03T00:00:00Z'), 3))).toEqual([
      '2026-04-03T15:30:00.000Z', // 02:30 AEDT on the 4th
      '2026-04-04T15:30:00.000Z', // 02:30 happens twice on the 5th: once, AEDT
      '2026-04-05T16:30:00.000Z', // 02:30 AEST on the 6th
    ]);
    expect(iso(nextRuns('30 2 * * *', 'Australia/Sydney', new Date('2026-10-02T00:00:00Z'), 3))).toEqual([
      '2026-10-02T16:30:00.000Z', // 02:30 AEST on the 3rd
      '2026-10-03T16:00:00.000Z', // 02:30 does not exist on the 4th: 03:00 AEDT
      '2026-10-04T15:30:00.000Z', // 02:30 AEDT on the 5th
    ]);
    expect(iso(nextRuns('0 0 * * *', 'Australia/Sydney', new Date('2026-10-02T00:00:00Z'), 3))).toEqual([
      '2026-10-02T14:00:00.000Z',
      '2026-10-03T14:00:00.000Z',
      '2026-10-04T13:00:00.000Z', // midnight AEDT is an hour earlier in UTC
    ]);
  });
});

describe('missed-run policies (fire-time arithmetic)', () => {
  const hourly = { cron: '0 * * * *', timezone: 'UTC', maxCatchUp: 100 };
  const now = new Date('2026-05-01T12:20:00Z');
  const from = new Date('2026-05-01T07:00:00Z'); // down since before 07:00: 07…12 are due, 6 fire times

  it('skip drops them, once fires the latest, all fires each', () => {
    expect(dueFireTimes({ ...hourly, missedRuns: 'skip' }, from, now, 10_000)).toEqual({ fireTimes: [], skippedMissed: 6 });
    const once = dueFireTimes({ ...hourly, missedRuns: 'once' }, from, now, 10_000);
    expect(iso(once.fireTimes)).toEqual(['2026-05-01T12:00:00.000Z']);
    expect(once.skippedMissed).toBe(5);
    const all = dueFireTimes({ ...hourly, missedRuns: 'all' }, from, now, 10_000);
    expect(iso(all.fireTimes)).toEqual(['07', '08', '09', '10', '11', '12'].map((h) => `2026-05-01T${h}:00:00.000Z`));
  });

  it('all is bounded by maxCatchUp (the latest ones fire)', () => {
    const r = dueFireTimes({ ...hourly, missedRuns: 'all', maxCatchUp: 2 }, from, now, 10_000);
    expect(iso(r.fireTimes)).toEqual(['2026-05-01T11:00:00.000Z', '2026-05-01T12:00:00.000Z']);
    expect(r.skippedMissed).toBe(1); // counted up to maxCatchUp + 1
  });

  it('on-time fire times always fire, whatever the policy', () => {
    const secondly = { cron: '* * * * * *', timezone: 'UTC', maxCatchUp: 100, missedRuns: 'skip' as const };
    const r = dueFireTimes(secondly, new Date('2026-05-01T12:19:58Z'), new Date('2026-05-01T12:20:00.400Z'), 10_000);
    expect(iso(r.fireTimes)).toEqual(['2026-05-01T12:19:58.000Z', '2026-05-01T12:19:59.000Z', '2026-05-01T12:20:00.000Z']);
  });
});
