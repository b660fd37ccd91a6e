import type { FastifyPluginAsync } from 'fastify';
import { coreMigrations, pendingMigrations } from '@jobfleet/core';
import { ApiError, type ServerDeps } from '../contracts.ts';
import { serverMigrations } from '../migrations.ts';
import type { ServerMetrics } from '../metrics.ts';
import { requireScope } from '../principal.ts';
import { errorSchema } from '../schemas.ts';

/** Liveness, readiness and Prometheus metrics. No authentication (metrics: see `metricsPublic`). */
export const healthRoutes: FastifyPluginAsync<ServerDeps & { metrics: ServerMetrics }> = async (
  app,
  { fleet, config, metrics },
) => {
  const tags = ['health'];
  app.get(
    '/healthz',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'Liveness: the process serves requests',
        response: { 200: { type: 'object', properties: { status: { type: 'string' } } } },
      },
    },
    async () => ({ status: 'ok' }),
  );

  app.get(
    '/readyz',
    {
      config: { rateLimit: false },
      schema: {
        tags,
        summary: 'Readiness: the database answers and no migration is pending (503 otherwise)',
        response: {
          200: { type: 'object', properties: { status: { type: 'string' }, database: { type: 'string' } } },
          503: errorSchema,
        },
      },
    },
    async () => {
      let pending: string[];
      try {
        await fleet.db.query('SELECT 1');
        pending = await pendingMigrations(fleet.db, {
          schema: fleet.schema,
          migrations: [...coreMigrations(), ...serverMigrations()],
        });
      } catch {
        throw new ApiError(503, 'DATABASE_UNAVAILABLE', 'The database is unreachable.', { database: 'unreachable' });
      }
      if (pending.length) {
        throw new ApiError(503, 'MIGRATIONS_PENDING', `${pending.length} migration(s) not applied yet.`, {
          pendingMigrations: pending,
        });
      }
      return { status: 'ready', database: fleet.db.kind };
    },
  );

  app.get(
    '/metrics',
    {
      config: { rateLimit: false },
      preHandler: config.metricsPublic === false ? requireScope('admin') : undefined,
      schema: { tags, summary: 'Prometheus metrics (text exposition format)', produces: ['text/plain'] },
    },
    async (_request, reply) => {
      const body = await metrics.registry.metrics();
      return reply.type(metrics.registry.contentType).send(body);
    },
  );
};
