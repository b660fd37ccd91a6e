/**
 * The API's shapes as they arrive over HTTP (JSON): camelCase, dates as ISO-8601 strings.
 * They mirror @jobfleet/core's Job and @jobfleet/server's contracts without importing them,
 * so that this package stays free of Node-only code and runs in the browser.
 */

export const JOB_STATUSES = ['SCHEDULED', 'QUEUED', 'RUNNING', 'COMPLETED', 'FAILED', 'DEAD', 'CANCELLED'] as const;
export type JobStatus = (typeof JOB_STATUSES)[number];
export const FINISHED_STATUSES: readonly JobStatus[] = ['COMPLETED', 'DEAD', 'CANCELLED'];

export type Role = 'admin' | 'member';
export type ApiScope = 'jobs:read' | 'jobs:write' | 'schedules:read' | 'schedules:write' | 'admin';

/** An ISO-8601 timestamp as sent by the API. */
export type IsoDate = string;

export interface JobError {
  message: string;
  name?: string;
  code?: string;
  stack?: string;
  attempt: number;
  at: IsoDate;
  workerId?: string;
}

export interface JobLogLine {
  at: IsoDate;
  message: string;
}

export interface Job {
  id: string;
  type: string;
  queue: string;
  status: JobStatus;
  payload: unknown;
  priority: number;
  runAt: IsoDate;
  attempts: number;
  maxAttempts: number;
  backoff?: unknown;
  timeoutMs: number | null;
  idempotencyKey: string | null;
  ownerId: string | null;
  batchId: string | null;
  scheduleId: string | null;
  metadata: Record<string, unknown> | null;
  result: unknown;
  error: JobError | null;
  errors: JobError[];
  progress: number | null;
  progressMessage: string | null;
  logs: JobLogLine[];
  workerId: string | null;
  cancelRequested: boolean;
  createdAt: IsoDate;
  updatedAt: IsoDate;
  startedAt: IsoDate | null;
  finishedAt: IsoDate | null;
  /** Present on submit: true when an idempotency key matched an existing job. */
  deduplicated?: boolean;
}

export interface JobType {
  name: string;
  description: string | null;
  queue: string;
  payloadSchema: Record<string, unknown> | null;
  priority: number;
  maxAttempts: number;
  backoff: unknown;
  timeoutMs: number | null;
  workers: number;
  lastSeenAt: IsoDate | null;
}

export interface User {
  id: string;
  email: string;
  name: string | null;
  role: Role;
  disabled: boolean;
  createdAt: IsoDate;
  updatedAt: IsoDate;
  lastLoginAt: IsoDate | null;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: ApiScope[];
  ownerId: string;
  createdAt: IsoDate;
  lastUsedAt: IsoDate | null;
  expiresAt: IsoDate | null;
  revokedAt: IsoDate | null;
}

export interface Queue {
  name: string;
  paused: boolean;
  counts: Record<JobStatus, number>;
}

export interface TokenPair {
  token: string;
  refreshToken: string;
  expiresIn: number;
}

export interface LoginResult extends TokenPair {
  user: User;
}

export interface EnqueueOptions {
  queue?: string;
  priority?: number;
  runAt?: string | Date;
  delay?: number;
  maxAttempts?: number;
  backoff?: unknown;
  timeout?: number;
  idempotencyKey?: string;
  metadata?: Record<string, unknown>;
}

export interface SubmitJob {
  type: string;
  payload?: unknown;
  options?: EnqueueOptions;
}

export interface ListJobsQuery {
  status?: JobStatus | JobStatus[];
  type?: string;
  queue?: string;
  batchId?: string;
  scheduleId?: string;
  createdAfter?: string | Date;
  createdBefore?: string | Date;
  limit?: number;
  cursor?: string;
}

export interface JobPage {
  jobs: Job[];
  nextCursor: string | null;
}

export interface ReplayFilter {
  ids?: string[];
  type?: string;
  queue?: string;
}

export interface Health {
  status: string;
  [key: string]: unknown;
}

/** One server-sent event. `data` is parsed JSON when it parses, else the raw text. */
export interface ServerSentEvent<T = unknown> {
  event: string;
  data: T;
  id?: string;
}
