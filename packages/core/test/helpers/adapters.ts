import { Jobfleet, type AnyJobType, type JobfleetOptions } from '../../src/index.ts';
import { createTestDatabase, pgAvailable } from '../../testing/index.ts';

export interface Adapter {
  name: 'pglite' | 'pg';
  open(jobTypes: AnyJobType[], extra?: Partial<JobfleetOptions>): Promise<Jobfleet>;
  /** A database URL for opening more handles on the same data (pg only). */
  url?: string;
  cleanup(): Promise<void>;
}

/** The adapters every engine test runs on: the embedded one always, real PostgreSQL when reachable. */
export function adapters(): { name: 'pglite' | 'pg'; make: () => Promise<Adapter> }[] {
  const list: { name: 'pglite' | 'pg'; make: () => Promise<Adapter> }[] = [
    {
      name: 'pglite',
      make: async () => {
        const opened: Jobfleet[] = [];
        return {
          name: 'pglite',
          open: async (jobTypes, extra = {}) => {
            const f = await Jobfleet.open({ memory: true, jobTypes, ...extra });
            opened.push(f);
            return f;
          },
          cleanup: async () => {
            for (const f of opened) await f.close({ graceMs: 0 }).catch(() => {});
          },
        };
      },
    },
  ];
  if (pgAvailable) {
    list.push({
      name: 'pg',
      make: async () => {
        const db = await createTestDatabase();
        const opened: Jobfleet[] = [];
        return {
          name: 'pg',
          url: db.url,
          open: async (jobTypes, extra = {}) => {
            const f = await Jobfleet.open({ databaseUrl: db.url, poolSize: 5, jobTypes, ...extra });
            opened.push(f);
            return f;
          },
          cleanup: async () => {
            for (const f of opened) await f.close({ graceMs: 0 }).catch(() => {});
            await db.drop();
          },
        };
      },
    });
  }
  return list;
}
