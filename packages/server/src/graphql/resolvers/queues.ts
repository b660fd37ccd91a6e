/** Queues: list with counts (jobs:read), pause and resume (admin). */
import type { QueueInfo } from '@jobfleet/core';
import type { IResolvers } from 'mercurius';
import type { ServerDeps } from '../../contracts.ts';
import { requireScope, type GqlContext } from '../context.ts';

function queueView(q: QueueInfo) {
  const c = q.counts;
  return {
    name: q.name,
    paused: q.paused,
    counts: {
      scheduled: c.SCHEDULED ?? 0,
      queued: c.QUEUED ?? 0,
      running: c.RUNNING ?? 0,
      completed: c.COMPLETED ?? 0,
      failed: c.FAILED ?? 0,
      dead: c.DEAD ?? 0,
      cancelled: c.CANCELLED ?? 0,
      total: Object.values(c).reduce((s, n) => s + Number(n), 0),
    },
  };
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function queuesResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  const client = deps.fleet.client;
  async function one(name: string) {
    const q = (await client.queues()).find((x) => x.name === name);
    return queueView(q ?? { name, paused: false, counts: {} as QueueInfo['counts'] });
  }
  return {
    Query: {
      queues: async (_: unknown, __: unknown, ctx: GqlContext) => {
        requireScope(ctx, 'jobs:read');
        return (await client.queues()).map(queueView);
      },
    },
    Mutation: {
      pauseQueue: async (_: unknown, args: { name: string }, ctx: GqlContext) => {
        requireScope(ctx, 'admin');
        await client.pauseQueue(args.name);
        return one(args.name);
      },
      resumeQueue: async (_: unknown, args: { name: string }, ctx: GqlContext) => {
        requireScope(ctx, 'admin');
        await client.resumeQueue(args.name);
        return one(args.name);
      },
    },
  };
}
