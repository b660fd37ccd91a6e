import { Command, CommanderError } from 'commander';
import pkg from '../package.json' with { type: 'json' };
import { changeJob, enqueue, getJob, listJobs, listJobTypes, type EnqueueFlags, type ListFlags } from './commands/jobs.ts';
import { runDispatch } from './commands/dispatch.ts';
import { runMigrate, runRole, type Role } from './commands/roles.ts';
import { registerScheduleCommands, registerSchedulerCommand } from './commands/schedules.ts';
import { createUser, listUsers, setDisabled, type CreateUserFlags } from './commands/users.ts';
import { loadConfig, type CliConfig, type ConfigFlags } from './config.ts';
import { describeError, exitCodeOf, oneLine } from './errors.ts';

interface GlobalFlags extends ConfigFlags {
  json?: boolean;
  verbose?: boolean;
}

const ENV_HELP = `
Environment (flags override):
  DATABASE_URL           PostgreSQL URL; unset: embedded database in JOBFLEET_DATA_DIR
  JOBFLEET_DATA_DIR      embedded database folder (default ./.jobfleet)
  JOBFLEET_SCHEMA        schema of Jobfleet's tables (default jobfleet)
  PORT, HOST             where the HTTP server listens (default 3000, 127.0.0.1)
  JOBFLEET_CONCURRENCY   jobs a worker runs at once (default 10)
  JOBFLEET_QUEUES        queues a worker serves (default: those of its job types)
  JOBFLEET_JOBS_DIR      folder of modules exporting more job types
  LOG_LEVEL              fatal, error, warn, info, debug, trace or silent (default info)
  JOBFLEET_DISPATCH      postgres (default) or rabbitmq: how workers learn of jobs
  AMQP_URL               RabbitMQ URL for rabbitmq dispatch (default amqp://guest:guest@127.0.0.1:5672)

Examples:
  jobfleet start                                   everything in one process, embedded database
  jobfleet enqueue reverse_string '"hello world"'  submit a job
  jobfleet jobs list --status COMPLETED            see what ran
  DATABASE_URL=postgres://… jobfleet worker --queues default --concurrency 50`;

function settings(cmd: Command): { config: CliConfig; json: boolean; verbose: boolean } {
  const flags = cmd.optsWithGlobals<GlobalFlags>();
  return { config: loadConfig(flags), json: flags.json === true, verbose: flags.verbose === true };
}

