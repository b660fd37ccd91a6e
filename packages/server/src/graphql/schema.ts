import { scheduleTypeDefs } from './schedules-schema.ts';

/**
 * The GraphQL schema (SDL). Names follow the seeds where they exist (login, createUser, executeJob, jobs,
 * user(userId)), with the argument spellings of every seed accepted side by side.
 */
export const typeDefs = /* GraphQL */ `
  "Any JSON value: object, array, string, number, boolean or null."
  scalar JSON

  enum Role {
    ADMIN
    MEMBER
  }

  enum JobStatus {
    SCHEDULED
    QUEUED
    RUNNING
    COMPLETED
    FAILED
    DEAD
    CANCELLED
  }

  type User {
    id: ID!
    email: String!
    name: String
    role: Role!
    disabled: Boolean!
    createdAt: String!
    updatedAt: String!
    lastLoginAt: String
  }

  type AuthPayload {
    "The access token (a JWT); also set as the HTTP-only cookie jobfleet_token."
    token: String!
    refreshToken: String!
    "Seconds until token expires."
    expiresIn: Int!
    user: User!
  }

  input LoginInput {
    email: String!
    password: String!
  }

  input CreateUserInput {
    email: String!
    password: String!
    name: String
    role: Role
  }

  "One failed attempt. Stack traces are never exposed."
  type JobError {
    message: String!
    name: String
    code: String
    attempt: Int
    at: String
  }

  "A submitted job: one instance of a job type."
  type Job {
    id: ID!
    "The job type's name (the seeds call it the job's name); same as type."
    name: String!
    "The job type's description."
    description: String
    type: String!
    queue: String!
    status: JobStatus!
    payload: JSON
    result: JSON
    "The most recent attempt's error."
    error: JobError
    errors: [JobError!]!
    attempts: Int!
    maxAttempts: Int!
    priority: Int!
    "0-100, when the handler reports progress."
    progress: Float
    progressMessage: String
    ownerId: ID
    batchId: ID
    idempotencyKey: String
    "True when executeJob matched an existing job by idempotency key (only set by executeJob)."
    deduplicated: Boolean
    cancelRequested: Boolean!
    runAt: String!
    createdAt: String!
    updatedAt: String!
    startedAt: String
    finishedAt: String
  }

  type JobConnection {
    nodes: [Job!]!
    "Pass as 'after' to get the next page; null on the last page."
    nextCursor: String
  }

  "A job type: a named definition that jobs are submitted against."
  type JobType {
    name: String!
    description: String
    queue: String!
    payloadSchema: JSON
    priority: Int!
    maxAttempts: Int!
    timeoutMs: Int
    "Live workers serving this type."
    workers: Int!
    lastSeenAt: String
  }

  type QueueCounts {
    scheduled: Int!
    queued: Int!
    running: Int!
    completed: Int!
    failed: Int!
    dead: Int!
    cancelled: Int!
    total: Int!
  }

  type Queue {
    name: String!
    paused: Boolean!
    counts: QueueCounts!
  }

  input JobsFilter {
    status: [JobStatus!]
    "Job type name."
    type: String
    "Same as type (the seeds' word)."
    name: String
    queue: String
    "Admins only; members always see their own jobs."
    ownerId: ID
    batchId: ID
    "ISO 8601 date-time."
    createdAfter: String
    createdBefore: String
  }

  input JobTypesFilter {
    "Exact job type name."
    name: String
    queue: String
    "Case-insensitive substring of the name or description."
    search: String
  }

  input JobOptionsInput {
    queue: String
    priority: Int
    "Milliseconds from now."
    delay: Int
    "ISO 8601 date-time; not with delay."
    runAt: String
    maxAttempts: Int
    "Milliseconds per attempt."
    timeout: Int
    idempotencyKey: String
    metadata: JSON
  }

  input ExecuteJobInput {
    "The job type's name."
    name: String!
    "The payload, passed unchanged to the job type's schema (an object, an array, a JSON string...)."
    data: JSON
    options: JobOptionsInput
  }

  type Query {
    "The caller."
    me: User!
    "A user by id (id or the seeds' userId)."
    user(id: ID, userId: String): User!
    "Every user (admin)."
    users: [User!]!
    "The job types that can be executed."
    jobTypes(filter: JobTypesFilter): [JobType!]!
    jobType(name: String!): JobType
    """
    Submitted jobs, newest first. (Seed 000's jobs(jobsFilter) listed job types; here 'jobs' are submitted jobs,
    as in the rest of the API, and job types are listed by jobTypes. jobsFilter is accepted as a synonym of filter.)
    """
    jobs(filter: JobsFilter, jobsFilter: JobsFilter, first: Int, after: String): JobConnection!
    job(id: ID!): Job
    "Queues with their job counts by state."
    queues: [Queue!]!
  }

  type Mutation {
    "Log in (input, or seed 000's loginInput). Also sets the jobfleet_token cookie."
    login(input: LoginInput, loginInput: LoginInput): AuthPayload!
    "Create a user (input, or seed 000's createUserInput); needs an authenticated caller."
    createUser(input: CreateUserInput, createUserInput: CreateUserInput): User!
    """
    Submit a job: executeJob(input: {name, data, options}), executeJob(executeJobInput: ...), or
    executeJob(jobName: "Fibonacci") with an optional data argument.
    """
    executeJob(input: ExecuteJobInput, executeJobInput: ExecuteJobInput, jobName: String, data: JSON): Job!
    cancelJob(id: ID!): Job!
    "Run a FAILED job now, or replay a DEAD or CANCELLED one."
    retryJob(id: ID!): Job!
    "Admin."
    pauseQueue(name: String!): Queue!
    "Admin."
    resumeQueue(name: String!): Queue!
  }

  type Subscription {
    "The job's current state at once, then again each time it changes."
    jobUpdated(id: ID!): Job!
  }
  ${scheduleTypeDefs}
`;
