export * from './contracts.ts';
export { buildServer, loadServerConfig, API_PREFIX, REDACT_PATHS } from './app.ts';
export { createAuthService, normaliseEmail, LoginThrottle, type AuthServiceOptions, type ThrottleOptions } from './auth/index.ts';
export { serverMigrations } from './migrations.ts';
export { ServerMetrics } from './metrics.ts';
export { toErrorResponse, isDatabaseUnavailable } from './http-errors.ts';
export { serializeJob } from './serialize.ts';
