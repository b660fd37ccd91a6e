// Placeholder: the GraphQL helper replaces this file with the Mercurius plugin.
import type { FastifyPluginAsync } from 'fastify';
import type { ServerDeps } from '../contracts.ts';

export const graphqlPlugin: FastifyPluginAsync<ServerDeps> = async () => {};
