import {
  discoverJobTypes,
  discoverSchedules,
  Jobfleet,
  scheduleTickJob,
  syncSchedules,
  type AnyJobType,
  type Migration,
} from '@jobfleet/core';
import { exampleJobTypes } from '@jobfleet/examples';
import { isEmbedded, type CliConfig } from './config.ts';
import { acquireEmbeddedLock, type EmbeddedLock } from './embedded-lock.ts';
import { CliError, describeError } from './errors.ts';
import { loadServerModule } from './server-module.ts';

export interface OpenFleetOptions {
  /** The command, recorded in the embedded database's lock file. */
  role: string;
  /** Also apply the server's migrations (users, API keys …). */
  serverTables?: boolean;
  onError?: (err: Error, context: string) => void;
  /** Apply pending migrations (default true). */
  migrate?: boolean;
  /** Receive other processes' job events (default true); processes without an HTTP server need not. */
  receiveEvents?: boolean;
}

export interface OpenedFleet {
  fleet: Jobfleet;
  jobTypes: AnyJobType[];
  /** Closes the engine (workers get graceMs to finish) and releases the embedded lock. */
  close(graceMs?: number): Promise<void>;
}

/** The example job types plus those found in the jobs folder (which win on a name clash). */
export async function loadJobTypes(config: CliConfig): Promise<AnyJobType[]> {
  if (!config.jobsDir) return [...exampleJobTypes];
  let discovered: AnyJobType[];
  try {
    discovered = await discoverJobTypes(config.jobsDir);
  } catch (err) {
    throw new CliError(`cannot load job types from ${config.jobsDir}: ${describeError(err)}`);
  }
  if (discovered.length === 0)
    throw new CliError(`no job types found in ${config.jobsDir}: export values made with defineJob().`);
  const names = new Set(discovered.map((t) => t.name));
  return [...exampleJobTypes.filter((t) => !names.has(t.name)), ...discovered];
}

/**
 * Syncs the schedules declared with defineSchedule() in the jobs folder (created, updated, and removed
 * when no longer declared). Without a jobs folder it does nothing, so that a process started without
 * the code never deletes schedules another process declared. Returns how many are declared.
 */
export async function syncDeclaredSchedules(config: CliConfig, fleet: Jobfleet): Promise<number> {
  if (!config.jobsDir) return 0;
  let declared;
  try {
    declared = await discoverSchedules(config.jobsDir);
  } catch (err) {
    throw new CliError(`cannot load schedules from ${config.jobsDir}: ${describeError(err)}`);
  }
  await syncSchedules(fleet, declared);
  return declared.length;
}

export async function openFleet(config: CliConfig, opts: OpenFleetOptions): Promise<OpenedFleet> {
  const jobTypes = await loadJobTypes(config);
  if (!jobTypes.some((t) => t.name === scheduleTickJob.name)) jobTypes.push(scheduleTickJob);
  const migrations: Migration[] = opts.serverTables ? (await loadServerModule()).serverMigrations() : [];
  let lock: EmbeddedLock | null = null;
  if (isEmbedded(config)) lock = acquireEmbeddedLock(config.dataDir, opts.role);
  let fleet: Jobfleet;
  try {
    fleet = await Jobfleet.open({
      databaseUrl: config.databaseUrl,
      dataDir: config.dataDir,
      schema: config.schema,
      jobTypes,
      migrations,
      migrate: opts.migrate ?? true,
      receiveEvents: opts.receiveEvents ?? true,
      dispatch: config.dispatch,
      ...(opts.onError ? { onError: opts.onError } : {}),
    });
  } catch (err) {
    lock?.release();
    throw err;
  }
  let closing: Promise<void> | null = null;
  return {
    fleet,
    jobTypes,
    close: (graceMs?: number) => {
      closing ??= fleet.close(graceMs === undefined ? {} : { graceMs }).finally(() => lock?.release());
      return closing;
    },
  };
}

/** Runs fn with an engine opened for one operation, closing it afterwards whatever happens. */
export async function withFleet<T>(
  config: CliConfig,
  opts: OpenFleetOptions,
  fn: (opened: OpenedFleet) => Promise<T>,
): Promise<T> {
  const opened = await openFleet(config, opts);
  try {
    return await fn(opened);
  } finally {
    await opened.close().catch(() => {});
  }
}
