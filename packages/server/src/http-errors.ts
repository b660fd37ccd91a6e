import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { JobfleetError } from '@jobfleet/core';
import { ApiError } from './contracts.ts';

export interface ErrorBody {
  error: { code: string; message: string; details?: unknown };
}

/** Engine error codes and the HTTP status each maps to. */
const CORE_STATUS: Record<string, number> = {
  UNKNOWN_JOB_TYPE: 422,
  INVALID_PAYLOAD: 422,
  INVALID_OPTION: 400,
  JOB_NOT_FOUND: 404,
  INVALID_STATE: 409,
  INVALID_CRON: 400,
  INVALID_TIMEZONE: 400,
  SCHEDULE_NOT_FOUND: 404,
  SCHEDULE_NAME_TAKEN: 409,
  SCHEDULE_READ_ONLY: 409,
  // The database restarted between a direct start's commit and its flush: submitting again is right.
  ENQUEUE_LOST: 503,
};

/** Errors that mean the database cannot be reached right now (network, shutdown, too many connections). */
const DB_DOWN_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EPIPE',
  'EHOSTUNREACH',
  '57P01', // admin_shutdown
  '57P02', // crash_shutdown
  '57P03', // cannot_connect_now
  '08000', // connection_exception
  '08001', // sqlclient_unable_to_establish_sqlconnection
  '08003', // connection_does_not_exist
  '08004', // sqlserver_rejected_establishment_of_sqlconnection
  '08006', // connection_failure
  '53300', // too_many_connections
]);
const DB_DOWN_MESSAGES =
  /connection terminated|timeout exceeded when trying to connect|Connection terminated unexpectedly|PGlite is closed|Client has encountered a connection error|Cannot use a pool after calling end/i;

/**
 * PostgreSQL refused a value the request carried: a "data exception" (SQLSTATE class 22: a NUL character
 * or an unpaired surrogate in text or JSON, a date out of range, a number out of range...) or a program
 * limit (54000, e.g. a value too large for an index). The caller's fault, not the server's: 400.
 */
export function isRejectedValue(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && /^(?:22[0-9A-Z]{3}|54000)$/.test(code);
}

export const REJECTED_VALUE_MESSAGE =
  'A value in the request cannot be stored or compared: text must not contain NUL characters or unpaired surrogates, and dates and numbers must be within range.';

export function isDatabaseUnavailable(err: unknown): boolean {
  const e = err as { code?: unknown; message?: unknown; errors?: unknown } | null;
  if (!e || typeof e !== 'object') return false;
  if (typeof e.code === 'string' && DB_DOWN_CODES.has(e.code)) return true;
  if (typeof e.message === 'string' && DB_DOWN_MESSAGES.test(e.message)) return true;
  if (Array.isArray(e.errors)) return e.errors.some(isDatabaseUnavailable);
  return false;
}

interface AjvIssue {
  instancePath?: string;
  message?: string;
  keyword?: string;
  params?: Record<string, unknown>;
}

