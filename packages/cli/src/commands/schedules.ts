/**
 * `jobfleet schedules list|get|create|pause|resume|trigger|runs|delete`: cron schedules, directly on the
 * database (the CLI holds the database, so it acts as an administrator and sees every schedule), and
 * `jobfleet scheduler`: the role that fires due schedules until SIGTERM.
 *
 * A schedule is named by its id or, when the name is unambiguous, by its name.
 */
import type { Command } from 'commander';
import type { Job, JobfleetError, Schedule, ScheduleInput, ScheduleService } from '@jobfleet/core';
import { clip, isEmbedded, loadConfig, parseInteger, type CliConfig, type ConfigFlags } from '../config.ts';
import type { OpenedFleet, OpenFleetOptions } from '../context.ts';
import { CliError, UsageError } from '../errors.ts';
import { createLog } from '../log.ts';
import { cell, details, print, printJson, table } from '../output.ts';
import { parsePayload } from './jobs.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function settings(cmd: Command): { config: CliConfig; json: boolean } {
  const flags = cmd.optsWithGlobals<ConfigFlags & { json?: boolean }>();
  return { config: loadConfig(flags), json: flags.json === true };
}

/** Opens the engine for one operation; engine errors become one-line CLI errors. */
async function withService<T>(
  config: CliConfig,
  fn: (service: ScheduleService, opened: OpenedFleet) => Promise<T>,
  opts: Partial<OpenFleetOptions> = {},
): Promise<T> {
  const [{ withFleet }, core] = await Promise.all([import('../context.ts'), import('@jobfleet/core')]);
  try {
    return await withFleet(config, { role: 'schedules', ...opts }, (opened) =>
      fn(new core.ScheduleService(opened.fleet), opened),
    );
  } catch (err) {
    if (err instanceof core.JobfleetError) throw fromEngine(err);
    throw err;
  }
}

/** Engine errors exit 1, as for `jobfleet enqueue` (exit 2 is for flags and arguments the CLI itself refuses). */
function fromEngine(err: JobfleetError): Error {
  if (err.code === 'SCHEDULE_NOT_FOUND') {
    const id = (err.details as { id?: string } | undefined)?.id ?? '';
    return new CliError(`No schedule with id or name "${clip(id)}".`);
  }
  return new CliError(err.message);
}

/** An id, or a name that exactly one schedule has. */
async function resolveId(service: ScheduleService, ref: string): Promise<string> {
  const trimmed = ref.trim();
  if (UUID.test(trimmed)) return trimmed;
  if (trimmed === '' || trimmed.length > 200) throw new UsageError('give a schedule id (a UUID) or its name.');
  const page = await service.list({ name: trimmed, limit: 2 });
  if (page.schedules.length === 0) throw new CliError(`No schedule with id or name "${clip(trimmed)}".`);
  if (page.schedules.length > 1)
    throw new CliError(`Several schedules are named "${clip(trimmed)}": name one by its id (see \`jobfleet schedules list\`).`);
  return (page.schedules[0] as Schedule).id;
}

/** As the API shows it: the cron rule also as `schedule` (seed 003), and no next run while paused. */
function shown(s: Schedule): Schedule {
  return s.isActive ? s : { ...s, nextRun: null };
}

function toJson(s: Schedule) {
  return { ...shown(s), schedule: s.cron };
}

function describe(s: Schedule): string {
  const pairs: [string, unknown][] = [
    ['id', s.id],
    ['name', s.name],
    ['description', s.description],
    ['cron', `${s.cron} (${s.timezone})`],
    ['job type', s.jobType],
    ['payload', JSON.stringify(s.payload) ?? 'null'],
    ['active', s.isActive ? 'yes' : 'no (paused)'],
    ['overlap', s.overlap],
    ['missed runs', s.missedRuns],
    ['last run', s.lastRun],
    ['next run', s.isActive ? s.nextRun : null],
  ];
  if (s.lastError) pairs.push(['last error', s.lastError]);
  if (s.ownerId) pairs.push(['owner', s.ownerId]);
  if (s.source === 'code') pairs.push(['source', 'declared in code']);
  return details(pairs);
}

