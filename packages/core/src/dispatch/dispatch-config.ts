import { InvalidOptionError } from '../errors.ts';

/** How workers learn of jobs: by claiming from PostgreSQL (default), or from RabbitMQ messages fed by the outbox. */
export type DispatchConfig =
  | { kind: 'postgres' }
  | {
      kind: 'rabbitmq';
      /** amqp://user:pass@host:5672/vhost */
      url: string;
      /** Quorum queues instead of classic priority queues. */
      quorum?: boolean;
      /** First part of exchange and queue names (default "jobfleet"). */
      prefix?: string;
    };

const PREFIX = /^[A-Za-z0-9][\w.:-]{0,63}$/;

/** Reads JOBFLEET_DISPATCH (postgres | rabbitmq), AMQP_URL, JOBFLEET_AMQP_QUORUM and JOBFLEET_AMQP_PREFIX. */
export function dispatchFromEnv(env: NodeJS.ProcessEnv = process.env): DispatchConfig {
  const kind = (env.JOBFLEET_DISPATCH ?? 'postgres').trim().toLowerCase();
  if (kind === 'postgres' || kind === '') return { kind: 'postgres' };
  if (kind === 'rabbitmq') {
    const url = env.AMQP_URL?.trim() || 'amqp://guest:guest@127.0.0.1:5672';
    if (!/^amqps?:\/\//.test(url)) throw new InvalidOptionError(`AMQP_URL must start with amqp:// or amqps:// (got "${url}").`);
    const prefix = env.JOBFLEET_AMQP_PREFIX?.trim() || 'jobfleet';
    if (!PREFIX.test(prefix)) {
      throw new InvalidOptionError(
        'JOBFLEET_AMQP_PREFIX is 1–64 characters: letters, digits, _ . : - (starting with a letter or digit).',
      );
    }
    const quorum = ['1', 'true', 'yes'].includes((env.JOBFLEET_AMQP_QUORUM ?? '').toLowerCase());
    return { kind: 'rabbitmq', url, quorum, prefix };
  }
  throw new InvalidOptionError(`JOBFLEET_DISPATCH must be "postgres" or "rabbitmq" (got "${env.JOBFLEET_DISPATCH}").`);
}
