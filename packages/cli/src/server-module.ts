import type * as Server from '@jobfleet/server';
import type { AuthService, Principal, User } from '@jobfleet/server';
import { CliError } from './errors.ts';

/**
 * @jobfleet/server, loaded lazily: commands that only touch jobs don't pay for Fastify, GraphQL
 * and argon2 at start-up.
 */
export type ServerModule = typeof Server;
export type { AuthService, Principal, User };
export type Role = User['role'];

/** The synthetic administrator the CLI acts as for user operations (it holds the database anyway). */
export const CLI_PRINCIPAL: Principal = { userId: 'cli', email: 'cli@localhost', role: 'admin', via: 'api-key', scopes: null };

let loaded: Promise<ServerModule> | null = null;

export function loadServerModule(): Promise<ServerModule> {
  loaded ??= import('@jobfleet/server').catch((err: unknown) => {
    throw new CliError(`cannot load @jobfleet/server: ${(err as Error).message}`);
  });
  return loaded;
}
