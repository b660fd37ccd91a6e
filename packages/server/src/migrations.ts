import { loadMigrations, type Migration } from '@jobfleet/core';

/** The server's own tables (users, sessions, refresh tokens, API keys, settings); apply after the core's. */
export const serverMigrations = (): Migration[] => loadMigrations('server', new URL('./migrations/', import.meta.url));
