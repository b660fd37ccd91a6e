import type { SystemFactory } from '../types.ts';

/**
 * Loads one system's module and nothing else, for worker processes: what their memory holds must be
 * their own system's libraries, not every system's (index.ts imports them all). Same ids as SYSTEMS
 * (a test keeps the two lists equal).
 */
export const LOAD_SYSTEM: Record<string, () => Promise<SystemFactory>> = {
  'jobfleet-pg': async () => {
    const { jobfleetPg } = await import('./jobfleet-pg.ts');
    return () => jobfleetPg(true);
  },
  'jobfleet-pg-norelay': async () => {
    const { jobfleetPg } = await import('./jobfleet-pg.ts');
    return () => jobfleetPg(false);
  },
  'jobfleet-pg-claim': async () => {
    const { jobfleetPg } = await import('./jobfleet-pg.ts');
    return () => jobfleetPg(true, false);
  },
  'jobfleet-rabbitmq': async () => (await import('./jobfleet-rabbitmq.ts')).jobfleetRabbitmq,
  'graphile-worker': async () => (await import('./graphile-worker.ts')).default,
  'graphile-worker-unbatched': async () => (await import('./graphile-worker-unbatched.ts')).default,
  'pg-boss': async () => (await import('./pg-boss.ts')).pgBossMatched,
  'pg-boss-large': async () => (await import('./pg-boss.ts')).pgBossLarge,
  bullmq: async () => (await import('./bullmq.ts')).default,
  'jobfleet-pglite': async () => (await import('./jobfleet-pglite.ts')).default,
};
