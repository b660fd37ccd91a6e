/** JSON schemas shared by the routes: they validate requests, shape responses and make the OpenAPI document. */
import type {} from '@fastify/swagger';
import { JOB_STATUSES } from '@jobfleet/core';
import { API_SCOPES } from './contracts.ts';

export const uuid = { type: 'string', format: 'uuid' } as const;
const nullableString = { type: ['string', 'null'] } as const;
const dateTime = { type: 'string', format: 'date-time' } as const;
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' } as const;

export const errorSchema = {
  type: 'object',
  description: 'The one error shape of the API.',
  properties: {
    error: {
      type: 'object',
      properties: {
        code: { type: 'string' },
        message: { type: 'string' },
        details: {},
      },
      required: ['code', 'message'],
    },
  },
  required: ['error'],
} as const;

/** Response schemas for the error statuses every authenticated route may return. */
export const errorResponses = {
  400: errorSchema,
  401: errorSchema,
  403: errorSchema,
  404: errorSchema,
  429: errorSchema,
  503: errorSchema,
} as const;

export const userSchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    email: { type: 'string' },
    name: nullableString,
    role: { type: 'string', enum: ['admin', 'member'] },
    disabled: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
    lastLoginAt: nullableDateTime,
  },
  required: ['id', 'email', 'role', 'disabled', 'createdAt'],
} as const;

export const apiKeySchema = {
  type: 'object',
  properties: {
    id: { type: 'string' },
    name: { type: 'string' },
    prefix: { type: 'string', description: 'The first characters of the key, to recognise it.' },
    scopes: { type: 'array', items: { type: 'string', enum: [...API_SCOPES] } },
    ownerId: { type: 'string' },
    createdAt: dateTime,
    lastUsedAt: nullableDateTime,
    expiresAt: nullableDateTime,
    revokedAt: nullableDateTime,
  },
  required: ['id', 'name', 'prefix', 'scopes', 'ownerId', 'createdAt'],
} as const;

const jobErrorSchema = {
  type: ['object', 'null'],
  properties: {
    message: { type: 'string' },
    name: { type: 'string' },
    code: { type: 'string' },
    attempt: { type: 'integer' },
    at: { type: 'string' },
    workerId: { type: 'string' },
  },
} as const;

export const jobSchema = {
  type: 'object',
  description:
    'A job. `jobId` repeats `id`, and `created_at`/`updated_at` repeat the camelCase dates, for clients of the original API.',
  properties: {
    id: { type: 'string' },
    jobId: { type: 'string' },
    type: { type: 'string' },
    queue: { type: 'string' },
    status: { type: 'string', enum: [...JOB_STATUSES] },
    payload: {},
    priority: { type: 'integer' },
    runAt: dateTime,
    attempts: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    backoff: {},
    timeoutMs: { type: ['integer', 'null'] },
    idempotencyKey: nullableString,
    ownerId: nullableString,
    batchId: nullableString,
    scheduleId: nullableString,
    metadata: {},
    result: {},
    error: jobErrorSchema,
    errors: { type: 'array', items: { ...jobErrorSchema, type: 'object' } },
    progress: { type: ['number', 'null'] },
    progressMessage: nullableString,
    logs: { type: 'array', items: { type: 'object', properties: { at: { type: 'string' }, message: { type: 'string' } } } },
    workerId: nullableString,
    cancelRequested: { type: 'boolean' },
    createdAt: dateTime,
    updatedAt: dateTime,
    startedAt: nullableDateTime,
    finishedAt: nullableDateTime,
    created_at: dateTime,
    updated_at: dateTime,
    deduplicated: { type: 'boolean', description: 'On enqueue: an idempotency key matched this existing job.' },
  },
  required: ['id', 'jobId', 'type', 'queue', 'status', 'createdAt', 'created_at'],
} as const;

export const jobTypeSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    description: nullableString,
    queue: { type: 'string' },
    payloadSchema: { description: 'JSON Schema of the payload, or null when any payload is accepted.' },
    priority: { type: 'integer' },
    maxAttempts: { type: 'integer' },
    timeoutMs: { type: ['integer', 'null'] },
    workers: { type: 'integer', description: 'Live workers serving this type.' },
    lastSeenAt: nullableDateTime,
  },
  required: ['name', 'queue', 'workers'],
} as const;

export const queueSchema = {
  type: 'object',
  properties: {
    name: { type: 'string' },
    paused: { type: 'boolean' },
    counts: { type: 'object', properties: Object.fromEntries(JOB_STATUSES.map((s) => [s, { type: 'integer' }])) },
  },
  required: ['name', 'paused', 'counts'],
} as const;

const brokerQueue = {
  type: 'object',
  properties: { messages: { type: 'integer' }, consumers: { type: 'integer' } },
} as const;

/** How jobs reach workers: postgres (claims), or rabbitmq with the outbox backlog and the broker's figures. */
export const dispatchSchema = {
  type: 'object',
  properties: {
    kind: { type: 'string', enum: ['postgres', 'rabbitmq'] },
    outbox: {
      type: 'object',
      properties: { enabled: { type: 'boolean' }, due: { type: 'integer' }, later: { type: 'integer' } },
    },
    broker: {
      type: 'object',
      properties: {
        reachable: { type: 'boolean' },
        error: { type: 'string' },
        deadLetters: { type: 'integer' },
        queues: { type: 'object', additionalProperties: brokerQueue },
      },
    },
  },
  required: ['kind'],
} as const;

export const idParams = {
  type: 'object',
  properties: { id: { type: 'string', maxLength: 100 } },
  required: ['id'],
} as const;

export const okSchema = { type: 'object', properties: { ok: { type: 'boolean' } }, required: ['ok'] } as const;