function validationIssues(err: FastifyError): { path: string; message: string }[] {
  const context = (err as { validationContext?: string }).validationContext ?? 'body';
  const list = (err.validation ?? []) as AjvIssue[];
  return list.slice(0, 50).map((v) => {
    let path = (v.instancePath ?? '').replace(/^\//, '').replaceAll('/', '.');
    if (v.keyword === 'required' && typeof v.params?.missingProperty === 'string') {
      path = path ? `${path}.${v.params.missingProperty}` : v.params.missingProperty;
    }
    if (v.keyword === 'additionalProperties' && typeof v.params?.additionalProperty === 'string') {
      path = path ? `${path}.${v.params.additionalProperty}` : v.params.additionalProperty;
    }
    return { path: path ? `${context}.${path}` : context, message: v.message ?? 'is invalid' };
  });
}

/** Turns anything thrown into the API's status and error body. Never exposes a stack or an internal message. */
export function toErrorResponse(err: unknown): { status: number; body: ErrorBody; retryAfter?: number } {
  if (err instanceof ApiError) {
    const retry = (err.details as { retryAfter?: unknown } | undefined)?.retryAfter;
    return {
      status: err.status,
      body: { error: { code: err.code, message: err.message, details: err.details ?? null } },
      retryAfter: typeof retry === 'number' ? retry : undefined,
    };
  }
  if (err instanceof JobfleetError && CORE_STATUS[err.code]) {
    return {
      status: CORE_STATUS[err.code] as number,
      body: { error: { code: err.code, message: err.message, details: err.details ?? null } },
    };
  }
  const fe = err as FastifyError;
  if (fe && Array.isArray(fe.validation)) {
    const issues = validationIssues(fe);
    const summary = issues.map((i) => `${i.path} ${i.message}`).join('; ');
    return {
      status: 400,
      body: { error: { code: 'VALIDATION_FAILED', message: `Invalid request: ${summary}`, details: { issues } } },
    };
  }
  if (isRejectedValue(err)) {
    return {
      status: 400,
      body: {
        error: {
          code: 'VALIDATION_FAILED',
          message: REJECTED_VALUE_MESSAGE,
          details: { issues: [{ path: 'request', message: REJECTED_VALUE_MESSAGE }] },
        },
      },
    };
  }
  if (isDatabaseUnavailable(err)) {
    return {
      status: 503,
      body: {
        error: { code: 'DATABASE_UNAVAILABLE', message: 'The database is unreachable; try again shortly.', details: null },
      },
      retryAfter: 5,
    };
  }
  const status = typeof fe?.statusCode === 'number' ? fe.statusCode : 500;
  if (status >= 400 && status < 500) {
    switch (fe.code) {
      case 'FST_ERR_CTP_INVALID_JSON_BODY':
      case 'FST_ERR_CTP_EMPTY_JSON_BODY':
        return {
          status: 400,
          body: { error: { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.', details: null } },
        };
      case 'FST_ERR_CTP_BODY_TOO_LARGE':
        return {
          status: 413,
          body: { error: { code: 'PAYLOAD_TOO_LARGE', message: 'The request body is too large.', details: null } },
        };
      case 'FST_ERR_BAD_URL':
        return {
          status: 400,
          body: { error: { code: 'BAD_URL', message: 'The URL is not valid (bad percent-encoding).', details: null } },
        };
      case 'FST_ERR_MAX_PARAM_LENGTH':
        return {
          status: 414,
          body: { error: { code: 'URI_TOO_LONG', message: 'A path parameter of the URL is too long.', details: null } },
        };
      case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
        return {
          status: 415,
          body: {
            error: { code: 'UNSUPPORTED_MEDIA_TYPE', message: 'Send the request body as application/json.', details: null },
          },
        };
    }
    if ((err as SyntaxError) instanceof SyntaxError) {
      return {
        status: 400,
        body: { error: { code: 'MALFORMED_JSON', message: 'The request body is not valid JSON.', details: null } },
      };
    }
    const code =
      status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 404 ? 'NOT_FOUND' : status === 429 ? 'RATE_LIMITED' : 'BAD_REQUEST';
    // Fastify's own 4xx messages describe the request, not the server: safe to show.
    return { status, body: { error: { code, message: fe.message || 'Bad request.', details: null } } };
  }
  return {
    status: 500,
    body: { error: { code: 'INTERNAL_ERROR', message: 'Something went wrong on our side.', details: null } },
  };
}

export function sendError(err: unknown, request: FastifyRequest, reply: FastifyReply): FastifyReply {
  const { status, body, retryAfter } = toErrorResponse(err);
  if (status >= 500) request.log.error({ err }, 'request failed');
  else if (status !== 401 && status !== 404) request.log.info({ code: body.error.code }, body.error.message);
  if (retryAfter !== undefined) reply.header('retry-after', String(retryAfter));
  return reply.status(status).type('application/json; charset=utf-8').send(body);
}
