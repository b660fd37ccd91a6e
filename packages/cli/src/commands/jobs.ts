import type { EnqueueOptions, Job } from '@jobfleet/core';
import { JOB_STATUSES, type JobStatus } from '@jobfleet/client';
import { clip, parseInteger, type CliConfig } from '../config.ts';
import { CliError, UsageError } from '../errors.ts';
import type { OpenedFleet, OpenFleetOptions } from '../context.ts';
import { cell, details, print, printJson, table } from '../output.ts';

/** The engine is loaded on first use, so that usage errors and help don't pay for it. */
async function withFleet<T>(config: CliConfig, opts: OpenFleetOptions, fn: (opened: OpenedFleet) => Promise<T>): Promise<T> {
  return (await import('../context.ts')).withFleet(config, opts, fn);
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const QUEUE_NAME = /^[A-Za-z0-9][\w.:-]{0,63}$/;

export interface EnqueueFlags {
  queue?: string;
  priority?: string;
  delay?: string;
  runAt?: string;
  idempotencyKey?: string;
  maxAttempts?: string;
  timeout?: string;
}

/** Parses the payload argument: JSON text, or "-" to read it from stdin. */
export async function parsePayload(raw: string): Promise<unknown> {
  const text = raw === '-' ? await readStdin() : raw;
  if (text.trim() === '')
    throw new UsageError('the payload is empty: give JSON, e.g. \'"hello world"\', \'{"iterations":10}\' or 42.');
  try {
    return JSON.parse(text) as unknown;
  } catch (err) {
    const why = (err as Error).message.replace(/^JSON\.parse: /, '');
    const hint = /^[A-Za-z]/.test(text.trim()) ? ` (a string needs JSON quotes: '"${clip(text.trim(), 30)}"')` : '';
    throw new UsageError(`the payload is not valid JSON: ${clip(why, 120)}${hint}.`);
  }
}

async function readStdin(): Promise<string> {
  if (process.stdin.isTTY) throw new UsageError('payload "-" reads JSON from stdin, but stdin is a terminal.');
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}

/** "1500", "1500ms", "30s", "5m", "2h", "1d" → milliseconds. */
export function parseDuration(raw: string, what: string): number {
  const m = /^\s*(\d+)\s*(ms|s|m|h|d)?\s*$/i.exec(raw);
  if (!m) throw new UsageError(`${what} must be a duration such as 500, 30s, 5m, 2h or 1d, not "${clip(raw)}".`);
  const unit = (m[2] ?? 'ms').toLowerCase();
  const factor = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 }[unit] as number;
  const ms = Number(m[1]) * factor;
  if (!Number.isSafeInteger(ms) || ms > 366 * 86_400_000) throw new UsageError(`${what} must be at most 366 days.`);
  return ms;
}

export function enqueueOptions(flags: EnqueueFlags): EnqueueOptions {
  const o: EnqueueOptions = {};
  if (flags.queue !== undefined) {
    if (!QUEUE_NAME.test(flags.queue))
      throw new UsageError(`--queue "${clip(flags.queue)}" is not a valid queue name (1–64 letters, digits, _ . : -).`);
    o.queue = flags.queue;
  }
  if (flags.priority !== undefined) o.priority = parseInteger(flags.priority, '--priority', -1000, 1000);
  if (flags.delay !== undefined && flags.runAt !== undefined) throw new UsageError('give either --delay or --run-at, not both.');
  if (flags.delay !== undefined) o.delay = parseDuration(flags.delay, '--delay');
  if (flags.runAt !== undefined) {
    const d = new Date(flags.runAt);
    if (Number.isNaN(d.getTime()))
      throw new UsageError(`--run-at "${clip(flags.runAt)}" is not a date; use ISO 8601, e.g. 2030-01-01T12:00:00Z.`);
    o.runAt = d;
  }
  if (flags.maxAttempts !== undefined) o.maxAttempts = parseInteger(flags.maxAttempts, '--max-attempts', 1, 1000);
  if (flags.timeout !== undefined) {
    o.timeout = parseDuration(flags.timeout, '--timeout');
    if (o.timeout < 1) throw new UsageError('--timeout must be at least 1 ms.');
  }
  if (flags.idempotencyKey !== undefined) {
    if (flags.idempotencyKey.length < 1 || flags.idempotencyKey.length > 255)
      throw new UsageError('--idempotency-key must be 1 to 255 characters.');
    o.idempotencyKey = flags.idempotencyKey;
  }
  return o;
}

export async function enqueue(
  config: CliConfig,
  type: string,
  payloadArg: string,
  flags: EnqueueFlags,
  json: boolean,
): Promise<void> {
  const payload = await parsePayload(payloadArg);
  const options = enqueueOptions(flags);
  const job = await withFleet(config, { role: 'enqueue' }, ({ fleet }) => fleet.client.enqueue(type, payload, options));
  if (json) return printJson(job);
  const runs = job.status === 'SCHEDULED' ? `, runs at ${job.runAt.toISOString()}` : '';
  print(
    `${job.deduplicated ? 'Already enqueued' : 'Enqueued'} ${cell(job.type)} job ${job.id} on queue ${cell(job.queue)} (${job.status}${runs}).`,
  );
}

export interface ListFlags {
  status?: string;
  type?: string;
  queue?: string;
  limit?: string;
  cursor?: string;
}