export interface CreateScheduleFlags {
  name: string;
  cron: string;
  timezone?: string;
  jobType?: string;
  payload?: string;
  description?: string;
  overlap?: string;
  missedRuns?: string;
  paused?: boolean;
}

export async function createSchedule(config: CliConfig, flags: CreateScheduleFlags, json: boolean): Promise<void> {
  const input: ScheduleInput = { name: flags.name, cron: flags.cron };
  if (flags.name.trim() === '') throw new UsageError('--name must not be empty.');
  if (flags.timezone !== undefined) input.timezone = flags.timezone;
  if (flags.jobType !== undefined) input.jobType = flags.jobType;
  if (flags.payload !== undefined) input.payload = await parsePayload(flags.payload);
  if (flags.description !== undefined) input.description = flags.description;
  if (flags.overlap !== undefined) {
    const o = flags.overlap.toLowerCase();
    if (o !== 'allow' && o !== 'skip') throw new UsageError(`--overlap must be "allow" or "skip", not "${clip(flags.overlap)}".`);
    input.overlap = o;
  }
  if (flags.missedRuns !== undefined) {
    const m = flags.missedRuns.toLowerCase();
    if (m !== 'skip' && m !== 'once' && m !== 'all')
      throw new UsageError(`--missed-runs must be "skip", "once" or "all", not "${clip(flags.missedRuns)}".`);
    input.missedRuns = m;
  }
  if (flags.paused) input.isActive = false;
  const s = await withService(config, (service) => service.create(input));
  if (json) return printJson(toJson(s));
  print(
    `Created schedule ${cell(s.name)} (id ${s.id}): ${s.cron} ${s.timezone} → ${cell(s.jobType)}; ` +
      (s.nextRun ? `next run ${s.nextRun.toISOString()}.` : 'paused.'),
  );
}

export interface ListSchedulesFlags {
  active?: boolean;
  paused?: boolean;
  jobType?: string;
  limit?: string;
  cursor?: string;
}

export async function listSchedules(config: CliConfig, flags: ListSchedulesFlags, json: boolean): Promise<void> {
  if (flags.active && flags.paused) throw new UsageError('give --active or --paused, not both.');
  const limit = flags.limit === undefined ? 50 : parseInteger(flags.limit, '--limit', 1, 500);
  if (flags.cursor !== undefined && !UUID.test(flags.cursor))
    throw new UsageError('--cursor must be the "next" cursor printed by a previous listing.');
  const page = await withService(config, (service) =>
    service.list({
      limit,
      ...(flags.active ? { isActive: true } : flags.paused ? { isActive: false } : {}),
      ...(flags.jobType !== undefined ? { jobType: flags.jobType } : {}),
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
    }),
  );
  if (json) return printJson({ schedules: page.schedules.map(toJson), nextCursor: page.nextCursor });
  if (page.schedules.length === 0) return print('No schedules.');
  print(
    table(page.schedules, [
      { header: 'ID', value: (s) => s.id },
      { header: 'NAME', value: (s) => s.name, max: 30 },
      { header: 'CRON', value: (s) => s.cron, max: 30 },
      { header: 'TZ', value: (s) => s.timezone, max: 20 },
      { header: 'JOB TYPE', value: (s) => s.jobType, max: 30 },
      { header: 'STATUS', value: (s) => (s.isActive ? 'active' : 'paused') },
      { header: 'LAST RUN', value: (s) => s.lastRun },
      { header: 'NEXT RUN', value: (s) => (s.isActive ? s.nextRun : null) },
    ]),
  );
  if (page.nextCursor) print(`More: jobfleet schedules list --cursor ${page.nextCursor}`);
}

export async function getSchedule(config: CliConfig, ref: string, json: boolean): Promise<void> {
  const s = await withService(config, async (service) => {
    const found = await service.get(await resolveId(service, ref));
    if (!found) throw new CliError(`No schedule with id or name "${clip(ref)}".`);
    return found;
  });
  if (json) return printJson(toJson(s));
  print(describe(s));
}

