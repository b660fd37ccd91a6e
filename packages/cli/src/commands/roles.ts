import { existsSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { isEmbedded, type CliConfig } from '../config.ts';
import type { OpenedFleet } from '../context.ts';
import { CliError } from '../errors.ts';
import { isSupervisedCopy, onSupervisorStop, superviseCopies } from './cluster.ts';
import { createLog, type Log } from '../log.ts';
import { box, print, printJson } from '../output.ts';
import { loadServerModule, type ServerModule } from '../server-module.ts';

type HttpServer = Awaited<ReturnType<ServerModule['buildServer']>>;

export type Role = 'start' | 'api' | 'worker';

interface RoleParts {
  server: boolean;
  worker: boolean;
  maintenance: boolean;
}

const PARTS: Record<Role, RoleParts> = {
  start: { server: true, worker: true, maintenance: true },
  api: { server: true, worker: false, maintenance: true },
  worker: { server: false, worker: true, maintenance: true },
};

/** Runs a long-lived role until SIGTERM/SIGINT; resolves once it has shut down. */
export async function runRole(role: Role, config: CliConfig, verbose: boolean): Promise<void> {
  if (role !== 'start' && isEmbedded(config)) {
    throw new CliError(
      `\`jobfleet ${role}\` runs as a separate process and needs a shared PostgreSQL: set DATABASE_URL (or --database-url). ` +
        'The embedded database serves one process only: use `jobfleet start` to run everything together on it.',
    );
  }
  const parts = PARTS[role];
  const log = createLog(config.logLevel, verbose);
  if (config.processes > 1 && !isSupervisedCopy()) {
    log.info(`running ${config.processes} processes of \`jobfleet ${role}\`.`);
    const code = await superviseCopies(config.processes, log);
    if (code !== 0) throw new CliError(`a process of \`jobfleet ${role}\` failed (exit ${code}); see the lines above.`, code);
    log.info('stopped.');
    return;
  }
  const onError = (err: Error, context: string) => log.error(`${context} failed`, err);

  // Signals are handled from the very start: one arriving while the engine opens stops it cleanly
  // once it is open (the embedded database must never be killed mid-write).
  let signals = 0;
  const stopSignal = new Promise<NodeJS.Signals>((resolve) => {
    const onSignal = (signal: NodeJS.Signals, fromSupervisor = false) => {
      // The supervisor's request may follow the same signal sent to the whole process group.
      if (fromSupervisor && signals > 0) return;
      signals++;
      if (signals > 1) {
        log.warn(`${signal} again: stopping at once.`);
        process.exit(130);
      }
      log.info(`${signal} received: shutting down (running jobs get ${config.graceMs} ms; send it again to force).`);
      // Whatever happens, don't hang forever.
      setTimeout(() => {
        log.error('shutdown took too long; stopping at once.');
        process.exit(1);
      }, config.graceMs + 15_000).unref();
      resolve(signal);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    if (isSupervisedCopy()) onSupervisorStop(() => onSignal('SIGTERM', true));
  });

  const { openFleet } = await import('../context.ts');
  // Only a process with an HTTP server hands other processes' job events on (event streams, subscriptions,
  // metrics); workers and schedulers only send theirs.
  const opened = await openFleet(config, { role, serverTables: parts.server, receiveEvents: parts.server, onError });
  let app: HttpServer | null = null;
  let shuttingDown: Promise<void> | null = null;

  const shutdown = (): Promise<void> => {
    shuttingDown ??= (async () => {
      if (app) {
        const closing = app.close();
        // Long-lived responses (event streams) must not hold the shutdown up.
        const timer = setTimeout(() => app?.server.closeAllConnections(), 1000);
        await closing.catch((e: unknown) => log.error('closing the HTTP server', e));
        clearTimeout(timer);
      }
      await opened.close(config.graceMs);
    })();
    return shuttingDown;
  };

  try {
    if (signals === 0) await startParts(role, parts, config, opened, log, (a) => (app = a));
  } catch (err) {
    await shutdown().catch(() => {});
    throw err;
  }
  await stopSignal;
  await shutdown();
  log.info('stopped.');
}

async function startParts(
  role: Role,
  parts: RoleParts,
  config: CliConfig,
  opened: OpenedFleet,
  log: Log,
  setApp: (app: HttpServer) => void,
): Promise<void> {
  const { fleet } = opened;
  if (parts.maintenance) fleet.createMaintenance().start();
  if (fleet.dispatch.kind === 'rabbitmq') {
    // Every long-lived process relays the outbox (relays share the work through SKIP LOCKED), so
    // committed jobs reach RabbitMQ as long as any process of the fleet runs.
    await fleet.createOutboxRelay().start();
    log.info(`dispatching through RabbitMQ at ${redactUrl(fleet.dispatch.url)}.`);
  }
  if (role === 'start') {
    const { syncDeclaredSchedules } = await import('../context.ts');
    const declared = await syncDeclaredSchedules(config, fleet);
    if (declared) log.info(`synced ${declared} schedule(s) declared in ${config.jobsDir}.`);
    fleet.createScheduler().start();
  }

  if (parts.worker) {
    const worker = fleet.createWorker({
      concurrency: config.concurrency,
      shutdownGraceMs: config.graceMs,
      ...(config.queues ? { queues: config.queues } : {}),
    });
    await worker.start();
    log.info(
      `worker ${worker.id} serving queues ${worker.queues.join(', ')} with concurrency ${worker.concurrency} (${worker.dispatch} dispatch).`,
    );
  }

  if (!parts.server) {
    print(`Jobfleet ${role} running (${describeDb(config)}). Press Ctrl+C to stop.`);
    return;
  }

  const server = await loadServerModule();
  // The server's own logger reads LOG_LEVEL: let --log-level reach it.
  process.env.LOG_LEVEL = config.logLevel;
  const serverConfig = server.loadServerConfig(process.env);
  serverConfig.dashboardDir ??= builtDashboard();
  const auth = server.createAuthService({ fleet, config: serverConfig });
  // Before listening: a registration racing the first start must not pre-empt the admin account.
  const admin = await auth.ensureAdmin(config.adminEmail);
  const printAdmin = () => {
    if (!admin) return;
    print(
      box([
        'First start: an administrator account was created.',
        '',
        `  email:    ${admin.email}`,
        `  password: ${admin.password}`,
        '',
        'This password is shown only this once: store it now.',
      ]),
    );
  };
  const app = await server.buildServer({ fleet, auth, config: serverConfig });
  setApp(app);
  try {
    await app.listen({ host: config.host, port: config.port });
  } catch (err) {
    printAdmin();
    const code = (err as { code?: string }).code;
    if (code === 'EADDRINUSE')
      throw new CliError(`port ${config.port} on ${config.host} is already in use: set PORT (or --port) to another.`);
    if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND')
      throw new CliError(`cannot listen on ${config.host}: no such local address.`);
    if (code === 'EACCES') throw new CliError(`not allowed to listen on port ${config.port}: pick one above 1023.`);
    throw err;
  }
  const address = app.server.address() as AddressInfo | string | null;
  const port = address && typeof address === 'object' ? address.port : config.port;
  const host =
    config.host === '0.0.0.0' || config.host === '::'
      ? '127.0.0.1'
      : config.host.includes(':')
        ? `[${config.host}]`
        : config.host;
  const origin = `http://${host}:${port}`;
  print(
    [
      `Jobfleet ${role} listening on ${origin} (${describeDb(config)})`,
      `  API        ${origin}/api/v1`,
      `  API docs   ${origin}/docs`,
      `  GraphQL    ${origin}/graphql`,
      serverConfig.dashboardDir
        ? `  Dashboard  ${origin}/`
        : '  Dashboard  not built: build packages/dashboard or set JOBFLEET_DASHBOARD_DIR to its dist folder',
      'Press Ctrl+C to stop.',
    ].join('\n'),
  );
  printAdmin();
}

/** A URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return 'the configured URL';
  }
}

/** The dashboard built in this monorepo (packages/dashboard/dist), when there is one. */
function builtDashboard(): string | undefined {
  const dir = fileURLToPath(new URL('../../../dashboard/dist/', import.meta.url));
  return existsSync(path.join(dir, 'index.html')) ? dir : undefined;
}

function describeDb(config: CliConfig): string {
  if (!isEmbedded(config)) {
    try {
      const u = new URL(config.databaseUrl as string);
      return `PostgreSQL ${u.hostname}${u.port ? `:${u.port}` : ''}${u.pathname}, schema ${config.schema}`;
    } catch {
      return `PostgreSQL, schema ${config.schema}`;
    }
  }
  return `embedded database in ${config.dataDir}`;
}

/** `jobfleet migrate`: applies pending migrations (the core's and the server's) and says which. */
export async function runMigrate(config: CliConfig, json: boolean): Promise<void> {
  const server = await loadServerModule();
  const { withFleet } = await import('../context.ts');
  const { coreMigrations, migrate } = await import('@jobfleet/core');
  await withFleet(config, { role: 'migrate', migrate: false }, async ({ fleet }) => {
    const { applied } = await migrate(fleet.db, {
      schema: fleet.schema,
      migrations: [...coreMigrations(), ...server.serverMigrations()],
    });
    if (json) printJson({ applied });
    else if (applied.length === 0) print(`The database is up to date (${describeDb(config)}).`);
    else print(`Applied ${applied.length} migration${applied.length === 1 ? '' : 's'}: ${applied.join(', ')}`);
  });
}