export async function listJobs(config: CliConfig, flags: ListFlags, json: boolean): Promise<void> {
  let status: JobStatus[] | undefined;
  if (flags.status !== undefined) {
    status = flags.status
      .split(',')
      .map((s) => s.trim().toUpperCase())
      .filter(Boolean) as JobStatus[];
    const bad = status.find((s) => !(JOB_STATUSES as readonly string[]).includes(s));
    if (bad !== undefined || status.length === 0) {
      throw new UsageError(`--status must be one or more of ${JOB_STATUSES.join(', ')}${bad ? `, not "${clip(bad)}"` : ''}.`);
    }
  }
  const limit = flags.limit === undefined ? 20 : parseInteger(flags.limit, '--limit', 1, 500);
  if (flags.cursor !== undefined && !UUID.test(flags.cursor))
    throw new UsageError('--cursor must be the "next" cursor printed by a previous listing.');
  const page = await withFleet(config, { role: 'jobs' }, ({ fleet }) =>
    fleet.client.list({
      limit,
      ...(status ? { status } : {}),
      ...(flags.type !== undefined ? { type: flags.type } : {}),
      ...(flags.queue !== undefined ? { queue: flags.queue } : {}),
      ...(flags.cursor !== undefined ? { cursor: flags.cursor } : {}),
    }),
  );
  if (json) return printJson(page);
  if (page.jobs.length === 0) return print('No jobs match.');
  print(
    table(page.jobs, [
      { header: 'ID', value: (j) => j.id },
      { header: 'TYPE', value: (j) => j.type, max: 30 },
      { header: 'QUEUE', value: (j) => j.queue, max: 20 },
      { header: 'STATUS', value: (j) => j.status },
      { header: 'ATTEMPTS', value: (j) => `${j.attempts}/${j.maxAttempts}` },
      { header: 'CREATED', value: (j) => j.createdAt },
      { header: 'RESULT', value: (j) => (j.status === 'COMPLETED' ? j.result : (j.error?.message ?? null)), max: 40 },
    ]),
  );
  if (page.nextCursor) print(`More: jobfleet jobs list --cursor ${page.nextCursor}${flags.limit ? ` --limit ${limit}` : ''}`);
}

function checkId(id: string): string {
  const trimmed = id.trim();
  if (!UUID.test(trimmed))
    throw new UsageError(`"${clip(id)}" is not a job id: job ids are UUIDs such as 0190a5b2-7c1e-7d3a-9f00-1234567890ab.`);
  return trimmed;
}

export async function getJob(config: CliConfig, rawId: string, json: boolean): Promise<void> {
  const id = checkId(rawId);
  const job = await withFleet(config, { role: 'jobs' }, ({ fleet }) => fleet.client.get(id));
  if (!job) throw new CliError(`No job with id "${id}".`);
  if (json) return printJson(job);
  print(describeJob(job));
}

export async function changeJob(config: CliConfig, action: 'cancel' | 'retry', rawId: string, json: boolean): Promise<void> {
  const id = checkId(rawId);
  const job = await withFleet(config, { role: 'jobs' }, ({ fleet }) =>
    action === 'cancel' ? fleet.client.cancel(id) : fleet.client.retry(id),
  );
  if (json) return printJson(job);
  if (action === 'cancel') {
    print(
      job.status === 'CANCELLED'
        ? `Cancelled job ${job.id}.`
        : `Cancellation requested for job ${job.id} (${job.status}); its worker will stop it.`,
    );
  } else {
    print(`Job ${job.id} will run again (${job.status}).`);
  }
}

function describeJob(j: Job): string {
  const pairs: [string, unknown][] = [
    ['id', j.id],
    ['type', j.type],
    ['queue', j.queue],
    ['status', j.status + (j.cancelRequested && j.status === 'RUNNING' ? ' (cancel requested)' : '')],
    ['attempts', `${j.attempts}/${j.maxAttempts}`],
    ['priority', j.priority],
    ['payload', JSON.stringify(j.payload)],
  ];
  if (j.status === 'COMPLETED') pairs.push(['result', JSON.stringify(j.result) ?? 'null']);
  if (j.error) pairs.push(['error', `${j.error.code ? `${j.error.code}: ` : ''}${j.error.message}`]);
  if (j.progress !== null) pairs.push(['progress', `${j.progress}%${j.progressMessage ? ` ${j.progressMessage}` : ''}`]);
  pairs.push(['run at', j.runAt], ['created', j.createdAt], ['started', j.startedAt], ['finished', j.finishedAt]);
  if (j.idempotencyKey) pairs.push(['idempotency key', j.idempotencyKey]);
  if (j.workerId) pairs.push(['worker', j.workerId]);
  return details(pairs);
}

export async function listJobTypes(config: CliConfig, json: boolean): Promise<void> {
  const types = await withFleet(config, { role: 'job-types' }, ({ fleet }) => fleet.client.jobTypes());
  if (json) return printJson(types);
  print(
    table(types, [
      { header: 'NAME', value: (t) => t.name, max: 40 },
      { header: 'QUEUE', value: (t) => t.queue, max: 20 },
      { header: 'ATTEMPTS', value: (t) => t.maxAttempts },
      { header: 'WORKERS', value: (t) => t.workers },
      { header: 'DESCRIPTION', value: (t) => t.description, max: 70 },
    ]),
  );
}
