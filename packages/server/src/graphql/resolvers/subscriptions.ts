/**
 * Subscription jobUpdated(id): the job's current state at once, then again after each event for it on
 * fleet.events. Events that arrive while the client has not yet taken the previous update are coalesced
 * (the update always carries the job as it is now, read from the database with the caller's owner scope).
 * NOTIFY is best effort, so the job is also re-read periodically: a lost event delays an update, never loses it.
 */
import type { Job, JobEventBus } from '@jobfleet/core';
import type { IResolvers } from 'mercurius';
import type { Scope } from '@jobfleet/core';
import { JOB_RECHECK_MS, ownerScope, type ServerDeps } from '../../contracts.ts';
import { requireScope, type GqlContext } from '../context.ts';
import { notFound } from '../errors.ts';

/** A change signal for one job; `seen` is the fingerprint of the state last delivered. */
interface Tick {
  jobId: string;
  scope: Scope;
  seen: string | null;
}

/** What a subscriber would see change: a re-read with the same fingerprint needs no update. */
function fingerprint(job: Job | null): string {
  if (!job) return 'gone';
  return `${job.status}|${job.attempts}|${job.updatedAt.getTime()}|${job.logs.length}|${job.cancelRequested}`;
}

/**
 * An async iterator over changes of one job. return() ends it at once (unlike an async generator
 * suspended in an await), so the bus listener never outlives the subscription. Besides the bus, it
 * re-reads the job every JOB_RECHECK_MS and signals when the job differs from what was last delivered.
 */
function jobTicks(bus: JobEventBus, read: (tick: Tick) => Promise<Job | null>, tick: Tick): AsyncIterableIterator<Tick> {
  let dirty = true; // the first tick delivers the current state
  let done = false;
  let checking = false;
  let waiting: ((r: IteratorResult<Tick>) => void) | null = null;
  const signal = () => {
    if (done) return;
    if (waiting) {
      const w = waiting;
      waiting = null;
      w({ value: tick, done: false });
    } else {
      dirty = true;
    }
  };
  const unsubscribe = bus.subscribe((e) => {
    if (e.jobId === tick.jobId) signal();
  });
  const recheck = setInterval(() => {
    if (done || dirty || checking) return;
    checking = true;
    read(tick)
      .then((job) => {
        if (fingerprint(job) !== tick.seen) signal();
      })
      .catch(() => {}) // the next recheck or event tries again
      .finally(() => {
        checking = false;
      });
  }, JOB_RECHECK_MS);
  recheck.unref();
  const finish = (): IteratorResult<Tick> => {
    if (!done) {
      done = true;
      unsubscribe();
      clearInterval(recheck);
      const w = waiting;
      waiting = null;
      w?.({ value: undefined, done: true });
    }
    return { value: undefined, done: true };
  };
  const it: AsyncIterableIterator<Tick> = {
    next() {
      if (done) return Promise.resolve({ value: undefined, done: true });
      if (dirty) {
        dirty = false;
        return Promise.resolve({ value: tick, done: false });
      }
      return new Promise((resolve) => {
        waiting = resolve;
      });
    },
    return() {
      return Promise.resolve(finish());
    },
    throw(err?: unknown) {
      finish();
      return Promise.reject(err);
    },
    [Symbol.asyncIterator]() {
      return it;
    },
  };
  return it;
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function subscriptionResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  const client = deps.fleet.client;
  return {
    Subscription: {
      jobUpdated: {
        subscribe: async (_: unknown, args: { id: string }, ctx: GqlContext) => {
          // The caller was resolved at connection time: connection_init params, else the upgrade request's cookie/headers.
          const p = requireScope(ctx, 'jobs:read');
          const scope = ownerScope(p);
          const job = await client.get(args.id, scope);
          if (!job) throw notFound(`Job "${args.id.slice(0, 100)}"`);
          const read = (t: Tick) => client.get(t.jobId, t.scope);
          return jobTicks(deps.fleet.events, read, { jobId: job.id, scope, seen: null });
        },
        resolve: async (tick: Tick): Promise<Job> => {
          const job = await client.get(tick.jobId, tick.scope);
          tick.seen = fingerprint(job);
          if (!job) throw notFound(`Job "${tick.jobId}"`);
          return job;
        },
      },
    },
  };
}
