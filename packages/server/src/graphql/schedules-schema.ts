/**
 * Cron schedules in the GraphQL schema, as extensions of Query, Mutation and Job (appended to typeDefs
 * in schema.ts). Seed 003's fields: name, description, schedule (the cron rule), isActive, lastRun, nextRun.
 */
export const scheduleTypeDefs = /* GraphQL */ `
  "overlap: ALLOW starts a job at every fire time; SKIP skips a fire time while the previous job is unfinished."
  enum ScheduleOverlap {
    ALLOW
    SKIP
  }

  "What happens to fire times missed while no scheduler ran: SKIP them, run ONCE for all of them, or run ALL (up to maxCatchUp)."
  enum ScheduleMissedRuns {
    SKIP
    ONCE
    ALL
  }

  enum ScheduleSource {
    "Created through the API or the CLI."
    API
    "Declared in code (defineSchedule); only isActive can change through the API."
    CODE
  }

  "A cron schedule: it enqueues a job of jobType at each fire time."
  type Schedule {
    id: ID!
    name: String!
    description: String
    "The cron expression (seed 003's name for it)."
    schedule: String!
    "The cron expression (same as schedule)."
    cron: String!
    "IANA time zone the expression is read in."
    timezone: String!
    jobType: String!
    payload: JSON
    "Enqueue options of each job (queue, priority, maxAttempts, backoff, timeout, metadata)."
    options: JSON
    isActive: Boolean!
    overlap: ScheduleOverlap!
    missedRuns: ScheduleMissedRuns!
    maxCatchUp: Int!
    "When it last fired (ISO 8601); null before its first run."
    lastRun: String
    "When it fires next (ISO 8601); null while paused."
    nextRun: String
    "Why the last attempt to fire failed; null after a success."
    lastError: String
    ownerId: ID
    source: ScheduleSource!
    createdAt: String!
    updatedAt: String!
    "The next fire times (ISO 8601), 1 to 100 of them."
    upcoming(count: Int = 5): [String!]!
  }

  type ScheduleConnection {
    nodes: [Schedule!]!
    "Pass as 'after' to get the next page; null on the last page."
    nextCursor: String
  }

  input SchedulesFilter {
    isActive: Boolean
    jobType: String
    "Exact name."
    name: String
    "Admins only; members always see their own schedules."
    ownerId: ID
    source: ScheduleSource
  }

  input CreateScheduleInput {
    name: String!
    description: String
    "The cron expression (seed 003's field); or use cron."
    schedule: String
    cron: String
    "IANA time zone, default UTC."
    timezone: String
    "Default: the built-in jobfleet.schedule-tick."
    jobType: String
    payload: JSON
    "queue, priority, maxAttempts, backoff, timeout, metadata."
    options: JSON
    "Default true; false creates it paused."
    isActive: Boolean
    overlap: ScheduleOverlap
    missedRuns: ScheduleMissedRuns
    maxCatchUp: Int
    "Admins only: create it for this user."
    ownerId: ID
  }

  input UpdateScheduleInput {
    name: String
    "null clears it."
    description: String
    schedule: String
    cron: String
    timezone: String
    jobType: String
    payload: JSON
    options: JSON
    isActive: Boolean
    overlap: ScheduleOverlap
    missedRuns: ScheduleMissedRuns
    maxCatchUp: Int
  }

  extend type Job {
    "The schedule that enqueued this job, if any."
    scheduleId: ID
  }

  extend type Query {
    "Cron schedules, oldest first: a member's own, or every one for admins."
    schedules(filter: SchedulesFilter, first: Int, after: String): ScheduleConnection!
    schedule(id: ID!): Schedule
    "The jobs a schedule enqueued, newest first."
    scheduleRuns(id: ID!, status: [JobStatus!], first: Int, after: String): JobConnection!
    "The next fire times (ISO 8601) of a cron expression; checks it without storing anything."
    previewSchedule(cron: String!, timezone: String, count: Int): [String!]!
  }

  extend type Mutation {
    createSchedule(input: CreateScheduleInput!): Schedule!
    "Change some fields; a new cron rule or time zone restarts the timetable from now."
    updateSchedule(id: ID!, input: UpdateScheduleInput!): Schedule!
    pauseSchedule(id: ID!): Schedule!
    "Resume; fire times missed while paused are not caught up."
    resumeSchedule(id: ID!): Schedule!
    "Run now: enqueue one job of the schedule at once."
    triggerSchedule(id: ID!): Job!
    "Delete; the jobs it enqueued stay. Returns the deleted schedule."
    deleteSchedule(id: ID!): Schedule!
  }
`;
