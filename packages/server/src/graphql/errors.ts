/**
 * One mapping from whatever was thrown to a GraphQL error with `extensions.code`: ApiError keeps its code,
 * engine errors get a stable API code, GraphQL document problems are VALIDATION_FAILED, anything else is
 * INTERNAL with a generic message (the real error is logged, never sent). Stack traces never leave.
 */
import { JobfleetError } from '@jobfleet/core';
import type { FastifyBaseLogger } from 'fastify';
import { GraphQLError, type ExecutionResult } from './graphql-js.ts';
import type { MercuriusContext } from 'mercurius';
import { ApiError } from '../contracts.ts';
import { isDatabaseUnavailable, isRejectedValue, REJECTED_VALUE_MESSAGE } from '../http-errors.ts';

export interface SafeError {
  code: string;
  message: string;
  /** HTTP-like status, used for the response status when nothing executed. */
  status: number;
  /** The more specific code behind a generic one (e.g. INVALID_TOKEN behind UNAUTHENTICATED). */
  reason?: string;
  details?: unknown;
}

/** Engine error codes as the API shows them. */
const CORE_CODES: Record<string, { code: string; status: number }> = {
  UNKNOWN_JOB_TYPE: { code: 'UNKNOWN_JOB_TYPE', status: 400 },
  INVALID_PAYLOAD: { code: 'INVALID_PAYLOAD', status: 400 },
  INVALID_OPTION: { code: 'VALIDATION_FAILED', status: 400 },
  JOB_NOT_FOUND: { code: 'NOT_FOUND', status: 404 },
  INVALID_STATE: { code: 'INVALID_STATE', status: 409 },
  INVALID_CRON: { code: 'INVALID_CRON', status: 400 },
  INVALID_TIMEZONE: { code: 'INVALID_TIMEZONE', status: 400 },
  SCHEDULE_NOT_FOUND: { code: 'NOT_FOUND', status: 404 },
  SCHEDULE_NAME_TAKEN: { code: 'SCHEDULE_NAME_TAKEN', status: 409 },
  SCHEDULE_READ_ONLY: { code: 'SCHEDULE_READ_ONLY', status: 409 },
  ENQUEUE_LOST: { code: 'ENQUEUE_LOST', status: 503 },
};

const API_STATUS_CODES: Record<number, string> = {
  400: 'VALIDATION_FAILED',
  401: 'UNAUTHENTICATED',
  403: 'FORBIDDEN',
  404: 'NOT_FOUND',
  409: 'CONFLICT',
  429: 'RATE_LIMITED',
};

const INTERNAL: SafeError = { code: 'INTERNAL', message: 'Internal server error.', status: 500 };

/** A GraphQL error raised on purpose by this layer. */
export function gqlError(code: string, message: string, details?: unknown): GraphQLError {
  return new GraphQLError(message, { extensions: details === undefined ? { code } : { code, details } });
}

export const unauthenticated = () =>
  gqlError('UNAUTHENTICATED', 'Authentication required: log in, or send a token or an API key.');
export const forbidden = (what: string) => gqlError('FORBIDDEN', `You may not ${what}.`);
export const notFound = (what: string) => gqlError('NOT_FOUND', `${what} was not found (or you may not see it).`);
export const invalid = (message: string, details?: unknown) => gqlError('VALIDATION_FAILED', message, details);

function isOurGraphQLError(e: GraphQLError): boolean {
  return typeof e.extensions?.code === 'string' && !e.originalError;
}

/** Classifies anything thrown (GraphQL errors are unwrapped to what the resolver or framework threw). */
export function classify(err: unknown, log?: FastifyBaseLogger): SafeError {
  if (err instanceof ApiError) {
    if (err.status >= 500) {
      log?.error({ err }, 'GraphQL internal error');
      return INTERNAL;
    }
    // 400/401/403/404 use one code each (what clients branch on); the service's own code becomes the reason.
    const generic = err.status === 409 || err.status === 429 ? undefined : API_STATUS_CODES[err.status];
    const code = generic ?? (err.code || 'BAD_REQUEST');
    const out: SafeError = { code, message: err.message, status: err.status };
    if (err.code && err.code !== code) out.reason = err.code;
    if (err.details !== undefined && err.details !== null) out.details = err.details;
    return out;
  }
  if (err instanceof JobfleetError) {
    const mapped = CORE_CODES[err.code];
    if (!mapped) {
      log?.error({ err }, 'GraphQL internal error');
      return INTERNAL;
    }
    const out: SafeError = { code: mapped.code, message: err.message, status: mapped.status };
    if (err.details !== undefined) out.details = err.details;
    return out;
  }
  if (err instanceof GraphQLError) {
    if (isOurGraphQLError(err)) {
      const out: SafeError = {
        code: err.extensions.code as string,
        message: err.message,
        status: statusOf(err.extensions.code as string),
      };
      if (err.extensions.details !== undefined) out.details = err.extensions.details;
      return out;
    }
    if (err.originalError) {
      const inner = err.originalError;
      // graphql-js' own wrapping (e.g. a variable that does not coerce): the outer message says more.
      if (!err.path && inner instanceof GraphQLError && !isOurGraphQLError(inner)) {
        return { code: 'VALIDATION_FAILED', message: err.message, status: 400 };
      }
      // What a resolver threw, or a Fastify/Mercurius request error, or a bug (INTERNAL).
      return classify(inner, log);
    }
    if (err.path) {
      // e.g. a non-null field that resolved to null: our bug, not the caller's.
      log?.error({ err }, 'GraphQL internal error');
      return INTERNAL;
    }
    if (err.message.startsWith('Syntax Error')) return { code: 'GRAPHQL_PARSE_FAILED', message: err.message, status: 400 };
    return { code: 'VALIDATION_FAILED', message: err.message, status: 400 };
  }
  const fw = err instanceof Error ? fromFrameworkError(err) : null;
  if (fw) return fw;
  if (isRejectedValue(err)) return { code: 'VALIDATION_FAILED', message: REJECTED_VALUE_MESSAGE, status: 400 };
  if (isDatabaseUnavailable(err)) {
    log?.error({ err }, 'GraphQL request failed: database unavailable');
    return { code: 'DATABASE_UNAVAILABLE', message: 'The database is unreachable; try again shortly.', status: 503 };
  }
  log?.error({ err }, 'GraphQL internal error');
  return INTERNAL;
}

