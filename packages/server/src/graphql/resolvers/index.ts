import { GraphQLScalarType, Kind, valueFromASTUntyped } from '../graphql-js.ts';
import type { IResolvers } from 'mercurius';
import type { ServerDeps } from '../../contracts.ts';
import type { GqlContext } from '../context.ts';
import { authResolvers } from './auth.ts';
import { jobsResolvers } from './jobs.ts';
import { queuesResolvers } from './queues.ts';
import { schedulesResolvers } from './schedules.ts';
import { subscriptionResolvers } from './subscriptions.ts';

export const JSONScalar = new GraphQLScalarType({
  name: 'JSON',
  description: 'Any JSON value.',
  serialize: (v) => v,
  parseValue: (v) => v,
  parseLiteral: (ast, variables) => (ast.kind === Kind.NULL ? null : valueFromASTUntyped(ast, variables)),
});

/** Merges the per-area resolver maps (each area owns its own fields; type maps are merged field by field). */
// eslint-disable-next-line @typescript-eslint/no-explicit-any -- each type's field resolvers receive their own parent type
export function createResolvers(deps: ServerDeps): IResolvers<any, GqlContext> {
  const parts = [
    authResolvers(deps),
    jobsResolvers(deps),
    queuesResolvers(deps),
    subscriptionResolvers(deps),
    schedulesResolvers(deps),
  ];
  const out: Record<string, Record<string, unknown>> = {};
  for (const part of parts) {
    for (const [type, fields] of Object.entries(part)) {
      out[type] = { ...(out[type] ?? {}), ...(fields as Record<string, unknown>) };
    }
  }
  return { ...(out as IResolvers), JSON: JSONScalar };
}
