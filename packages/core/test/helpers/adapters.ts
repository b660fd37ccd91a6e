import { Jobfleet, type AnyJobType, type JobfleetOptions } from '../../src/index.ts';
import { createTestDatabase, pgAvailable } from '../../testing/index.ts';
import { AMQP_URL, amqpAvailable, deleteBrokerTopology } from '../../testing/rabbitmq.ts';

export type AdapterName = 'pglite' | 'pg' | 'pg+rabbitmq';

export interface Adapter {
  name: AdapterName;
  open(jobTypes: AnyJobType[], extra?: Partial<JobfleetOptions>): Promise<Jobfleet>;
  /** A database URL for opening more handles on the same data (pg only). */
  url?: string;
  cleanup(): Promise<void>;
}

/**
 * The adapters every engine test runs on: the embedded one always; real PostgreSQL when reachable; and
 * real PostgreSQL with RabbitMQ dispatch (an outbox relay per handle, names prefixed by the database's) when
 * both are reachable.
 */
export function adapters(): { name: AdapterName; make: () => Promise<Adapter> }[] {
  const list: { name: AdapterName; make: () => Promise<Adapter> }[] = [
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
  if (pgAvailable && amqpAvailable) {
    list.push({
      name: 'pg+rabbitmq',
      make: async () => {
        const db = await createTestDatabase();
        const opened: Jobfleet[] = [];
        return {
          name: 'pg+rabbitmq',
          url: db.url,
          open: async (jobTypes, extra = {}) => {
            const f = await Jobfleet.open({
              databaseUrl: db.url,
              poolSize: 5,
              jobTypes,
              dispatch: { kind: 'rabbitmq', url: AMQP_URL, prefix: db.name },
              ...extra,
            });
            opened.push(f);
            await f.createOutboxRelay({ pollMs: 50 }).start();
            return f;
          },
          cleanup: async () => {
            for (const f of opened) await f.close({ graceMs: 0 }).catch(() => {});
            for (const f of opened) {
              if (f.brokerTopology) await deleteBrokerTopology(f.brokerTopology, f.registry.queues());
            }
            await db.drop();
          },
        };
      },
    });
  }
  return list;
}
