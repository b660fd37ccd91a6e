/**
 * Bad input, refused before any database is touched: each exits non-zero with one line on
 * stderr, prefixed "jobfleet: ", and no stack trace. Help works everywhere.
 */
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { isOneLineError, runCli } from './helpers.ts';

describe('jobfleet usage errors', () => {
  const dataDir = mkdtempSync(path.join(tmpdir(), 'jobfleet-cli-usage-'));
  const env = { JOBFLEET_DATA_DIR: dataDir };
  afterAll(() => rmSync(dataDir, { recursive: true, force: true }));

  it('prints help for every command', async () => {
    for (const args of [
      ['--help'],
      ['start', '--help'],
      ['worker', '--help'],
      ['user', 'create', '--help'],
      ['enqueue', '--help'],
      ['jobs', 'list', '--help'],
      ['help', 'jobs'],
    ]) {
      const r = await runCli(args, env);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).toMatch(/^Usage: jobfleet/);
    }
    const version = await runCli(['--version'], env);
    expect(version).toMatchObject({ code: 0, stdout: '0.1.0\n' });
  }, 300_000);

  it('refuses each bad invocation with one clear line and exit code 2 (or 1)', async () => {
    const cases: { args: string[]; env?: Record<string, string>; code: number; message: RegExp }[] = [
      { args: ['frobnicate'], code: 2, message: /unknown command 'frobnicate'/ },
      { args: ['jobs', 'explode'], code: 2, message: /unknown command 'explode'/ },
      { args: ['enqueue'], code: 2, message: /missing required argument 'type'/ },
      { args: ['enqueue', 'reverse_string'], code: 2, message: /missing required argument 'json'/ },
      { args: ['jobs', 'get'], code: 2, message: /missing required argument 'id'/ },
      { args: ['jobs', 'get', 'a', 'b'], code: 2, message: /too many arguments/ },
      {
        args: ['user', 'create', '--email', 'a@b.c'],
        code: 2,
        message: /give the password with --password <password> or --password-stdin/,
      },
      { args: ['jobs', 'list', '--bogus'], code: 2, message: /unknown option '--bogus'/ },
      {
        args: ['enqueue', 'reverse_string', 'hello world'],
        code: 2,
        message: /the payload is not valid JSON.*a string needs JSON quotes: '"hello world"'/,
      },
      { args: ['enqueue', 'reverse_string', '{"a":'], code: 2, message: /the payload is not valid JSON/ },
      { args: ['enqueue', 'reverse_string', '   '], code: 2, message: /the payload is empty/ },
      { args: ['enqueue', 'noop', 'null', '--priority', '5000'], code: 2, message: /--priority must be between -1000 and 1000/ },
      { args: ['enqueue', 'noop', 'null', '--priority', '-1001'], code: 2, message: /--priority must be between -1000 and 1000/ },
      { args: ['enqueue', 'noop', 'null', '--priority', '1.5'], code: 2, message: /--priority must be a whole number/ },
      { args: ['enqueue', 'noop', 'null', '--delay', 'soon'], code: 2, message: /--delay must be a duration/ },
      {
        args: ['enqueue', 'noop', 'null', '--delay', '5m', '--run-at', '2030-01-01T00:00:00Z'],
        code: 2,
        message: /either --delay or --run-at/,
      },
      {
        args: ['enqueue', 'noop', 'null', '--run-at', 'tomorrow-ish'],
        code: 2,
        message: /--run-at "tomorrow-ish" is not a date/,
      },
      { args: ['enqueue', 'noop', 'null', '--max-attempts', '0'], code: 2, message: /--max-attempts must be between 1 and 1000/ },
      {
        args: ['enqueue', 'noop', 'null', '--queue', 'bad queue!'],
        code: 2,
        message: /--queue "bad queue!" is not a valid queue name/,
      },
      { args: ['worker', '--concurrency', 'lots'], code: 2, message: /--concurrency must be a whole number, not "lots"/ },
      { args: ['start', '--concurrency', '0'], code: 2, message: /--concurrency must be between 1 and 1000/ },
      { args: ['start', '--port', '70000'], code: 2, message: /--port must be between 0 and 65535/ },
      { args: ['start', '--queues', ',,'], code: 2, message: /--queues names no queue/ },
      { args: ['start'], env: { PORT: 'http' }, code: 2, message: /PORT must be a whole number, not "http"/ },
      {
        args: ['jobs', 'list'],
        env: { JOBFLEET_CONCURRENCY: '', DATABASE_URL: 'mysql://x' },
        code: 2,
        message: /DATABASE_URL must be a postgres:\/\/ or postgresql:\/\/ URL/,
      },
      {
        args: ['jobs', 'list', '--schema', 'x; DROP SCHEMA public'],
        code: 2,
        message: /--schema "x; DROP SCHEMA public" is not a valid schema name/,
      },
      { args: ['jobs', 'list', '--log-level', 'loud'], code: 2, message: /--log-level must be one of/ },
      { args: ['jobs', 'list', '--status', 'DONE'], code: 2, message: /--status must be one or more of .*not "DONE"/ },
      { args: ['jobs', 'list', '--limit', '0'], code: 2, message: /--limit must be between 1 and 500/ },
      { args: ['jobs', 'list', '--cursor', 'abc'], code: 2, message: /--cursor must be/ },
      { args: ['jobs', 'get', '../../etc/passwd'], code: 2, message: /"\.\.\/\.\.\/etc\/passwd" is not a job id/ },
      { args: ['jobs', 'cancel', '42'], code: 2, message: /"42" is not a job id/ },
      { args: ['jobs', 'retry', '\u001b[2J\u001b[31mred\nsecond line'], code: 2, message: /" ?red second line" is not a job id/ },
      {
        args: ['user', 'create', '--email', 'a@b.c', '--password', 'long enough', '--role', 'root'],
        code: 2,
        message: /--role must be "admin" or "member"/,
      },
      {
        args: ['worker'],
        code: 1,
        message:
          /`jobfleet worker` runs as a separate process and needs a shared PostgreSQL: set DATABASE_URL.*use `jobfleet start`/,
      },
      { args: ['api'], code: 1, message: /`jobfleet api` runs as a separate process and needs a shared PostgreSQL/ },
      {
        args: ['dispatch', 'rabbitmq'],
        code: 2,
        message: /dispatch through RabbitMQ needs a shared PostgreSQL: set DATABASE_URL/,
      },
      { args: ['start', '--dispatch', 'kafka'], code: 2, message: /--dispatch must be postgres or rabbitmq, not "kafka"/ },
      { args: ['start', '--processes', '2'], code: 2, message: /--processes > 1 needs a shared PostgreSQL \(DATABASE_URL\)/ },
      { args: ['start', '--processes', '0'], code: 2, message: /--processes must be between 1 and 64/ },
      { args: ['start'], env: { JOBFLEET_PROCESSES: 'many' }, code: 2, message: /JOBFLEET_PROCESSES must be a whole number/ },
      {
        args: ['start'],
        env: { JOBFLEET_DISPATCH: 'pulsar' },
        code: 2,
        message: /JOBFLEET_DISPATCH must be postgres or rabbitmq/,
      },
      {
        args: ['start', '--dispatch', 'rabbitmq'],
        code: 2,
        message: /--dispatch=rabbitmq needs a shared PostgreSQL \(DATABASE_URL\)/,
      },
      {
        args: ['worker', '--dispatch', 'rabbitmq', '--amqp-url', 'http://broker'],
        env: { DATABASE_URL: 'postgres://127.0.0.1:1/x' },
        code: 2,
        message: /--amqp-url must be an amqp:\/\/ or amqps:\/\/ URL/,
      },
      {
        args: ['worker', '--dispatch', 'rabbitmq'],
        env: { DATABASE_URL: 'postgres://127.0.0.1:1/x', JOBFLEET_AMQP_PREFIX: 'bad prefix;' },
        code: 2,
        message: /JOBFLEET_AMQP_PREFIX is 1–64 characters/,
      },
      {
        args: ['start', '--jobs', path.join(dataDir, 'missing')],
        code: 1,
        message: /cannot load job types from .*missing.*does not exist/,
      },
    ];
    for (const c of cases) {
      const r = await runCli(c.args, { ...env, ...c.env });
      const label = `jobfleet ${c.args.join(' ')} → ${r.code}: ${r.stderr}`;
      expect(r.code, label).toBe(c.code);
      expect(r.stderr, label).toMatch(c.message);
      expect(isOneLineError(r.stderr), label).toBe(true);
      // Nothing hostile reaches the terminal: no escape characters, no second line.
      // eslint-disable-next-line no-control-regex
      expect(r.stderr).not.toMatch(/[\u0000-\u0009\u000b-\u001f]/);
      expect(r.stdout, label).toBe('');
    }
    // None of these touched the embedded database.
    expect(readdirSync(dataDir)).toEqual([]);
  }, 600_000);

  it('prints a stack trace only with --verbose', async () => {
    const quiet = await runCli(['start', '--jobs', path.join(dataDir, 'missing')], env);
    expect(quiet.stderr).not.toMatch(/\n\s+at /);
    const verbose = await runCli(['start', '--jobs', path.join(dataDir, 'missing'), '--verbose'], env);
    expect(verbose.code).toBe(1);
    expect(verbose.stderr.split('\n')[0]).toMatch(/^jobfleet: cannot load job types/);
    expect(verbose.stderr).toMatch(/\n\s+at /);
  }, 120_000);
});