export function buildProgram(): Command {
  const program = new Command('jobfleet');
  program
    .description('Jobfleet: a job-processing engine on PostgreSQL (or an embedded database).')
    .version(pkg.version, '-V, --version', 'print the version')
    .option('--database-url <url>', 'PostgreSQL URL (env DATABASE_URL); without one, the embedded database is used')
    .option('--data-dir <dir>', 'embedded database folder (env JOBFLEET_DATA_DIR, default ./.jobfleet)')
    .option('--schema <name>', "schema of Jobfleet's tables (env JOBFLEET_SCHEMA, default jobfleet)")
    .option('--log-level <level>', 'fatal|error|warn|info|debug|trace|silent (env LOG_LEVEL, default info)')
    .option('--json', 'print machine-readable JSON instead of tables')
    .option('--verbose', 'print stack traces of errors')
    .helpCommand('help [command]', 'show help for a command')
    .addHelpText('after', ENV_HELP)
    .exitOverride()
    .configureOutput({
      outputError: (str, write) => write(`jobfleet: ${oneLine(str.replace(/^error: /, ''))} (see --help)\n`),
    });

  // -------------------------------------------------------------- roles
  const roleCommand = (role: Role, description: string) => {
    const cmd = program.command(role).description(description);
    if (role !== 'worker') {
      cmd.option('--port <n>', 'HTTP port (env PORT, default 3000; 0: any free port)');
      cmd.option('--host <addr>', 'interface to listen on (env HOST, default 127.0.0.1)');
    }
    if (role !== 'api') {
      cmd.option('--concurrency <n>', 'jobs run at once, 1–1000 (env JOBFLEET_CONCURRENCY, default 10)');
      cmd.option('--queues <a,b>', 'queues to serve (env JOBFLEET_QUEUES, default: those of the job types)');
    }
    cmd.option('--processes <n>', 'run n copies under one supervisor, sharing the port (env JOBFLEET_PROCESSES, default 1)');
    cmd.option('--jobs <folder>', 'folder of modules exporting job types, added to the examples (env JOBFLEET_JOBS_DIR)');
    cmd.option('--dispatch <kind>', 'postgres|rabbitmq: how workers learn of jobs (env JOBFLEET_DISPATCH, default postgres)');
    cmd.option('--amqp-url <url>', 'RabbitMQ URL for rabbitmq dispatch (env AMQP_URL)');
    cmd.option(
      '--grace-ms <ms>',
      'on SIGTERM, how long running jobs may take to finish (env JOBFLEET_SHUTDOWN_GRACE_MS, default 10000)',
    );
    cmd.action(async (_opts, c: Command) => {
      const { config, verbose } = settings(c);
      await runRole(role, config, verbose);
    });
    return cmd;
  };
  roleCommand('start', 'run everything in one process: HTTP API, dashboard, worker and maintenance');
  roleCommand('api', 'run the HTTP API and dashboard only (needs DATABASE_URL)');
  roleCommand('worker', 'run a worker only (needs DATABASE_URL)');
  registerSchedulerCommand(program);

  program
    .command('migrate')
    .description('apply pending database migrations')
    .action(async (_opts, c: Command) => {
      const { config, json } = settings(c);
      await runMigrate(config, json);
    });

  program
    .command('dispatch')
    .description(
      'show or switch how jobs reach workers: status, rabbitmq (outbox on, backlog queued), postgres (outbox off), ' +
        'or republish (a message for every waiting job, after the broker lost messages)',
    )
    .argument('[action]', 'status | rabbitmq | postgres | republish', 'status')
    .action(async (action: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await runDispatch(config, action, json);
    });

  // -------------------------------------------------------------- users
  const user = program.command('user').description('manage user accounts (directly on the database)');
  user
    .command('create')
    .description('create a user')
    .requiredOption('--email <email>', 'login email')
    .option('--password <password>', 'initial password (visible to other local users: prefer --password-stdin)')
    .option('--password-stdin', 'read the password from the first line of stdin')
    .option('--name <name>', 'display name')
    .option('--role <role>', 'admin or member', 'member')
    .action(async (opts: CreateUserFlags, c: Command) => {
      const { config, json } = settings(c);
      await createUser(config, opts, json);
    });
  user
    .command('list')
    .description('list users')
    .action(async (_opts, c: Command) => {
      const { config, json } = settings(c);
      await listUsers(config, json);
    });
  user
    .command('disable')
    .description('disable a user (their sessions end at once)')
    .argument('<user>', 'id or email')
    .action(async (who: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await setDisabled(config, who, true, json);
    });
  user
    .command('enable')
    .description('enable a disabled user')
    .argument('<user>', 'id or email')
    .action(async (who: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await setDisabled(config, who, false, json);
    });

  // -------------------------------------------------------------- jobs
  program
    .command('enqueue')
    .description('submit a job')
    .argument('<type>', 'job type name (see `jobfleet job-types`)')
    .argument('<json>', 'payload as JSON, e.g. \'"hello world"\' or \'{"iterations":10}\'; "-" reads stdin')
    .option('--queue <name>', "queue (default: the job type's)")
    .option('--priority <n>', 'higher runs first, -1000–1000')
    .option('--delay <duration>', 'run later: 500 (ms), 30s, 5m, 2h, 1d')
    .option('--run-at <iso-date>', 'run at this time (ISO 8601)')
    .option('--idempotency-key <key>', 'enqueue at most once per key')
    .option('--max-attempts <n>', 'attempts before the job is dead, 1–1000')
    .option('--timeout <duration>', 'per-attempt time limit: 500 (ms), 30s, 5m …')
    .action(async (type: string, payload: string, opts: EnqueueFlags, c: Command) => {
      const { config, json } = settings(c);
      await enqueue(config, type, payload, opts, json);
    });

  const jobs = program.command('jobs').description('inspect and manage jobs');
  jobs
    .command('list')
    .description('list jobs, newest first')
    .option('--status <s,…>', 'SCHEDULED, QUEUED, RUNNING, COMPLETED, FAILED, DEAD, CANCELLED (comma-separated)')
    .option('--type <type>', 'only this job type')
    .option('--queue <name>', 'only this queue')
    .option('--limit <n>', 'at most this many, 1–500 (default 20)')
    .option('--cursor <cursor>', 'continue a previous listing')
    .action(async (opts: ListFlags, c: Command) => {
      const { config, json } = settings(c);
      await listJobs(config, opts, json);
    });
  jobs
    .command('get')
    .description('show one job')
    .argument('<id>', 'job id')
    .action(async (id: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await getJob(config, id, json);
    });
  jobs
    .command('cancel')
    .description('cancel a job (a running one is asked to stop)')
    .argument('<id>', 'job id')
    .action(async (id: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await changeJob(config, 'cancel', id, json);
    });
  jobs
    .command('retry')
    .description('run a failed, dead or cancelled job again')
    .argument('<id>', 'job id')
    .action(async (id: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await changeJob(config, 'retry', id, json);
    });

  program
    .command('job-types')
    .description('list the job types known here and published by live workers')
    .option('--jobs <folder>', 'also load job types from this folder (env JOBFLEET_JOBS_DIR)')
    .action(async (_opts, c: Command) => {
      const { config, json } = settings(c);
      await listJobTypes(config, json);
    });

  registerScheduleCommands(program);

  return program;
}

/** Runs the CLI; returns the exit code (0 ok, 1 failure, 2 usage error). Never throws. */
export async function main(argv: string[] = process.argv): Promise<number> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
    return 0;
  } catch (err) {
    if (err instanceof CommanderError) {
      // Commander has printed help or the message already.
      return err.exitCode === 0 ? 0 : 2;
    }
    process.stderr.write(`jobfleet: ${describeError(err)}\n`);
    if (argv.includes('--verbose') && err instanceof Error && err.stack) process.stderr.write(`${err.stack}\n`);
    return exitCodeOf(err);
  }
}