/** Fastify and Mercurius request errors (depth limit, bad body, wrong method...). */
function fromFrameworkError(err: Error): SafeError | null {
  const e = err as Error & { code?: unknown; statusCode?: unknown };
  if (typeof e.code !== 'string') return null;
  if (e.code === 'MER_ERR_GQL_QUERY_DEPTH') return { code: 'QUERY_TOO_DEEP', message: e.message, status: 400 };
  if (e.code === 'MER_ERR_METHOD_NOT_ALLOWED')
    return { code: 'METHOD_NOT_ALLOWED', message: 'Mutations need a POST request.', status: 405 };
  if (e.code === 'MER_ERR_GQL_PERSISTED_QUERY_NOT_FOUND' || e.code === 'MER_ERR_GQL_PERSISTED_QUERY_NOT_SUPPORTED') {
    return { code: 'BAD_REQUEST', message: e.message, status: 400 };
  }
  const status = typeof e.statusCode === 'number' ? e.statusCode : 0;
  if ((e.code.startsWith('MER_ERR_') || e.code.startsWith('FST_')) && status >= 400 && status < 500) {
    return {
      code: status === 413 ? 'PAYLOAD_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : 'BAD_REQUEST',
      message: e.message,
      status,
    };
  }
  return null;
}

function statusOf(code: string): number {
  switch (code) {
    case 'UNAUTHENTICATED':
      return 401;
    case 'FORBIDDEN':
      return 403;
    case 'NOT_FOUND':
      return 404;
    case 'INTERNAL':
      return 500;
    case 'DATABASE_UNAVAILABLE':
      return 503;
    default:
      return 400;
  }
}

/** A GraphQL error safe to send: message, locations, path, and extensions { code, details? } only. */
export function toSafeGraphQLError(err: unknown, log?: FastifyBaseLogger): GraphQLError {
  const safe = classify(err, log);
  const located = err instanceof GraphQLError ? err : undefined;
  const extensions: Record<string, unknown> = { code: safe.code };
  if (safe.reason !== undefined) extensions.reason = safe.reason;
  if (safe.details !== undefined) extensions.details = safe.details;
  const out = new GraphQLError(safe.message, { path: located?.path, extensions });
  if (located?.locations) (out as { locations?: unknown }).locations = located.locations;
  return out;
}

/** Mercurius' validation wrapper (MER_ERR_GQL_VALIDATION) carries the real errors in `.errors`. */
function flatten(errors: readonly GraphQLError[]): GraphQLError[] {
  const out: GraphQLError[] = [];
  for (const e of errors) {
    const orig = e.originalError as { errors?: unknown; code?: unknown } | undefined;
    const inner = orig?.code === 'MER_ERR_GQL_VALIDATION' ? orig.errors : undefined;
    if (Array.isArray(inner)) {
      for (const i of inner)
        out.push(i instanceof GraphQLError ? i : new GraphQLError((i as Error).message, { originalError: i as Error }));
    } else {
      out.push(e);
    }
  }
  return out;
}

/** Mercurius errorFormatter: every error mapped through toSafeGraphQLError. */
export function errorFormatter(
  execution: ExecutionResult & Required<Pick<ExecutionResult, 'errors'>>,
  context: MercuriusContext,
): { statusCode: number; response: ExecutionResult } {
  const log = (context?.reply?.log ?? context?.app?.log) as FastifyBaseLogger | undefined;
  const flat = flatten(execution.errors);
  const errors = flat.map((e) => toSafeGraphQLError(e, log));
  let statusCode = 200;
  if (!('data' in execution) || execution.data === undefined) {
    // Nothing executed: the request itself was refused.
    const first = flat[0];
    statusCode = first ? classify(first).status : 400;
    if (statusCode >= 500 || statusCode === 401 || statusCode === 403 || statusCode === 404)
      statusCode = statusCode >= 500 ? 500 : 200;
  }
  return { statusCode, response: { data: execution.data ?? null, errors } };
}
