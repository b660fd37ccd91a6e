import type { SystemFactory } from '../types.ts';
import bullmq from './bullmq.ts';
import graphileWorker from './graphile-worker.ts';
import graphileWorkerUnbatched from './graphile-worker-unbatched.ts';
import { jobfleetPg } from './jobfleet-pg.ts';
import jobfleetPglite from './jobfleet-pglite.ts';
import { jobfleetRabbitmq } from './jobfleet-rabbitmq.ts';
import { pgBossLarge, pgBossMatched } from './pg-boss.ts';

/** Every system, by id, in the order the tables list them. */
export const SYSTEMS: Record<string, SystemFactory> = {
  'jobfleet-pg': () => jobfleetPg(true),
  'jobfleet-pg-norelay': () => jobfleetPg(false),
  'jobfleet-pg-claim': () => jobfleetPg(true, false),
  'jobfleet-rabbitmq': jobfleetRabbitmq,
  'graphile-worker': graphileWorker,
  'graphile-worker-unbatched': graphileWorkerUnbatched,
  'pg-boss': pgBossMatched,
  'pg-boss-large': pgBossLarge,
  bullmq,
  'jobfleet-pglite': jobfleetPglite,
};

export const isJobfleet = (id: string): boolean => id.startsWith('jobfleet');
/** Systems that take part in the PostgreSQL/Redis comparison (PGlite has no peers). */
export const isEmbedded = (id: string): boolean => id === 'jobfleet-pglite';