export async function changeSchedule(
  config: CliConfig,
  action: 'pause' | 'resume' | 'delete',
  ref: string,
  json: boolean,
): Promise<void> {
  const s = await withService(config, async (service) => {
    const id = await resolveId(service, ref);
    return action === 'pause' ? service.pause(id) : action === 'resume' ? service.resume(id) : service.delete(id);
  });
  if (json) return printJson(toJson(s));
  if (action === 'pause') print(`Paused schedule ${cell(s.name)} (${s.id}).`);
  else if (action === 'resume') print(`Resumed schedule ${cell(s.name)} (${s.id}); next run ${s.nextRun?.toISOString() ?? '-'}.`);
  else print(`Deleted schedule ${cell(s.name)} (${s.id}); the jobs it enqueued stay.`);
}

export async function triggerSchedule(config: CliConfig, ref: string, json: boolean): Promise<void> {
  const job = await withService(config, async (service) => service.trigger(await resolveId(service, ref)));
  if (json) return printJson(job);
  print(`Triggered: enqueued ${cell(job.type)} job ${job.id} on queue ${cell(job.queue)} (${job.status}).`);
}

export async function scheduleRuns(config: CliConfig, ref: string, flags: { limit?: string }, json: boolean): Promise<void> {
  const limit = flags.limit === undefined ? 20 : parseInteger(flags.limit, '--limit', 1, 500);
  const page = await withService(config, async (service) => service.runs(await resolveId(service, ref), { limit }));
  if (json) return printJson(page);
  if (page.jobs.length === 0) return print('No runs yet.');
  print(
    table(page.jobs, [
      { header: 'JOB ID', value: (j: Job) => j.id },
      { header: 'TYPE', value: (j: Job) => j.type, max: 30 },
      { header: 'STATUS', value: (j: Job) => j.status },
      { header: 'CREATED', value: (j: Job) => j.createdAt },
      { header: 'FINISHED', value: (j: Job) => j.finishedAt },
    ]),
  );
}

