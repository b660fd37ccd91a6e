/**
 * GraphQL at /graphql (Mercurius), GraphiQL at /graphiql, subscriptions over WebSocket on /graphql
 * (protocols graphql-transport-ws and the older graphql-ws, both spoken by Mercurius).
 *
 * Auth: every HTTP request's caller comes from Authorization: Bearer (JWT or API key), the jobfleet_token
 * cookie, or X-API-Key. WebSocket clients authenticate in connection_init ({ authorization | token |
 * apiKey }) or with the upgrade request's cookie/headers; invalid credentials in connection_init refuse
 * the connection.
 */
import type { FastifyPluginAsync, FastifyRequest } from 'fastify';
import { GraphQLError, specifiedRules, validate, type DocumentNode, type GraphQLSchema } from './graphql-js.ts';
import mercurius, { type IResolvers } from 'mercurius';
import type { ServerDeps } from '../contracts.ts';
import {
  buildContext,
  credentialsFromConnectionParams,
  credentialsFromRequest,
  hasCredentials,
  resolvePrincipal,
} from './context.ts';
import { errorFormatter, toSafeGraphQLError } from './errors.ts';
import { MAX_DEPTH, MAX_FIELDS, queryLimitsRule } from './limits.ts';
import { createResolvers } from './resolvers/index.ts';
import { typeDefs } from './schema.ts';

export interface GraphqlOptions {
  maxDepth?: number;
  maxFields?: number;
}

/** GraphiQL loads React and GraphiQL from unpkg.com: its pages get a CSP that allows exactly that. */
const GRAPHIQL_CSP = [
  "default-src 'self'",
  "script-src 'self' https://unpkg.com",
  "style-src 'self' 'unsafe-inline' https://unpkg.com",
  "img-src 'self' data: blob:",
  "font-src 'self' data: https://unpkg.com",
  "connect-src 'self'",
  "worker-src 'self'",
  "object-src 'none'",
  "frame-ancestors 'none'",
  "base-uri 'self'",
].join('; ');

/** Options: the ServerDeps, plus optional limits (tests use lower ones). */
export const graphqlPlugin: FastifyPluginAsync<ServerDeps> = async (app, options) => {
  const opts = options as ServerDeps & GraphqlOptions;
  const deps: ServerDeps = { fleet: opts.fleet, auth: opts.auth, config: opts.config, logger: opts.logger };
  const limits = queryLimitsRule(opts.maxDepth ?? MAX_DEPTH, opts.maxFields ?? MAX_FIELDS);

  app.addHook('onSend', async (request, reply) => {
    if (request.url === '/graphiql' || request.url.startsWith('/graphiql/') || request.url.startsWith('/graphiql?')) {
      reply.header('content-security-policy', GRAPHIQL_CSP);
    }
  });

  await app.register(mercurius, {
    schema: typeDefs,
    resolvers: createResolvers(deps) as unknown as IResolvers,
    path: '/graphql',
    graphiql: true,
    context: buildContext(deps),
    validationRules: [limits],
    errorFormatter,
    subscription: {
      // The upgrade request's cookie or headers; connection_init params (onConnect) take precedence.
      context: async (_socket: unknown, request: FastifyRequest) => {
        const creds = credentialsFromRequest(request);
        return hasCredentials(creds)
          ? { ...(await resolvePrincipal(deps, creds)), request }
          : { principal: null, authError: null, request };
      },
      onConnect: async (data: { type: 'connection_init'; payload: unknown }) => {
        const creds = credentialsFromConnectionParams(data.payload);
        if (!hasCredentials(creds)) return true;
        const { principal } = await resolvePrincipal(deps, creds);
        // Credentials that do not authenticate refuse the connection (connection_error "Forbidden").
        return principal ? { principal, authError: null } : false;
      },
      keepAlive: 30_000,
    },
  });

  // Mercurius does not validate subscription documents: run the standard rules and our limits here.
  app.graphql.addHook('preSubscriptionExecution', async (schema: GraphQLSchema, document: DocumentNode) => {
    const errors = validate(schema, document, [...specifiedRules, limits]);
    if (errors.length > 0) {
      const first = toSafeGraphQLError(errors[0]);
      throw new GraphQLError(errors.map((e) => e.message).join(' '), { extensions: first.extensions });
    }
  });
};