/** `jobfleet scheduler`: fires due schedules until SIGTERM/SIGINT (safe to run in several processes). */
export async function runScheduler(config: CliConfig, opts: { intervalMs?: number; verbose?: boolean }): Promise<void> {
  if (isEmbedded(config)) {
    throw new CliError(
      '`jobfleet scheduler` runs as a separate process and needs a shared PostgreSQL: set DATABASE_URL (or --database-url). ' +
        '`jobfleet start` runs a scheduler together with everything else on the embedded database.',
    );
  }
  const log = createLog(config.logLevel, opts.verbose === true);
  const { openFleet } = await import('../context.ts');
  const opened = await openFleet(config, {
    role: 'scheduler',
    onError: (err: Error, context: string) => log.error(`${context} failed`, err),
  });
  try {
    const { syncDeclaredSchedules } = await import('../context.ts');
    const declared = await syncDeclaredSchedules(config, opened.fleet);
    if (declared) log.info(`synced ${declared} schedule(s) declared in ${config.jobsDir}.`);
    opened.fleet.createScheduler(opts.intervalMs !== undefined ? { intervalMs: opts.intervalMs } : {}).start();
  } catch (err) {
    await opened.close().catch(() => {});
    throw err;
  }
  print('Jobfleet scheduler running. Press Ctrl+C to stop.');
  await new Promise<void>((resolve, reject) => {
    let signals = 0;
    const onSignal = (signal: NodeJS.Signals) => {
      if (++signals > 1) {
        log.warn(`${signal} again: stopping at once.`);
        process.exit(130);
      }
      log.info(`${signal} received: shutting down.`);
      setTimeout(() => {
        log.error('shutdown took too long; stopping at once.');
        process.exit(1);
      }, 15_000).unref();
      // The scheduler stops first (a tick in progress finishes), then the database closes.
      opened.close().then(resolve, reject);
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
  });
  log.info('stopped.');
}

/** Adds `schedules …` to the program. */
export function registerScheduleCommands(program: Command): void {
  const schedules = program.command('schedules').description('manage cron schedules (directly on the database)');
  schedules
    .command('list')
    .description('list schedules with their last and next runs')
    .option('--active', 'only active schedules')
    .option('--paused', 'only paused schedules')
    .option('--job-type <type>', 'only schedules of this job type')
    .option('--limit <n>', 'at most this many, 1–500 (default 50)')
    .option('--cursor <cursor>', 'continue a previous listing')
    .action(async (opts: ListSchedulesFlags, c: Command) => {
      const { config, json } = settings(c);
      await listSchedules(config, opts, json);
    });
  schedules
    .command('get')
    .description('show one schedule')
    .argument('<schedule>', 'id or name')
    .action(async (ref: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await getSchedule(config, ref, json);
    });
  schedules
    .command('create')
    .description('create a schedule')
    .requiredOption('--name <name>', 'a name, unique among the schedules')
    .requiredOption('--cron <expr>', 'cron expression: "0 9 * * *" (5 fields), 6 fields with seconds first, or @hourly …')
    .option('--timezone <tz>', 'IANA time zone the expression is read in (default UTC)')
    .option('--job-type <type>', 'job type to enqueue (default: the built-in jobfleet.schedule-tick)')
    .option('--payload <json>', 'payload of each job, as JSON; "-" reads stdin')
    .option('--description <text>', 'what it is for')
    .option('--overlap <policy>', 'allow (default) or skip: no new job while the previous one is unfinished')
    .option('--missed-runs <policy>', 'fire times missed while no scheduler ran: skip, once (default) or all')
    .option('--paused', 'create it paused')
    .action(async (opts: CreateScheduleFlags, c: Command) => {
      const { config, json } = settings(c);
      await createSchedule(config, opts, json);
    });
  for (const [action, description] of [
    ['pause', 'pause a schedule'],
    ['resume', 'resume a paused schedule (missed fire times are not caught up)'],
    ['delete', 'delete a schedule (the jobs it enqueued stay)'],
  ] as const) {
    schedules
      .command(action)
      .description(description)
      .argument('<schedule>', 'id or name')
      .action(async (ref: string, _opts, c: Command) => {
        const { config, json } = settings(c);
        await changeSchedule(config, action, ref, json);
      });
  }
  schedules
    .command('trigger')
    .description('run a schedule now: enqueue one job at once')
    .argument('<schedule>', 'id or name')
    .action(async (ref: string, _opts, c: Command) => {
      const { config, json } = settings(c);
      await triggerSchedule(config, ref, json);
    });
  schedules
    .command('runs')
    .description('the jobs a schedule enqueued, newest first')
    .argument('<schedule>', 'id or name')
    .option('--limit <n>', 'at most this many, 1–500 (default 20)')
    .action(async (ref: string, opts: { limit?: string }, c: Command) => {
      const { config, json } = settings(c);
      await scheduleRuns(config, ref, opts, json);
    });
}

/** Adds the `scheduler` role to the program. */
export function registerSchedulerCommand(program: Command): void {
  program
    .command('scheduler')
    .description('run the cron scheduler only: enqueue the jobs of due schedules (needs DATABASE_URL)')
    .option('--interval-ms <ms>', 'how often due schedules are looked for, 10–60000 (default 250)')
    .option('--jobs <folder>', 'folder of modules exporting job types, added to the examples (env JOBFLEET_JOBS_DIR)')
    .action(async (opts: { intervalMs?: string }, c: Command) => {
      const flags = c.optsWithGlobals<ConfigFlags & { verbose?: boolean }>();
      const config = loadConfig(flags);
      const intervalMs = opts.intervalMs === undefined ? undefined : parseInteger(opts.intervalMs, '--interval-ms', 10, 60_000);
      await runScheduler(config, { intervalMs, verbose: flags.verbose === true });
    });
}
